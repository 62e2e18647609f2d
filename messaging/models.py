"""Messages between a teacher and an examinee, notices to a class, and break-glass access (docs/design.md §6).

Bodies are stored only as Fernet tokens (`body_encrypted`, messaging/crypto.py).
Every other column is metadata: who, to whom, when sent, delivered and read,
and the size. Nothing but a participant's page, a participant's websocket and
an audited break-glass access ever decrypts a body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messaging import crypto

if TYPE_CHECKING:
    from classrooms.models import User

MAX_MESSAGE_LENGTH = 2000
MAX_NOTICE_LENGTH = 5000


def inbox_group(user_id: int) -> str:
    """Every /ws/inbox/ socket of a user joins this group: their message events."""
    return f"inbox.{user_id}"


class EncryptedBody(models.Model):
    """A body kept as a Fernet token, and its size in bytes (UTF-8) as metadata."""

    body_encrypted = models.TextField(editable=False)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), editable=False)

    class Meta:
        abstract = True

    @property
    def body(self) -> str:
        """The decrypted text: only for participants' screens and audited break-glass access."""
        return crypto.decrypt(self.body_encrypted)

    def set_body(self, text: str) -> None:
        self.body_encrypted = crypto.encrypt(text)
        self.size_bytes = len(text.encode())


class Thread(models.Model):
    """The one conversation between a teacher and an examinee in an organization."""

    organization = models.ForeignKey(
        "classrooms.Organization", on_delete=models.PROTECT, related_name="message_threads"
    )
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads_as_teacher")
    examinee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads_as_examinee")
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_message_at"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["organization", "teacher", "examinee"], name="one_thread_per_pair")
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk}"

    def other(self, user: User) -> User:
        """The participant who is not `user`."""
        return self.examinee if user.pk == self.teacher_id else self.teacher


class Message(EncryptedBody):
    """One message in a thread, from one participant to the other."""

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages_received")
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["thread", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk}"  # never the body: this lands in audit labels and the admin

    @property
    def status(self) -> str:
        if self.read_at is not None:
            return "read"
        return "delivered" if self.delivered_at is not None else "sent"


class Notice(EncryptedBody):
    """A teacher's notice to everyone on a class's roster when it was sent."""

    organization = models.ForeignKey("classrooms.Organization", on_delete=models.PROTECT, related_name="notices")
    school_class = models.ForeignKey("classrooms.SchoolClass", on_delete=models.PROTECT, related_name="notices")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notices_sent")
    sent_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return f"Notice {self.pk}"


class NoticeReceipt(models.Model):
    """One examinee's copy of a notice: when it reached them and when they opened it."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="receipts")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notice_receipts")
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-notice__sent_at", "-pk"]
        verbose_name = _("notice receipt")
        verbose_name_plural = _("notice receipts")
        constraints = [models.UniqueConstraint(fields=["notice", "recipient"], name="one_receipt_per_recipient")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"Notice {self.notice_id} to {self.recipient_id}"


class BreakGlassAccess(models.Model):
    """An operator opened one message's content, saying why. Also in the organization's audit log."""

    class Reason(models.TextChoices):
        SUPPORT_INQUIRY = "support_inquiry", _("Support inquiry")
        INCIDENT = "incident", _("Incident")

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="break_glass_accesses")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    reference = models.CharField(_("reference"), max_length=100)
    at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("break-glass access")
        verbose_name_plural = _("break-glass accesses")

    def __str__(self) -> str:
        return f"Break-glass access {self.pk} to message {self.message_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Break-glass accesses are append-only.")
        super().save(*args, **kwargs)
