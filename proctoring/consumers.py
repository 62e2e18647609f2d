"""Websocket consumers of live proctoring: thin (docs/protocol.md §1–2).

Connect = access helper + join groups + snapshot or state; receive = a frame
validated and rate-limited by the shared base (sockets/consumers.py), then a
service; event handlers only send. Heartbeats are answered in the process with
no database work; signals are stored in group commits (sockets/batch.py).
"""

from __future__ import annotations

import datetime

from django.http import Http404

from classrooms.models import User
from config.errors import ServiceError
from proctoring import presence, services
from proctoring.access import (
    examinees_still_in,
    get_seat_for_proctor,
    get_session_for_examinee,
    get_session_for_viewer,
)
from proctoring.frames import EXAMINEE_FRAMES, PROCTOR_FRAMES
from proctoring.live import snapshot
from proctoring.models import ProctoredSession
from sockets import process
from sockets.batch import GroupCommit
from sockets.consumers import CLOSE_NOT_ALLOWED, CLOSE_SILENT, FrameConsumer
from sockets.executor import run_db
from sockets.publish import user_group

# Signals wait up to 20 ms for others to share their transaction (docs/design.md §10).
SIGNALS = GroupCommit(services.signals_record, window=0.02)


class ProctorConsumer(FrameConsumer):
    """/ws/proctor/<session_id>/: the session's teacher controls; org admins of its organization watch."""

    frames = PROCTOR_FRAMES
    recheck_types = frozenset(PROCTOR_FRAMES)  # few frames, each a command or a whole snapshot

    async def connect(self):
        user = self.scope["user"]
        try:
            self.session, self.may_control = await run_db(
                get_session_for_viewer, user, self.scope["url_route"]["kwargs"]["session_id"]
            )
        except Http404:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        await self.join(self.session.proctor_group, user_group(user.pk))
        await self.accept()
        await self.send_frame(await run_db(snapshot, self.session))

    def still_allowed(self, user: User) -> None:
        try:
            self.session, self.may_control = get_session_for_viewer(user, self.session.pk)
        except Http404:
            raise ServiceError("No such session.", code="not_found") from None

    async def handle(self, user: User, frame_type: str, data: dict) -> None:
        if frame_type == "snapshot":
            await self.send_frame(await run_db(snapshot, self.session))
            return
        if not self.may_control:
            raise ServiceError("Only the session's proctor can do this.", code="forbidden")
        await run_db(self.act, user, frame_type, data)

    def act(self, user: User, frame_type: str, data: dict) -> None:
        """Runs on the database pool, authorised just now (recheck_types): call the service."""
        session = self.session
        if "examinee" not in data:
            self.act_on_class(user, frame_type, data)
            return
        try:
            seat = get_seat_for_proctor(session, data["examinee"])
        except Http404:
            raise ServiceError("No such session or examinee.", code="not_found") from None
        match frame_type:
            case "warn":
                services.examinee_warn(session=session, seat=seat, text=data["text"], by=user)
            case "pause":
                services.examinee_pause(session=session, seat=seat, by=user)
            case "resume":
                services.examinee_resume(session=session, seat=seat, by=user)
            case "extend":
                services.examinee_extend(session=session, seat=seat, minutes=data["minutes"], by=user)
            case "acknowledge":
                services.examinee_acknowledge(session=session, seat=seat, by=user)

    def act_on_class(self, user: User, frame_type: str, data: dict) -> None:
        """The commands about the session and the whole class (docs/design.md §4)."""
        session = self.session
        match frame_type:
            case "start":
                services.session_start(session=session, by=user)
            case "end":
                services.session_end(session=session, by=user)
            case "announce":
                services.session_announce(session=session, text=data["text"], by=user)
            case "pause_all":
                services.session_pause_all(session=session, by=user)
            case "resume_all":
                services.session_resume_all(session=session, by=user)
            case "extend_all":
                services.session_extend_all(session=session, minutes=data["minutes"], by=user)

    async def proctor_frames(self, event):
        for frame in event["frames"]:
            await self.send_frame(frame)


class ExamConsumer(FrameConsumer):
    """/ws/exam/<session_id>/: an examinee of the session's class."""

    frames = EXAMINEE_FRAMES
    # A browser sends a heartbeat every 15 s and signals in bursts (a flurry of tab switches).
    frame_limits = {"default": (20, 5), "heartbeat": (5, 1), "signal": (20, 5)}
    immediate_types = frozenset({"heartbeat"})
    close_when_silent = True  # presence: a socket not heard from is closed and its pupil away

    async def connect(self):
        user = self.scope["user"]
        self.session = None
        try:
            session = await run_db(get_session_for_examinee, user, self.scope["url_route"]["kwargs"]["session_id"])
        except Http404:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        if session.status == ProctoredSession.Status.ENDED:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        await self.join(session.examinees_group, session.examinee_group(user.pk), user_group(user.pk))
        await self.accept()
        self.ip = (self.scope.get("client") or [None])[0]
        self.silent_since: datetime.datetime | None = None
        try:
            state = await run_db(
                presence.connection_open,
                session=session,
                examinee=user,
                channel_name=self.channel_name,
                ip=self.ip,
                process=process.process_name(),
                open_here=process.is_open_here,
            )
        except ServiceError as error:
            await self.send_error(error.code, str(error))
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        self.session = session
        await self.send_frame(state)

    async def close_silent(self, last_heard: datetime.datetime) -> None:
        """Nothing heard for the presence timeout (sockets/process.py): away since the last frame."""
        self.silent_since = last_heard
        await self.close(code=CLOSE_SILENT)

    async def disconnect(self, code):
        await super().disconnect(code)
        if self.session is not None:
            await run_db(presence.connection_close, channel_name=self.channel_name, at=self.silent_since)

    @classmethod
    def still_allowed_many(cls, checks: list[tuple[ExamConsumer, User]]) -> dict[str, ServiceError]:
        """Still on the session's class roster today (what get_session_for_examinee checks at
        connect), for all the sockets due at once.
        """
        seated = [(consumer, user) for consumer, user in checks if consumer.session is not None]
        still_in = examinees_still_in({c.session.pk for c, _user in seated}, {user.pk for _c, user in seated})
        return {
            consumer.channel_name: ServiceError("You are no longer in this session.", code="not_found")
            for consumer, user in seated
            if not user.is_examinee or (consumer.session.pk, user.pk) not in still_in
        }

    async def handle(self, user: User, frame_type: str, data: dict) -> None:
        if self.session is None:
            raise ServiceError("Not connected to a session.", code="not_ready")
        if frame_type == "heartbeat":
            if data.get("id"):
                await self.send_frame({"type": "ack", "id": data["id"]})
            return
        if frame_type == "hand":
            # Stored before it is confirmed, like a signal: the raised hand survives a reconnect.
            await run_db(services.hand_raise, session=self.session, examinee=user)
            await self.send_frame({"type": "hand", "raised": True})
            return
        item = services.SignalItem(
            session_id=self.session.pk,
            examinee_id=user.pk,
            kind=data["kind"],
            client_id=data["id"],
            client_ts=data.get("client_ts"),
            duration_ms=data.get("duration_ms"),
        )
        await SIGNALS.submit(item)
        await self.send_frame({"type": "ack", "id": str(data["id"])})

    async def exam_frame(self, event):
        await self.send_frame(event["frame"])
