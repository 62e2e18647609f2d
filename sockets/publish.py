"""The one broadcast point. Only services call `publish`, and only after commit.

The channel layer is a notification bus, not storage (docs/design.md, "Live
path"): delivery is at-most-once, so every event to a proctor carries the
session's sequence number and clients that see a gap ask for a snapshot.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """Every socket of a user joins this group, so signing out or suspension can close them all."""
    return f"user.{user_id}"


def publish(group: str, event: dict) -> None:
    """Send `event` to `group` once the current transaction commits (at once outside one)."""

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(group, event)
        except Exception:  # the bus is best effort; clients recover by snapshot
            logger.exception("broadcast to %s failed", group)

    transaction.on_commit(send)


def close_user_sockets(user_id: int) -> None:
    """Close every socket of the user (4401): sign-out, suspension, a password change, a membership ending."""
    publish(user_group(user_id), {"type": "force.close"})
