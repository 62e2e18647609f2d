"""What proctoring broadcasts: numbered events to proctors, frames to examinees.

Services call these inside their transaction; sockets.publish sends after
commit. Delivery is at-most-once, so every event to a proctor carries the
session's sequence number and clients that see a gap ask for a snapshot
(docs/protocol.md §2.3).
"""

from __future__ import annotations

from django.db.models import F

from proctoring.live import tile, tiles
from proctoring.models import ProctoredSession
from sockets.publish import publish


def next_seq(session, count: int = 1) -> int:
    """Take the session's next `count` event numbers; returns the last. Call inside the transaction
    that made the change: the row lock it takes orders events as their transactions commit.
    """
    ProctoredSession.objects.filter(pk=session.pk).update(seq=F("seq") + count)
    session.seq = ProctoredSession.objects.values_list("seq", flat=True).get(pk=session.pk)
    return session.seq


def _to_proctors(session, frames: list[dict], *, numbered_from: int | None = None) -> None:
    """Events in one broadcast, numbered one after the other. `numbered_from`: the session's number
    before them, when the caller holds the session's row lock and writes the new number itself (a
    group commit writes the numbers of all its sessions in one statement).
    """
    if not frames:
        return
    last = next_seq(session, len(frames)) if numbered_from is None else numbered_from + len(frames)
    for offset, frame in enumerate(frames):
        frame["seq"] = last - len(frames) + 1 + offset
    publish(session.proctor_group, {"type": "proctor.frames", "frames": frames})


def announce_tile(session, examinee_id: int) -> None:
    """The examinee's tile changed: send the whole tile, numbered."""
    _to_proctors(session, [{"type": "examinee", "examinee": tile(session, examinee_id)}])


def announce_progress(session, examinee_id: int, answered: int, total: int) -> None:
    """Only the examinee's answered count changed (an answer saved): a small event instead of the
    whole tile, which costs a dozen queries to build (docs/protocol.md §2.2).
    """
    _to_proctors(session, [{"type": "progress", "examinee": examinee_id, "answered": answered, "total": total}])


def announce_tiles(session, examinee_ids: list[int]) -> None:
    """Several tiles changed (the start): built together, sent in one broadcast."""
    _to_proctors(session, [{"type": "examinee", "examinee": found} for found in tiles(session, examinee_ids)])


def announce_session(session) -> None:
    _to_proctors(session, [{"type": "session", "status": session.status}])


def announce_signal(signal) -> None:
    _to_proctors(signal.session, [signal_frame(signal)])


def announce_signals(session, signals: list) -> None:
    """Signals of one session stored together (a group commit): one broadcast. The caller holds
    the session's row lock and saves `session.seq`, moved on here by the number of signals.
    """
    before, session.seq = session.seq, session.seq + len(signals)
    _to_proctors(session, [signal_frame(signal) for signal in signals], numbered_from=before)


def signal_frame(signal) -> dict:
    return {
        "type": "signal",
        "examinee": signal.examinee_id,
        "kind": signal.kind,
        "id": str(signal.client_id),
        "at": signal.at.isoformat(),
        "last_at": signal.last_at.isoformat(),
        "count": signal.count,
        "duration_ms": signal.duration_ms,
        "from_server": signal.from_server,
    }


def tell_examinee(session, examinee_id: int, frame: dict) -> None:
    publish(session.examinee_group(examinee_id), {"type": "exam.frame", "frame": frame})


def tell_examinees(session, frame: dict) -> None:
    publish(session.examinees_group, {"type": "exam.frame", "frame": frame})
