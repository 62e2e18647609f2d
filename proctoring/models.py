"""Proctored sessions, who is present, and the integrity signals they raise."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProctoredSession(models.Model):
    """One class taking one exam under its teacher: open (waiting room) → running → ended."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting room")
        RUNNING = "running", _("Running")
        ENDED = "ended", _("Ended")

    school_class = models.ForeignKey("classrooms.SchoolClass", on_delete=models.PROTECT, related_name="sessions")
    exam = models.ForeignKey("exams.Exam", on_delete=models.PROTECT, related_name="sessions")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proctored_sessions")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    seq = models.PositiveBigIntegerField(default=0, help_text="Sequence number of the last event broadcast.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("proctored session")
        verbose_name_plural = _("proctored sessions")

    def __str__(self) -> str:
        return f"{self.exam} – {self.school_class}"

    @property
    def proctor_group(self) -> str:
        return f"proctor.{self.pk}"

    @property
    def examinees_group(self) -> str:
        return f"exam.{self.pk}"

    def examinee_group(self, examinee_id: int) -> str:
        return f"exam.{self.pk}.{examinee_id}"


class Seat(models.Model):
    """An examinee's place in a session: entered the waiting room, warned, paused; their presence."""

    session = models.ForeignKey(ProctoredSession, on_delete=models.CASCADE, related_name="seats")
    examinee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="seats")
    joined_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    offline_since = models.DateTimeField(null=True, blank=True)
    loss_signalled = models.BooleanField(
        default=False, help_text="A connection_lost signal was raised for the current absence."
    )
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    warnings = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "examinee"], name="one_seat_per_session")]

    def __str__(self) -> str:
        return f"{self.examinee} @ {self.session_id}"


class Connection(models.Model):
    """One open websocket of an examinee. Presence = a connection with a recent heartbeat,
    so a crashed server process leaves no examinee 'online' forever."""

    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(max_length=200, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    last_heartbeat_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.channel_name} ({self.seat})"


class Signal(models.Model):
    """Integrity evidence (DESIGN §4): from the examinee's browser or from the server.

    A burst of the same kind from the same examinee within BURST_WINDOW is one
    row with a count, shown as one grouped flag.
    """

    class Kind(models.TextChoices):
        FOCUS_LOST = "focus_lost", _("Left the test window")
        FOCUS_RETURNED = "focus_returned", _("Came back to the test window")
        TAB_HIDDEN = "tab_hidden", _("Tab hidden")
        TAB_VISIBLE = "tab_visible", _("Tab visible again")
        FULLSCREEN_EXIT = "fullscreen_exit", _("Left full screen")
        FULLSCREEN_ENTER = "fullscreen_enter", _("Full screen again")
        COPY = "copy", _("Copy")
        CUT = "cut", _("Cut")
        PASTE = "paste", _("Paste")
        CONTEXT_MENU = "context_menu", _("Context menu")
        PRINT = "print", _("Print")
        CONNECTION_LOST = "connection_lost", _("Connection lost")
        CONNECTION_RESTORED = "connection_restored", _("Connection restored")
        SECOND_CONNECTION = "second_connection", _("Second tab or device")
        IP_CHANGED = "ip_changed", _("Network address changed")

    CLIENT_KINDS = frozenset(
        {
            "focus_lost", "focus_returned", "tab_hidden", "tab_visible", "fullscreen_exit", "fullscreen_enter",
            "copy", "cut", "paste", "context_menu", "print",
        }
    )  # fmt: skip

    session = models.ForeignKey(ProctoredSession, on_delete=models.CASCADE, related_name="signals")
    examinee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signals")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    client_id = models.UUIDField(
        default=uuid.uuid4, help_text="Sent by the browser, so a resent signal is stored once."
    )
    from_server = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(default=1)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    client_ts = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["session", "examinee", "client_id"], name="signal_stored_once")]
        indexes = [models.Index(fields=["session", "examinee", "kind", "-last_at"])]

    def __str__(self) -> str:
        return f"{self.kind} ×{self.count}"


class SignalReceipt(models.Model):
    """Each browser signal as received, under the (possibly grouped) Signal it joined.

    The receipt keeps every client id, so a signal resent after a reconnect is
    recognised even when it had been merged into a burst.
    """

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="receipts")
    examinee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_id = models.UUIDField()
    client_ts = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["examinee", "client_id"], name="signal_received_once")]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.signal_id}"
