"""Proctored sessions, who is present, the integrity signals they raise; misconduct and revocation."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class ProctoredSession(models.Model):
    """One class taking one exam under its teacher: open (waiting room) → running → ended."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting room")
        RUNNING = "running", _("Running")
        ENDED = "ended", _("Ended")

    school_class = models.ForeignKey("classrooms.SchoolClass", on_delete=models.PROTECT, related_name="sessions")
    exam = models.ForeignKey("exams.Exam", on_delete=models.PROTECT, related_name="sessions")
    # The version pinned when the session opened: editing the test later never changes it (docs/design.md §3).
    version = models.ForeignKey("exams.ExamVersion", on_delete=models.PROTECT, related_name="sessions")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proctored_sessions")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    seq = models.PositiveBigIntegerField(default=0, help_text="Sequence number of the last event broadcast.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # Every process's tick looks for absences in the sessions not ended (proctoring/presence.py).
        indexes = [models.Index(fields=["status"], name="session_status")]
        verbose_name = _("proctored session")
        verbose_name_plural = _("proctored sessions")

    def __str__(self) -> str:
        return f"{self.exam} – {self.school_class}"

    def save(self, *args, **kwargs):
        if self.version_id is None:
            self.version = self.exam.published_version() or self.exam.latest_version()
        super().save(*args, **kwargs)

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
    # Kept in the database, not the process, so a raised hand and what the teacher has seen
    # survive a reconnect and a server restart (docs/design.md §4).
    hand_raised_at = models.DateTimeField(
        null=True, blank=True, help_text="The pupil pressed 先生を呼ぶ and the teacher has not acknowledged it yet."
    )
    flags_seen_at = models.DateTimeField(
        null=True, blank=True, help_text="The teacher's last acknowledgement: flags since then are new."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "examinee"], name="one_seat_per_session")]

    def __str__(self) -> str:
        return f"{self.examinee} @ {self.session_id}"


class Connection(models.Model):
    """One open websocket of an examinee, held by a server process (proctoring/presence.py).

    Presence = a connection whose process's lease is fresh (sockets/process.py),
    so a crashed server process leaves no examinee 'online' for longer than the lease.
    """

    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(max_length=200, unique=True)
    process = models.CharField(max_length=200, db_index=True, help_text="The server process holding the socket.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    overlap_pending = models.BooleanField(
        default=False,
        help_text="Opened while another process held a socket of the same examinee: second_connection "
        "or not is decided once that process proves alive (presence.flag_overlaps).",
    )

    def __str__(self) -> str:
        return f"{self.channel_name} ({self.seat})"


