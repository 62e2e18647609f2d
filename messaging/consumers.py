"""/ws/inbox/: live arrival of messages and notices, receipts, the unread count (docs/protocol.md).

Thin, like the proctoring consumers; frame handling is the shared base's (sockets/consumers.py):
connect = authenticate + join groups + the unread count; receive = validate
the frame, authorise it (delivered/read with the user loaded again; see the base for the
bound on other frames), call a service;
event handlers build the frame for this socket's user (messaging/live.py)
and send it.
"""

from __future__ import annotations

from django.http import Http404

from classrooms.models import User
from config.errors import ServiceError
from messaging import services
from messaging.access import get_message_for_recipient, get_notice_receipt_for_recipient, get_thread_for_participant
from messaging.frames import INBOX_FRAMES
from messaging.live import message_frame_for, notice_frame_for, unread_frame
from messaging.models import inbox_group
from sockets.consumers import CLOSE_NOT_ALLOWED, CLOSE_SIGNED_OUT, FrameConsumer, fresh_user
from sockets.executor import run_db
from sockets.publish import user_group


class InboxConsumer(FrameConsumer):
    """Anyone signed in; teachers and examinees are the ones who get messages."""

    frames = INBOX_FRAMES
    frame_limits = {"default": (30, 10)}
    recheck_types = frozenset({"delivered", "read"})

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        await self.join(user_group(user.pk), inbox_group(user.pk))
        await self.accept()
        await self.send_frame(await run_db(unread_frame, user))

    async def handle(self, user: User, frame_type: str, data: dict) -> None:
        if frame_type == "unread":
            await self.send_frame(await run_db(unread_frame, user))
            return
        await run_db(self.act, user, frame_type, data)

    def act(self, user: User, frame_type: str, data: dict) -> None:
        """Runs in a worker thread: authorise this frame afresh, then call the service."""
        try:
            if frame_type == "delivered" and data.get("id") is not None:
                message = get_message_for_recipient(user, data["id"])
                services.message_mark_delivered(message=message, by=user)
            elif frame_type == "delivered":
                receipt = get_notice_receipt_for_recipient(user, data["notice"])
                services.notice_mark_delivered(receipt=receipt)
            elif frame_type == "read" and data.get("thread") is not None:
                thread = get_thread_for_participant(user, data["thread"])
                services.thread_mark_read(thread=thread, by=user)
            elif frame_type == "read":
                receipt = get_notice_receipt_for_recipient(user, data["notice"])
                services.notice_mark_read(receipt=receipt)
        except Http404:
            raise ServiceError("No such message, conversation or notice for you.", code="not_found") from None

    # --- Events from messaging.services: ids only; the frame is built for this user now ---------

    async def _current_user(self) -> User | None:
        user = await run_db(fresh_user, self.scope["user"].pk, None)
        if user is None:
            await self.close(code=CLOSE_SIGNED_OUT)
        return user

    async def inbox_message(self, event):
        user = await self._current_user()
        frame = user and await run_db(message_frame_for, user, event["id"])
        if frame:
            await self.send_frame(frame)

    async def inbox_notice(self, event):
        user = await self._current_user()
        frame = user and await run_db(notice_frame_for, user, event["id"])
        if frame:
            await self.send_frame(frame)

    async def inbox_receipt(self, event):
        await self.send_frame({"type": "receipt", "id": event["id"], "status": event["status"], "at": event["at"]})

    async def inbox_unread(self, event):
        user = await self._current_user()
        if user is not None:
            await self.send_frame(await run_db(unread_frame, user))
