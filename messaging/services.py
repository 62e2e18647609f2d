"""Sending, delivering and reading messages and notices; break-glass access (docs/design.md §6).

Each service is one transaction. Live events go out through the one
broadcast point, sockets.publish.publish, after commit; they carry ids
and metadata only, never a body: each socket loads what its user may see
(messaging/live.py), so no text crosses the channel layer. Log lines carry
metadata only, like everything else outside the encrypted column.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from classrooms.access import organization_of, roster_of
from classrooms.models import AuditEntry, SchoolClass, User, audit_actions
from config.errors import ServiceError
from messaging.access import correspondents_of, notice_receipts_of, threads_of
from messaging.models import (
    MAX_MESSAGE_LENGTH,
    MAX_NOTICE_LENGTH,
    BreakGlassAccess,
    Message,
    Notice,
    NoticeReceipt,
    Thread,
    inbox_group,
)
from sockets.publish import publish

# The audit log's action codes written here, and what the org admin reads for each (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {
        "message.break_glass": gettext_lazy("Operator opened a message's content (break-glass)"),
    },
    details={
        "reason": (gettext_lazy("reason"), BreakGlassAccess.Reason.choices),
        "reference": gettext_lazy("reference"),
    },
)

logger = logging.getLogger(__name__)


def checked_body(text: str, *, limit: int) -> str:
    """The text to store: without surrounding blank space, not empty, at most `limit` characters."""
    text = text.strip()
    if not text:
        raise ServiceError(_("Write something first."), code="empty")
    if len(text) > limit:
        raise ServiceError(
            _("This is %(count)d characters long; the limit is %(limit)d.") % {"count": len(text), "limit": limit},
            code="too_long",
        )
    return text


# --- Broadcasts (after commit, ids and metadata only) ----------------------------------------------


def _announce_message(message: Message) -> None:
    event = {"type": "inbox.message", "id": message.pk}
    publish(inbox_group(message.recipient_id), event)
    publish(inbox_group(message.sender_id), event)  # the sender's other tabs
    _announce_unread(message.recipient_id)


def _announce_receipt(message_id: int, sender_id: int, status: str, at) -> None:
    publish(inbox_group(sender_id), {"type": "inbox.receipt", "id": message_id, "status": status, "at": at.isoformat()})


def _announce_unread(user_id: int) -> None:
    publish(inbox_group(user_id), {"type": "inbox.unread"})


# --- Messages ------------------------------------------------------------------------------------


def message_send(*, by: User, recipient: User, body: str) -> Message:
    """Send a message; the conversation between the two is started on the first one.

    The caller found `recipient` among access.correspondents_of(by) (the
    form's choices) or the thread with access.get_thread_for_writer; this checks the rule once more, inside
    the transaction.
    """
    text = checked_body(body, limit=MAX_MESSAGE_LENGTH)
    with transaction.atomic():
        if not correspondents_of(by).filter(pk=recipient.pk).exists():
            raise ServiceError(_("You cannot write to this person."), code="not_allowed")
        teacher, examinee = (by, recipient) if by.is_teacher else (recipient, by)
        thread, _created = Thread.objects.get_or_create(
            organization=organization_of(by), teacher=teacher, examinee=examinee
        )
        message = Message(thread=thread, sender=by, recipient=recipient)
        message.set_body(text)
        message.save()
        Thread.objects.filter(pk=thread.pk).update(last_message_at=message.sent_at)
        thread.last_message_at = message.sent_at
        message.thread = thread
        _announce_message(message)
    logger.info(
        "message sent: id=%s thread=%s sender=%s recipient=%s bytes=%s",
        message.pk,
        thread.pk,
        by.pk,
        recipient.pk,
        message.size_bytes,
    )
    return message


def message_mark_delivered(*, message: Message, by: User) -> bool:
    """The recipient's socket or page got the message. Idempotent; True when this call recorded it."""
    now = timezone.now()
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, recipient=by, delivered_at__isnull=True).update(
            delivered_at=now
        )
        if updated:
            _announce_receipt(message.pk, message.sender_id, "delivered", now)
    return bool(updated)


def inbox_mark_delivered(*, by: User) -> None:
    """The recipient opened a page listing their messages and notices: everything waiting reached them."""
    now = timezone.now()
    with transaction.atomic():
        waiting = Message.objects.filter(
            recipient=by, delivered_at__isnull=True, thread__in=threads_of(by)
        ).values_list("pk", "sender_id")
        waiting = list(waiting)
        Message.objects.filter(pk__in=[pk for pk, _sender in waiting], delivered_at__isnull=True).update(
            delivered_at=now
        )
        for pk, sender_id in waiting:
            _announce_receipt(pk, sender_id, "delivered", now)
        notice_receipts_of(by).filter(delivered_at__isnull=True).update(delivered_at=now)


