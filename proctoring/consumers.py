"""Websocket consumers: thin. Connect = authenticate + access helper + join groups + snapshot;
receive = validate the frame, authorise it, call a service; handlers only format and send."""

from __future__ import annotations

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.http import Http404
from django.utils.crypto import constant_time_compare

from classrooms.access import account_in_good_standing
from classrooms.models import User
from proctoring import services
from proctoring.access import get_seat_for_proctor, get_session_for_examinee, get_session_for_viewer
from proctoring.frames import EXAMINEE_FRAMES, MAX_FRAME_BYTES, PROCTOR_FRAMES, strict_types
from proctoring.live import snapshot
from proctoring.models import ProctoredSession
from proctoring.realtime import user_group

CLOSE_NOT_ALLOWED = 4403
CLOSE_SIGNED_OUT = 4401


class ClientError(Exception):
    """Turned into an `error` frame; the socket stays open."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class TokenBucket:
    """Per-socket rate limit: a burst of `capacity`, then `rate` frames a second."""

    def __init__(self, capacity: float, rate: float):
        self.capacity, self.rate = capacity, rate
        self.tokens, self.stamp = capacity, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@database_sync_to_async
def _fresh_user(scope) -> User | None:
    """The socket's user as they are now, or None when they may no longer act.

    Suspension, memberships and sign-out change under an open socket: the
    account must be in good standing, and the browser session the socket was
    opened with must still exist and still belong to this user as they are now
    (signing out deletes it; suspension changes the user's session hash). So a
    lost broadcast of `force.close` cannot leave a usable socket behind.
    """
    session = scope.get("session")
    user = User.objects.filter(pk=scope["user"].pk).first()
    if user is None or session is None or not account_in_good_standing(user):
        return None
    stored = SessionStore(session_key=session.session_key)
    if not session.session_key or not stored.exists(session.session_key):
        return None
    if not constant_time_compare(stored.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return None
    return user


class FrameConsumer(AsyncWebsocketConsumer):
    """JSON frames with a `type`, size-limited, validated by forms, errors as `error` frames."""

    frames: dict = {}
    groups_joined: list[str]
    # Rate limits per frame type, (burst, per second); `default` covers the other types and frames
    # that cannot be read. Over the limit a frame is dropped unread, and an `error` frame says so at
    # most once a second. Checked before any database work.
    frame_limits: dict[str, tuple[float, float]] = {"default": (60, 20)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.buckets: dict[str, TokenBucket] = {}
        self.dropped_at = 0.0

    async def allowed(self, frame_type: str) -> bool:
        """Take a token for this frame type; when there is none, say so (once a second)."""
        limit = frame_type if frame_type in self.frame_limits else "default"
        bucket = self.buckets.get(limit)
        if bucket is None:
            bucket = self.buckets[limit] = TokenBucket(*self.frame_limits[limit])
        if bucket.take():
            return True
        now = time.monotonic()
        if now - self.dropped_at > 1:
            self.dropped_at = now
            await self.send_error("rate_limited", "Too many frames; some were dropped.")
        return False

    async def join(self, *groups: str) -> None:
        self.groups_joined = list(groups)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_frame({"type": "error", "code": code, "message": message})

    async def receive(self, text_data=None, bytes_data=None):
        try:
            frame_type, data = self.parse(text_data, bytes_data)
        except ClientError as error:
            if await self.allowed("default"):
                await self.send_error(error.code, error.message)
            return
        if not await self.allowed(frame_type):
            return
        user = await _fresh_user(self.scope)
        if user is None:
            await self.close(code=CLOSE_SIGNED_OUT)
            return
        try:
            await self.handle(user, frame_type, data)
        except ClientError as error:
            await self.send_error(error.code, error.message)

    def parse(self, text_data, bytes_data) -> tuple[str, dict]:
        if text_data is None:
            raise ClientError("bad_frame", "Frames are JSON text.")
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            raise ClientError("too_large", f"A frame is at most {MAX_FRAME_BYTES} bytes.")
        try:
            data = json.loads(text_data)
        except ValueError:
            raise ClientError("bad_json", "The frame is not valid JSON.") from None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise ClientError("bad_frame", "A frame is a JSON object with a string `type`.")
        if data["type"] not in self.frames:
            raise ClientError("unknown_type", "Unknown frame type.")
        form_class = self.frames[data["type"]]
        if form_class is None:
            return data["type"], {}
        form = form_class(data)
        if not strict_types(data, form_class) or not form.is_valid():
            raise ClientError("invalid", f"Invalid `{data['type']}` frame.")
        return data["type"], form.cleaned_data

    async def force_close(self, event):
        await self.close(code=CLOSE_SIGNED_OUT)


class ProctorConsumer(FrameConsumer):
    """/ws/proctor/<session_id>/: the session's teacher controls; org admins of its organization watch."""

    frames = PROCTOR_FRAMES

    async def connect(self):
        user = self.scope["user"]
        try:
            self.session, self.may_control = await database_sync_to_async(get_session_for_viewer)(
                user, self.scope["url_route"]["kwargs"]["session_id"]
            )
        except Http404:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        await self.join(self.session.proctor_group, user_group(user.pk))
        await self.accept()
        await self.send_frame(await database_sync_to_async(self.fresh_snapshot)())

    def fresh_snapshot(self) -> dict:
        """A snapshot after catching up with absences nobody reported (crashed browsers, long blips)."""
        services.presence_sweep(session_id=self.session.pk)
        return snapshot(self.session)

    async def handle(self, user: User, frame_type: str, data: dict) -> None:
        if frame_type == "snapshot":
            await self.send_frame(await database_sync_to_async(self.fresh_snapshot)())
            return
        if not self.may_control:
            raise ClientError("forbidden", "Only the session's proctor can do this.")
        await database_sync_to_async(self.act)(user, frame_type, data)

    def act(self, user: User, frame_type: str, data: dict) -> None:
        """Runs in a worker thread: authorise this frame afresh, then call the service."""
        try:
            session, may_control = get_session_for_viewer(user, self.session.pk)
            if not may_control:
                raise Http404
            seat = get_seat_for_proctor(session, data["examinee"]) if "examinee" in data else None
            match frame_type:
                case "start":
                    services.session_start(session=session, by=user)
                case "end":
                    services.session_end(session=session, by=user)
                case "warn":
                    services.examinee_warn(session=session, seat=seat, text=data["text"], by=user)
                case "pause":
                    services.examinee_pause(session=session, seat=seat, by=user)
                case "resume":
                    services.examinee_resume(session=session, seat=seat, by=user)
                case "extend":
                    services.examinee_extend(session=session, seat=seat, minutes=data["minutes"], by=user)
        except Http404:
            raise ClientError("not_found", "No such session or examinee.") from None
        except services.ProctoringError as error:
            raise ClientError(error.code, str(error)) from None

    async def proctor_frame(self, event):
        await self.send_frame(event["frame"])


class ExamConsumer(FrameConsumer):
    """/ws/exam/<session_id>/: an examinee of the session's class."""

    frames = EXAMINEE_FRAMES
    # A browser sends a heartbeat every 15 s and signals in bursts (a flurry of tab switches).
    frame_limits = {"default": (20, 5), "heartbeat": (5, 1), "signal": (20, 5)}

    async def connect(self):
        user = self.scope["user"]
        self.session = None
        try:
            session = await database_sync_to_async(get_session_for_examinee)(
                user, self.scope["url_route"]["kwargs"]["session_id"]
            )
        except Http404:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        if session.status == ProctoredSession.Status.ENDED:
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        await self.join(session.examinees_group, session.examinee_group(user.pk), user_group(user.pk))
        await self.accept()
        self.ip = (self.scope.get("client") or [None])[0]
        try:
            state = await database_sync_to_async(services.connection_open)(
                session=session, examinee=user, channel_name=self.channel_name, ip=self.ip
            )
        except services.ProctoringError as error:
            await self.send_error(error.code, str(error))
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        self.session = session
        await self.send_frame(state)

    async def disconnect(self, code):
        await super().disconnect(code)
        if self.session is not None:
            await database_sync_to_async(services.connection_close)(channel_name=self.channel_name)

    async def handle(self, user: User, frame_type: str, data: dict) -> None:
        if self.session is None:
            raise ClientError("not_ready", "Not connected to a session.")
        if frame_type == "heartbeat":
            state = await database_sync_to_async(services.connection_heartbeat)(
                session=self.session, examinee=user, channel_name=self.channel_name, ip=self.ip
            )
            if state is not None:
                await self.send_frame(state)
            if data.get("id"):
                await self.send_frame({"type": "ack", "id": data["id"]})
            return
        await database_sync_to_async(self.record_signal)(user, data)
        await self.send_frame({"type": "ack", "id": str(data["id"])})

    def record_signal(self, user: User, data: dict) -> None:
        try:
            session = get_session_for_examinee(user, self.session.pk)
            services.signal_record(
                session=session,
                examinee=user,
                kind=data["kind"],
                client_id=data["id"],
                client_ts=data.get("client_ts"),
                duration_ms=data.get("duration_ms"),
            )
        except Http404:
            raise ClientError("not_found", "You are no longer in this session.") from None
        except services.ProctoringError as error:
            raise ClientError(error.code, str(error)) from None

    async def exam_frame(self, event):
        await self.send_frame(event["frame"])
