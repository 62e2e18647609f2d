"""A bare websocket relay with Kantoku's live routes: the floor that bench_live.py compares Kantoku with.

    .venv/bin/python benchmarks/relay.py --port 8765        # 127.0.0.1 only

It speaks just enough of docs/protocol.md for bench_live.py's client, with no
authentication, no database and no channel layer, in one process (asyncio and
the `websockets` package):

- `/ws/exam/<session>/`: on connect a `state` frame (no attempt while the
  session is open); `heartbeat` with an `id` → `ack`; `signal` → a `signal`
  frame with the same `id` and the session's next `seq` to the session's
  proctors, then an `ack` to the sender (Kantoku's order: stored, announced,
  acknowledged);
- `/ws/proctor/<session>/`: on connect a `snapshot`; `snapshot` → a
  `snapshot`; `start` → the session is running: to the proctors one
  `examinee` frame per pupil present and a `session` frame, to every pupil a
  `state` frame with an attempt and a `session` frame (Kantoku's frames, in
  Kantoku's order); a second `start` → `error` `not_open`.

A pupil connecting or leaving announces an `examinee` frame to the proctors, as
Kantoku announces the changed tile. Anything else gets an `error` frame
(`bad_json`, `unknown_type`) and the socket stays open; other paths are closed
with 4403. Nothing is stored: sessions exist from their first socket on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import signal
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

ROUTE = re.compile(r"/ws/(exam|proctor)/(\d+)/")
CLOSE_NOT_ALLOWED = 4403
EXAM_MINUTES = 10
attempt_ids = itertools.count(1)
pupil_ids = itertools.count(1)


@dataclass
class Room:
    """One proctored session: its sockets, its event counter and whether it runs."""

    session_id: int
    status: str = "open"
    seq: int = 0
    proctors: set[ServerConnection] = field(default_factory=set)
    pupils: dict[ServerConnection, int] = field(default_factory=dict)  # socket → pupil id
    attempts: dict[int, int] = field(default_factory=dict)  # pupil id → attempt id

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def to_proctors(self, frame: dict) -> None:
        broadcast(self.proctors, json.dumps(frame))

    def tile(self, pupil_id: int, online: bool) -> dict:
        return {"id": pupil_id, "online": online, "attempt": self.attempts.get(pupil_id)}

    def announce_tile(self, pupil_id: int, online: bool) -> None:
        self.to_proctors({"type": "examinee", "examinee": self.tile(pupil_id, online), "seq": self.next_seq()})

    def state(self, pupil_id: int) -> dict:
        attempt = self.attempts.get(pupil_id)
        return {
            "type": "state",
            "session": {"id": self.session_id, "status": self.status},
            "attempt": None
            if attempt is None
            else {"id": attempt, "status": "running", "remaining_ms": EXAM_MINUTES * 60_000},
            "deadline": None,
        }

    def snapshot(self) -> dict:
        return {
            "type": "snapshot",
            "session": {"id": self.session_id, "status": self.status},
            "examinees": [self.tile(pupil_id, True) for pupil_id in self.pupils.values()],
            "seq": self.seq,
        }


rooms: dict[int, Room] = {}


def error(code: str, message: str) -> str:
    return json.dumps({"type": "error", "code": code, "message": message})


def read(message: str | bytes) -> dict | str:
    """The frame as a dict, or the error frame to answer."""
    if not isinstance(message, str):
        return error("bad_frame", "Frames are JSON text.")
    try:
        frame = json.loads(message)
    except ValueError:
        return error("bad_json", "The frame is not valid JSON.")
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return error("bad_frame", "A frame is a JSON object with a string `type`.")
    return frame


async def exam(socket: ServerConnection, room: Room) -> None:
    pupil_id = next(pupil_ids)
    room.pupils[socket] = pupil_id
    room.announce_tile(pupil_id, True)
    if room.status == "running":
        room.attempts.setdefault(pupil_id, next(attempt_ids))
    try:
        await socket.send(json.dumps(room.state(pupil_id)))
        async for message in socket:
            frame = read(message)
            if isinstance(frame, str):
                await socket.send(frame)
            elif frame["type"] == "heartbeat":
                if frame.get("id"):
                    await socket.send(json.dumps({"type": "ack", "id": str(frame["id"])[:64]}))
            elif frame["type"] == "signal":
                room.to_proctors(
                    {
                        "type": "signal",
                        "examinee": pupil_id,
                        "kind": frame.get("kind"),
                        "id": frame.get("id"),
                        "at": frame.get("client_ts"),
                        "last_at": frame.get("client_ts"),
                        "count": 1,
                        "duration_ms": frame.get("duration_ms"),
                        "from_server": False,
                        "seq": room.next_seq(),
                    }
                )
                await socket.send(json.dumps({"type": "ack", "id": frame.get("id")}))
            else:
                await socket.send(error("unknown_type", "Unknown frame type."))
    except ConnectionClosed:
        pass
    finally:
        room.pupils.pop(socket, None)
        room.announce_tile(pupil_id, False)


async def proctor(socket: ServerConnection, room: Room) -> None:
    room.proctors.add(socket)
    try:
        await socket.send(json.dumps(room.snapshot()))
        async for message in socket:
            frame = read(message)
            if isinstance(frame, str):
                await socket.send(frame)
            elif frame["type"] == "snapshot":
                await socket.send(json.dumps(room.snapshot()))
            elif frame["type"] == "start":
                if room.status != "open":
                    await socket.send(error("not_open", "The test is not in the waiting room."))
                    continue
                room.status = "running"
                for pupil_socket, pupil_id in list(room.pupils.items()):
                    room.attempts[pupil_id] = next(attempt_ids)
                    room.announce_tile(pupil_id, True)
                    broadcast([pupil_socket], json.dumps(room.state(pupil_id)))
                room.to_proctors({"type": "session", "status": room.status, "seq": room.next_seq()})
                broadcast(room.pupils, json.dumps({"type": "session", "status": room.status}))
            else:
                await socket.send(error("unknown_type", "Unknown frame type."))
    except ConnectionClosed:
        pass
    finally:
        room.proctors.discard(socket)


async def handler(socket: ServerConnection) -> None:
    route = ROUTE.fullmatch(socket.request.path)
    if route is None:
        await socket.close(CLOSE_NOT_ALLOWED)
        return
    session_id = int(route[2])
    room = rooms.setdefault(session_id, Room(session_id))
    await (exam if route[1] == "exam" else proctor)(socket, room)


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.cancel)
    # As daphne: no compression, a ping every 20 s and 30 s for the pong.
    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=20, ping_timeout=30):
        print(f"relay listening on ws://127.0.0.1:{port}/", flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    asyncio.run(main(parser.parse_args().port))