def thread_mark_read(*, thread: Thread, by: User) -> int:
    """`by` opened the conversation: every message to them in it is read. Returns how many were new."""
    now = timezone.now()
    with transaction.atomic():
        unread = list(thread.messages.filter(recipient=by, read_at__isnull=True).values_list("pk", flat=True))
        if not unread:
            return 0
        Message.objects.filter(pk__in=unread, read_at__isnull=True).update(
            read_at=now, delivered_at=Coalesce("delivered_at", Value(now))
        )
        # Only what this call marked: another tab may have read some a moment earlier.
        marked = list(Message.objects.filter(pk__in=unread, read_at=now).values_list("pk", "sender_id"))
        for pk, sender_id in marked:
            _announce_receipt(pk, sender_id, "read", now)
        if marked:
            _announce_unread(by.pk)
    logger.info("thread read: thread=%s reader=%s messages=%s", thread.pk, by.pk, len(marked))
    return len(marked)


# --- Notices ------------------------------------------------------------------------------------------


def notice_send(*, school_class: SchoolClass, by: User, body: str) -> Notice:
    """A notice to every examinee on the class's roster today (suspended accounts excepted).

    The caller found the class with classrooms.access.get_class_for_teacher.
    """
    text = checked_body(body, limit=MAX_NOTICE_LENGTH)
    with transaction.atomic():
        recipient_ids = list(
            roster_of(school_class).filter(examinee__is_active=True).values_list("examinee_id", flat=True)
        )
        if not recipient_ids:
            raise ServiceError(_("Nobody is on this class's roster to receive a notice."), code="no_recipients")
        notice = Notice(organization_id=school_class.organization_id, school_class=school_class, sender=by)
        notice.set_body(text)
        notice.save()
        NoticeReceipt.objects.bulk_create(
            [NoticeReceipt(notice=notice, recipient_id=recipient_id) for recipient_id in recipient_ids]
        )
        event = {"type": "inbox.notice", "id": notice.pk}
        for recipient_id in recipient_ids:
            publish(inbox_group(recipient_id), event)
            _announce_unread(recipient_id)
        publish(inbox_group(by.pk), event)
    logger.info(
        "notice sent: id=%s class=%s sender=%s recipients=%s bytes=%s",
        notice.pk,
        school_class.pk,
        by.pk,
        len(recipient_ids),
        notice.size_bytes,
    )
    return notice


def notice_mark_delivered(*, receipt: NoticeReceipt) -> bool:
    now = timezone.now()
    updated = NoticeReceipt.objects.filter(pk=receipt.pk, delivered_at__isnull=True).update(delivered_at=now)
    return bool(updated)


def notice_mark_read(*, receipt: NoticeReceipt) -> bool:
    """The examinee opened the notice. Idempotent; True when this call recorded it."""
    now = timezone.now()
    with transaction.atomic():
        updated = NoticeReceipt.objects.filter(pk=receipt.pk, read_at__isnull=True).update(
            read_at=now, delivered_at=Coalesce("delivered_at", Value(now))
        )
        if updated:
            _announce_unread(receipt.recipient_id)
    return bool(updated)


# --- Break-glass ------------------------------------------------------------------------------------------


def break_glass_open(*, message: Message, by: User, reason: str, reference: str) -> str:
    """An operator reads one message's content for a support inquiry or an incident.

    Refused without a valid reason and a reference. The access is recorded,
    and written to the audit log of the message's organization (its org
    admins see it), before the text is returned.
    """
    reference = reference.strip()
    if not by.is_operator:
        raise ServiceError(_("Only operators may do this."), code="forbidden")
    if reason not in BreakGlassAccess.Reason.values:
        raise ServiceError(_("Choose why you need to read this message."), code="no_reason")
    if not reference:
        raise ServiceError(_("Give the reference of the inquiry or incident."), code="no_reference")
    with transaction.atomic():
        access = BreakGlassAccess.objects.create(message=message, operator=by, reason=reason, reference=reference[:100])
        AuditEntry.record(
            organization=message.thread.organization,
            actor=by,
            action="message.break_glass",
            target=message,
            reason=reason,
            reference=access.reference,
        )
    logger.warning("break-glass access: id=%s message=%s operator=%s reason=%s", access.pk, message.pk, by.pk, reason)
    return message.body
