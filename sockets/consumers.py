"""The frame consumer every websocket route extends (docs/protocol.md §1–3).

What it guarantees, for every route:

- a frame is read safely (sockets/frames.py) and validated by the route's
  forms; a bad frame gets an `error` frame and the socket stays open;
- rate limits per frame type, before any database work;
- frames are handled one after the other per socket, on a task of the socket's
  own, so a slow one (a proctor's `start` for 40 pupils) never stops the socket
  from receiving its channel-layer events meanwhile;
- authority is pushed, and re-checked with a bound: sign-out, suspension, a
  password change or an organization going out of service close every socket
  of the user at once (`force.close`, 4401, sockets/publish.py). In case that
  broadcast was lost, the account and the browser session are loaded again
  before a frame of a state-changing type (`recheck_types`), and before any
  other frame once the last check is older than LIVE_RECHECK_SECONDS. So a
  socket acts on authority at most that old, and never on stale authority for
  a state change. Routes add their own re-check (`still_allowed`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from classrooms import two_factor
from classrooms.access import account_in_good_standing
from classrooms.models import Membership, User
from classrooms.schoolyear import today
from config.errors import ServiceError
from sockets import process
from sockets.executor import run_db
from sockets.frames import read_frame, validate

logger = logging.getLogger(__name__)

CLOSE_SIGNED_OUT = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_SILENT = 4408  # nothing heard from the client for PRESENCE_TIMEOUT: it reconnects
CLOSE_TOO_SLOW = 4429  # the client did not keep up with its frames: it reconnects and resyncs
MAX_QUEUED_FRAMES = 100  # frames of one socket waiting for their turn; past it they are refused
RECHECK = "__recheck__"  # a queue entry that only re-checks authority (frame types are never this)


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


def fresh_users(pairs: list[tuple[int, str | None]]) -> dict[tuple[int, str | None], User | None]:
    """Each (user id, browser session key) pair's user as they are now, or None when they may no
    longer act, in a constant number of queries however many pairs.

    The account must be in good standing, and the browser session the socket
    was opened with must still exist and still belong to this user as they are
    now (signing out deletes it; suspension and a password change change the
    user's session hash). A key of None: no browser session to check.
    """
    today_ = today()
    users = User.objects.in_bulk({user_id for user_id, _key in pairs})
    for user in users.values():  # primed for account_in_good_standing: none, unless found below
        user.__dict__.setdefault("_membership_cache", {})[today_] = None
    for membership in (
        Membership.objects.active_on(today_).filter(user_id__in=list(users)).select_related("organization")
    ):
        membership.checked_on = today_
        users[membership.user_id]._membership_cache[today_] = membership
    store = SessionStore()
    sessions = {
        row.session_key: store.decode(row.session_data)
        for row in Session.objects.filter(
            session_key__in={key for _user_id, key in pairs if key}, expire_date__gt=timezone.now()
        )
    }
    found: dict[tuple[int, str | None], User | None] = {}
    for user_id, key in pairs:
        user = users.get(user_id)
        fresh = user is not None and account_in_good_standing(user)
        if fresh and key is not None:
            stored_hash = sessions.get(key, {}).get(HASH_SESSION_KEY, "")
            fresh = constant_time_compare(stored_hash, user.get_session_auth_hash())
        found[(user_id, key)] = user if fresh else None
    # A session that still owes its second factor acts on no socket (docs/design.md §1); e.g. after
    # the operator's reset deleted the device it was verified with.
    keyed = [(pair, user) for pair, user in found.items() if user is not None and pair[1] is not None]
    passed = two_factor.sessions_passed([(user, sessions.get(pair[1], {})) for pair, user in keyed])
    for (pair, _user), ok in zip(keyed, passed, strict=True):
        if not ok:
            found[pair] = None
    return found


def fresh_user(user_id: int, session_key: str | None) -> User | None:
    """`fresh_users` for one pair."""
    return fresh_users([(user_id, session_key)])[(user_id, session_key)]


def _handshake_verdict(scope) -> str:
    if not two_factor.socket_may_open(scope):
        return "second factor owed"
    user = scope["user"]
    if user.is_authenticated and not account_in_good_standing(user):
        return "not in good standing"
    return "ok"


class FrameConsumer(AsyncWebsocketConsumer):
    """JSON frames with a `type`, size-limited, validated by forms, errors as `error` frames."""

    frames: dict = {}
    groups_joined: list[str]
    # Rate limits per frame type, (burst, per second); `default` covers the other types and frames
    # that cannot be read. Over the limit a frame is dropped unread, and an `error` frame says so at
    # most once a second. Checked before any database work.
    frame_limits: dict[str, tuple[float, float]] = {"default": (60, 20)}
    # Frame types that change state: the account is loaded again before each one.
    recheck_types: frozenset[str] = frozenset()
    # Frame types answered at once, without waiting behind the socket's other frames (no database).
    immediate_types: frozenset[str] = frozenset()
    # Closed by the process's tick after LIVE_PRESENCE_TIMEOUT_SECONDS without a frame (sockets/process.py).
    close_when_silent = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.buckets: dict[str, TokenBucket] = {}
        self.dropped_at = 0.0
        self.user: User | None = None
        self.checked_at = 0.0
        self.queued: deque[tuple[str, dict]] = deque()
        self.worker: asyncio.Task | None = None
        self.last_frame_at = time.monotonic()

    async def dispatch(self, message):
        """Channels' dispatch, without its `aclose_old_connections()` before every message: that
        is a hop to asgiref's one shared thread for each frame and each event of every socket of
        the process, so all of them queued behind each other there (heartbeat acks took a
        minute at 1,000 sockets). This consumer's database work runs on the live pool
        (sockets/executor.py), which looks after its own connections.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- Connecting ----------------------------------------------------------------------

    async def join(self, *groups: str) -> None:
        self.groups_joined = list(groups)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def websocket_connect(self, message):
        """Before the route's own `connect`, in one trip to the database: a browser session that owes
        its second factor gets no socket at all (docs/design.md §1), and an account that may not act in
        an organization today (the backend also signs in an examinee between schools, docs/design.md §7,
        to one page and nothing live) is treated as anonymous, which every route refuses its own way.
        """
        verdict = await run_db(_handshake_verdict, self.scope)
        if verdict == "second factor owed":
            await self.close(code=CLOSE_NOT_ALLOWED)  # a refused handshake, like the routes' own
            return
        if verdict == "not in good standing":
            self.scope["user"] = AnonymousUser()
        await super().websocket_connect(message)

    async def accept(self, subprotocol=None, headers=None):
        """The handshake's user was loaded by AuthMiddlewareStack just now: that is the first check."""
        self.user, self.checked_at = self.scope["user"], time.monotonic()
        await super().accept(subprotocol, headers)
        process.register(self)

    async def websocket_disconnect(self, message):
        """Channels' own, without the hop to close old connections (see `dispatch`)."""
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def disconnect(self, code):
        process.unregister(self)
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()  # database calls already started finish on their thread
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    # --- Sending -------------------------------------------------------------------------

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_frame({"type": "error", "code": code, "message": message})

    async def force_close(self, event):
        await self.close(code=CLOSE_SIGNED_OUT)

    async def layer_overflow(self, event):
        """Events for this socket piled up past the layer's capacity (sockets/layers.py): rather
        than going on with a gap, the client reconnects and starts from a whole picture.
        """
        logger.warning("socket %s fell behind its events; closing it (4429)", self.channel_name)
        await self.close(code=CLOSE_TOO_SLOW)

    # --- Receiving -----------------------------------------------------------------------

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

    async def receive(self, text_data=None, bytes_data=None):
        try:
            frame_type, data = validate(read_frame(text_data, bytes_data), self.frames)
        except ServiceError as error:
            if await self.allowed("default"):
                await self.send_error(error.code, error.message)
            return
        if not await self.allowed(frame_type):
            return
        self.last_frame_at = time.monotonic()
        if frame_type in self.immediate_types:
            # Answered now, whatever waits in the queue; a re-check that is due waits its turn there.
            if self.needs_recheck(frame_type) and RECHECK not in (queued for queued, _data in self.queued):
                self.enqueue(RECHECK, {})
            await self.run_frame(frame_type, data)
            return
        if len(self.queued) >= MAX_QUEUED_FRAMES:
            await self.send_error("rate_limited", "Too many frames waiting; this one was dropped.")
            return
        self.enqueue(frame_type, data)

    def enqueue(self, frame_type: str, data: dict) -> None:
        self.queued.append((frame_type, data))
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self.work_through_frames())

    def needs_recheck(self, frame_type: str) -> bool:
        return frame_type in self.recheck_types or time.monotonic() - self.checked_at >= settings.LIVE_RECHECK_SECONDS

    async def work_through_frames(self) -> None:
        while self.queued:
            frame_type, data = self.queued.popleft()
            if self.needs_recheck(frame_type):
                try:
                    user = await run_db(self.recheck)
                except ServiceError as error:
                    await self.send_error(error.code, error.message)
                    await self.close(code=CLOSE_NOT_ALLOWED)
                    return
                if user is None:
                    await self.close(code=CLOSE_SIGNED_OUT)
                    return
                self.user, self.checked_at = user, time.monotonic()
            if frame_type == RECHECK:
                continue
            try:
                await self.run_frame(frame_type, data)
            except Exception:
                logger.exception("%s frame failed", frame_type)
                await self.send_error("server_error", "The server could not handle this frame; try again.")

    async def run_frame(self, frame_type: str, data: dict) -> None:
        try:
            await self.handle(self.user, frame_type, data)
        except ServiceError as error:
            await self.send_error(error.code, error.message)

    def recheck(self) -> User | None:
        """Runs on the database pool: the user as they are now, or None (close 4401); a route's own
        check raises ServiceError (close 4403).
        """
        result = self.recheck_many([self])[self.channel_name]
        if isinstance(result, ServiceError):
            raise result
        return result

    def still_allowed(self, user: User) -> None:
        """The route's own re-check (runs on the database pool); raise ServiceError to close with 4403."""

    @classmethod
    def recheck_many(cls, consumers: list[FrameConsumer]) -> dict[str, User | ServiceError | None]:
        """`recheck` for many sockets of this route at once (the tick's, below): by channel name,
        the user as they are now, None (close 4401) or the ServiceError of the route's check (4403).
        """
        keyed = {}  # a socket without a browser session (the key) is signed out
        for consumer in consumers:
            session = consumer.scope.get("session")
            if session is not None and session.session_key:
                keyed[consumer.channel_name] = (consumer.scope["user"].pk, session.session_key)
        users = fresh_users(list(keyed.values()))
        results: dict[str, User | ServiceError | None] = {
            consumer.channel_name: users.get(keyed.get(consumer.channel_name)) for consumer in consumers
        }
        allowed = [(consumer, results[consumer.channel_name]) for consumer in consumers]
        results.update(cls.still_allowed_many([(consumer, user) for consumer, user in allowed if user is not None]))
        return results

    @classmethod
    def still_allowed_many(cls, checks: list[tuple[FrameConsumer, User]]) -> dict[str, ServiceError]:
        """The route's own re-check for many sockets: the refused ones, by channel name. By default
        one `still_allowed` each; a route with many sockets does it in a few queries.
        """
        refused = {}
        for consumer, user in checks:
            try:
                consumer.still_allowed(user)
            except ServiceError as error:
                refused[consumer.channel_name] = error
        return refused

    async def handle(self, user: User, frame_type: str, data: dict) -> None:
        raise NotImplementedError


@process.on_tick_sockets
async def recheck_due(consumers: list[FrameConsumer]) -> None:
    """At every tick, re-check together the sockets whose last check will be too old before the
    next tick: a few queries per route for all of them, instead of a handful per socket as each
    one's next frame comes. Frames still re-check by themselves when this falls behind.
    """
    due_at = time.monotonic() - max(0.0, settings.LIVE_RECHECK_SECONDS - settings.LIVE_TICK_SECONDS)
    by_route: dict[type, list[FrameConsumer]] = {}
    for consumer in consumers:
        if consumer.checked_at <= due_at:
            by_route.setdefault(type(consumer), []).append(consumer)
    for route, due in by_route.items():
        checked_at = time.monotonic()
        results = await run_db(route.recheck_many, due)
        for consumer in due:
            result = results.get(consumer.channel_name)
            if isinstance(result, ServiceError):
                await consumer.send_error(result.code, result.message)
                await consumer.close(code=CLOSE_NOT_ALLOWED)
            elif result is None:
                await consumer.close(code=CLOSE_SIGNED_OUT)
            else:
                consumer.user, consumer.checked_at = result, checked_at
