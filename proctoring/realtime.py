"""The one broadcast point. Only services call `publish`, and only after commit.

The channel layer is a notification bus, not storage (DESIGN §9): delivery is
at-most-once, so every event to a proctor carries the session's sequence
number and clients that see a gap ask for a snapshot.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F

from proctoring.live import tile
from proctoring.models import ProctoredSession

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """Every socket of a user joins this group, so signing out or suspension can close them all."""
    return f"user.{user_id}"


def publish(group: str, event: dict) -> None:
    """Send `event` to `group` once the current transaction commits (at once outside one)."""

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(group, event)
        except Exception:  # the bus is best effort; clients recover by snapshot
            logger.exception("broadcast to %s failed", group)

    transaction.on_commit(send)


def close_user_sockets(user_id: int) -> None:
    publish(user_group(user_id), {"type": "force.close"})


def next_seq(session) -> int:
    """Take the session's next event number. Call inside the transaction that made the change:
    the row lock it takes orders events as their transactions commit."""
    ProctoredSession.objects.filter(pk=session.pk).update(seq=F("seq") + 1)
    session.seq = ProctoredSession.objects.values_list("seq", flat=True).get(pk=session.pk)
    return session.seq


def _to_proctors(session, frame: dict) -> None:
    publish(session.proctor_group, {"type": "proctor.frame", "frame": frame})


def announce_tile(session, examinee_id: int) -> None:
    """The examinee's tile changed: send the whole tile, numbered."""
    seq = next_seq(session)
    _to_proctors(session, {"type": "examinee", "examinee": tile(session, examinee_id), "seq": seq})


def announce_session(session) -> None:
    seq = next_seq(session)
    _to_proctors(session, {"type": "session", "status": session.status, "seq": seq})


def announce_signal(signal) -> None:
    seq = next_seq(signal.session)
    _to_proctors(
        signal.session,
        {
            "type": "signal",
            "examinee": signal.examinee_id,
            "kind": signal.kind,
            "id": str(signal.client_id),
            "at": signal.at.isoformat(),
            "last_at": signal.last_at.isoformat(),
            "count": signal.count,
            "duration_ms": signal.duration_ms,
            "from_server": signal.from_server,
            "seq": seq,
        },
    )


def tell_examinee(session, examinee_id: int, frame: dict) -> None:
    publish(session.examinee_group(examinee_id), {"type": "exam.frame", "frame": frame})


def tell_examinees(session, frame: dict) -> None:
    publish(session.examinees_group, {"type": "exam.frame", "frame": frame})
