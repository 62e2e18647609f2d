"""What /ws/inbox/ sends (docs/protocol.md): frames built for one user, from what they may see now.

Events on the channel layer carry ids only; the consumer asks here for the
frame, so every message or notice is authorised afresh for the socket's user
and its text is decrypted, escaped and sanitized in this one place.
"""

from __future__ import annotations

from django.http import Http404

from classrooms.models import User
from messaging.access import (
    get_message_for_participant,
    get_notice_for_sender,
    get_notice_receipt_for_recipient,
    unread_count,
)
from messaging.models import Message, Notice
from messaging.sanitize import message_html, sanitize_notice_html


def _person(user: User) -> dict:
    return {"id": user.pk, "name": user.name}


def message_frame(message: Message, user: User) -> dict:
    return {
        "type": "message",
        "thread": message.thread_id,
        "id": message.pk,
        "sender": _person(message.sender),
        "outgoing": message.sender_id == user.pk,
        "sent_at": message.sent_at.isoformat(),
        "status": message.status,
        "body_html": str(message_html(message.body)),
        "size": message.size_bytes,
    }


def notice_frame(notice: Notice, *, read: bool) -> dict:
    return {
        "type": "notice",
        "id": notice.pk,
        "class": {"id": notice.school_class_id, "name": notice.school_class.name},
        "sender": _person(notice.sender),
        "sent_at": notice.sent_at.isoformat(),
        "read": read,
        "body_html": sanitize_notice_html(notice.body),
        "size": notice.size_bytes,
    }


def unread_frame(user: User) -> dict:
    return {"type": "unread", "count": unread_count(user)}


def message_frame_for(user: User, message_id: int) -> dict | None:
    """The `message` frame for `user`, or None when they may not see that message (any more)."""
    try:
        return message_frame(get_message_for_participant(user, message_id), user)
    except Http404:
        return None


def notice_frame_for(user: User, notice_id: int) -> dict | None:
    try:
        if user.is_teacher:
            return notice_frame(get_notice_for_sender(user, notice_id), read=True)  # nothing for its sender to read
        receipt = get_notice_receipt_for_recipient(user, notice_id)
        return notice_frame(receipt.notice, read=receipt.read_at is not None)
    except Http404:
        return None