class Signal(models.Model):
    """Integrity evidence (docs/design.md §4): from the examinee's browser or from the server.

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

    # "Back to normal": shown on the tile with the rest, but never asking for the teacher's attention
    # (docs/design.md §4); the dashboard sorts them after the others.
    RETURN_KINDS = frozenset({"focus_returned", "tab_visible", "fullscreen_enter", "connection_restored"})

    CLIENT_KINDS = frozenset(
        {
            "focus_lost",
            "focus_returned",
            "tab_hidden",
            "tab_visible",
            "fullscreen_exit",
            "fullscreen_enter",
            "copy",
            "cut",
            "paste",
            "context_menu",
            "print",
        }
    )

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


# --- Misconduct and revocation (docs/design.md §5) ------------------------------------------------


class Incident(models.Model):
    """A case of possible misconduct: who it concerns, who reported it, the evidence, the decision.

    The note is private to the session's teacher and the org admins; it never
    goes into the audit log, exports or anything the examinee sees.
    """

    class Category(models.TextChoices):
        # The service's terms of use, Article 8-2; the official Japanese wording is in JAPANESE_CATEGORY.
        LEAKING = "leaking", _("Leaking or copying exam questions (screenshots, copying)")
        IMPERSONATION = "impersonation", _("Handing one's examinee rights to someone else (impersonation)")
        AIDS = "aids", _("Using writing tools, books or other devices")
        DEVICE_MISUSE = "device_misuse", _("Improper use of the exam device")
        TALKING = "talking", _("Talking to anyone but the proctor")
        ASKING_PROCTOR = "asking_proctor", _("Asking the proctor about question content")
        LEAVING_SIGHT = "leaving_sight", _("Leaving the proctor's sight")
        PROCTOR_HINTS = "proctor_hints", _("Proctor giving answers or hints")
        PROCTOR_NEGLECT = "proctor_neglect", _("Proctor neglecting supervision")
        FAMILY_PROCTOR = "family_proctor", _("A family member proctoring")
        PLACE_MOVED = "place_moved", _("Moving away from the agreed exam place")
        OTHER = "other", _("Other")

    class Action(models.TextChoices):
        WARNING = "warning", _("Warning only")
        REVOKED = "revoked", _("Result revoked")
        NONE = "none", _("No action")

    EXAMINEE_CATEGORIES = frozenset(
        {"leaking", "impersonation", "aids", "device_misuse", "talking", "asking_proctor", "leaving_sight", "other"}
    )
    PROCTOR_CATEGORIES = frozenset({"proctor_hints", "proctor_neglect", "family_proctor", "place_moved", "other"})
    MAX_NOTE_LENGTH = 2000

    organization = models.ForeignKey("classrooms.Organization", on_delete=models.PROTECT, related_name="incidents")
    session = models.ForeignKey(
        ProctoredSession,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("test session"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incidents_about",
        help_text="The person it concerns: an examinee, or a proctor.",
    )
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_reported")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    note = models.TextField(_("note"), max_length=MAX_NOTE_LENGTH, blank=True)
    signals = models.ManyToManyField(Signal, blank=True, related_name="incidents")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=8, choices=Action.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["organization", "-at"]), models.Index(fields=["session", "subject"])]

    def __str__(self) -> str:
        # Ids and the category only: this lands in audit entries, which never hold the note.
        return f"#{self.pk} {self.get_category_display()}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def japanese_label(self) -> str:
        return JAPANESE_CATEGORY[self.category]

    @property
    def category_label(self) -> str:
        return category_label(self.category)


JAPANESE_CATEGORY = {
    Incident.Category.LEAKING: "検定問題の漏えい・複製",
    Incident.Category.IMPERSONATION: "受検権利の譲渡・貸与",
    Incident.Category.AIDS: "筆記用具・書籍・他の機器の使用",
    Incident.Category.DEVICE_MISUSE: "受検用端末の不正使用",
    Incident.Category.TALKING: "試験監督以外との会話",
    Incident.Category.ASKING_PROCTOR: "試験監督への問題内容の質問",
    Incident.Category.LEAVING_SIGHT: "監視できない場所への移動",
    Incident.Category.PROCTOR_HINTS: "試験監督による解答・ヒントの伝達",
    Incident.Category.PROCTOR_NEGLECT: "試験監督による監視の怠り",  # the terms say 監視監督の懈怠: plainer words
    Incident.Category.FAMILY_PROCTOR: "家族による試験監督",
    Incident.Category.PLACE_MOVED: "合意した受検場所からの移動",
    Incident.Category.OTHER: "その他",
}


def category_label(category: str) -> str:
    """The category as the terms of use name it: in Japanese its official wording alone,
    in any other language the translated label followed by that wording.
    """
    official = JAPANESE_CATEGORY[category]
    if get_language() == "ja" or (get_language() or "").startswith("ja-"):
        return official
    return f"{Incident.Category(category).label} — {official}"


class Revocation(models.Model):
    """A result taken back: final. The attempt stays for the record but is a result nowhere
    (exams/results.py); what is shown is who, when, why and which incident.
    """

    MAX_REASON_LENGTH = 500

    attempt = models.OneToOneField("exams.Attempt", on_delete=models.PROTECT, related_name="revocation")
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(
        max_length=MAX_REASON_LENGTH, help_text="Shown to the examinee in plain words, unlike the incident's note."
    )
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="revocations")

    class Meta:
        ordering = ["-revoked_at", "-id"]
        verbose_name = _("revocation")
        verbose_name_plural = _("revocations")

    def __str__(self) -> str:
        return f"#{self.pk} (attempt {self.attempt_id})"
