"""Which server processes hold sockets, and whether they are still alive."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ServerProcess(models.Model):
    """A process serving websockets, alive while it renews its lease (sockets/process.py).

    Presence rows (proctoring.Connection) name the process holding the socket:
    when a process dies, its lease runs out and any other process (or the same
    one restarted under the same name) clears what it held.
    """

    name = models.CharField(max_length=200, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    renewed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name
