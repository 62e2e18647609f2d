"""What the live screens show: the proctor's tiles and snapshot, the examinee's state.

Read-only and in a constant number of queries per call, so a snapshot of 40
examinees costs the same as one of 4.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.utils import timezone

from classrooms.access import roster_of
from exams.models import Attempt
from proctoring.models import Connection, Incident, ProctoredSession, Revocation, Seat, Signal
from sockets.process import live_processes


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _attempt_fields(attempt: Attempt | None, answered: int, now: datetime.datetime) -> dict:
    if attempt is None:
        return {"attempt": None, "answered": 0, "total": 0, "deadline": None, "remaining_ms": None}
    return {
        "attempt": attempt.pk,
        "answered": answered,
        "total": attempt.total,
        "deadline": _iso(attempt.deadline),
        "remaining_ms": int(attempt.remaining(now).total_seconds() * 1000),
        "extra_minutes": attempt.extra_minutes,
        "finish_reason": attempt.finish_reason or None,
    }


def _state(seat: Seat | None, attempt: Attempt | None) -> str:
    if attempt is not None:
        return {
            Attempt.Status.RUNNING: "answering",
            Attempt.Status.PAUSED: "paused",
            Attempt.Status.FINISHED: "submitted",
        }[attempt.status]
    return "waiting" if seat is not None else "absent"


def tiles(session: ProctoredSession, examinee_ids: list[int] | None = None) -> list[dict]:
    """One tile per examinee on the class roster (or of `examinee_ids`), in roster order."""
    now = timezone.now()
    enrollments = roster_of(session.school_class)
    if examinee_ids is not None:
        enrollments = enrollments.filter(examinee_id__in=examinee_ids)
    enrollments = list(enrollments)
    ids = [enrollment.examinee_id for enrollment in enrollments]
    seats = {seat.examinee_id: seat for seat in Seat.objects.filter(session=session, examinee_id__in=ids)}
    live = dict(
        Connection.objects.filter(seat__session=session, seat__examinee_id__in=ids, process__in=live_processes(now))
        .values_list("seat__examinee_id")
        .annotate(n=Count("id"))
    )
    attempts = {
        attempt.examinee_id: attempt
        for attempt in Attempt.objects.filter(session=session, examinee_id__in=ids).annotate(
            answered=Count(
                "questions", filter=Q(questions__answer__isnull=False) | Q(questions__response__isnull=False)
            ),
            revoked=Exists(Revocation.objects.filter(attempt=OuterRef("pk"))),
        )
    }
    incidents = dict(
        Incident.objects.filter(session=session, subject_id__in=ids)
        .values_list("subject_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    flags: dict[int, list[dict]] = {}
    for row in (
        Signal.objects.filter(session=session, examinee_id__in=ids)
        .values("examinee_id", "kind")
        .annotate(count=Sum("count"), last_at=Max("last_at"))
        .order_by("last_at")
    ):
        # New: since the teacher last acknowledged this pupil (nothing is deleted: the report keeps all).
        seen = getattr(seats.get(row["examinee_id"]), "flags_seen_at", None)
        flags.setdefault(row["examinee_id"], []).append(
            {
                "kind": row["kind"],
                "count": row["count"],
                "last_at": _iso(row["last_at"]),
                "new": seen is None or row["last_at"] > seen,
            }
        )
    result = []
    for enrollment in enrollments:
        examinee = enrollment.examinee
        seat, attempt = seats.get(examinee.pk), attempts.get(examinee.pk)
        online = live.get(examinee.pk, 0) > 0
        own_flags = flags.get(examinee.pk, [])
        result.append(
            {
                "id": examinee.pk,
                "name": examinee.name,
                "number": enrollment.number,
                "online": online,
                "connections": live.get(examinee.pk, 0),
                "offline_since": None if online or seat is None else _iso(seat.offline_since or seat.last_seen_at),
                "state": _state(seat, attempt),
                "warnings": seat.warnings if seat else 0,
                "flags": own_flags,
                "attention": sum(flag["new"] and flag["kind"] not in Signal.RETURN_KINDS for flag in own_flags),
                "hand_raised": seat is not None and seat.hand_raised_at is not None,
                "accommodation": None if enrollment.time_multiplier == 1 else float(enrollment.time_multiplier),
                "incidents": incidents.get(examinee.pk, 0),
                "revoked": getattr(attempt, "revoked", False),
                **_attempt_fields(attempt, getattr(attempt, "answered", 0), now),
            }
        )
    return result


def tile(session: ProctoredSession, examinee_id: int) -> dict | None:
    found = tiles(session, [examinee_id])
    return found[0] if found else None


def session_fields(session: ProctoredSession) -> dict:
    return {
        "id": session.pk,
        "status": session.status,
        "exam": session.exam.plain_title,
        "class": session.school_class.name,
        "started_at": _iso(session.started_at),
        "ended_at": _iso(session.ended_at),
    }


def snapshot(session: ProctoredSession) -> dict:
    """The proctor's full picture exactly as of `seq`.

    Every event takes the session's row lock (realtime.next_seq) before it
    commits, so holding that lock here lets nothing land in between.
    """
    with transaction.atomic():
        current = (
            ProctoredSession.objects.select_for_update()
            .values("seq", "status", "started_at", "ended_at")
            .get(pk=session.pk)
        )
        for field, value in current.items():
            setattr(session, field, value)
        return {
            "type": "snapshot",
            "session": session_fields(session),
            "examinees": tiles(session),
            "seq": session.seq,
            "now": _iso(timezone.now()),
        }


def examinee_state(session: ProctoredSession, examinee_id: int) -> dict:
    """The `state` frame: what an examinee's page needs to show where they are."""
    session.refresh_from_db(fields=["status", "started_at", "ended_at"])
    return examinee_states(session, [examinee_id])[examinee_id]


def examinee_states(session: ProctoredSession, examinee_ids: list[int]) -> dict[int, dict]:
    """`state` frames of several examinees of a session whose status the caller holds, in one query."""
    now = timezone.now()
    attempts = {
        attempt.examinee_id: attempt
        for attempt in Attempt.objects.filter(session=session, examinee_id__in=examinee_ids)
    }
    raised = set(
        Seat.objects.filter(session=session, examinee_id__in=examinee_ids, hand_raised_at__isnull=False).values_list(
            "examinee_id", flat=True
        )
    )
    return {
        examinee_id: _state_frame(session, attempts.get(examinee_id), now, hand_raised=examinee_id in raised)
        for examinee_id in examinee_ids
    }


def _state_frame(
    session: ProctoredSession, attempt: Attempt | None, now: datetime.datetime, *, hand_raised: bool
) -> dict:
    """`hand_raised` lets a page opened again (the attempt after the waiting room, a reload) show
    that the teacher has not answered the pupil's call yet.
    """
    fields = _attempt_fields(attempt, 0, now)
    return {
        "type": "state",
        "session": {"id": session.pk, "status": session.status},
        "attempt": None
        if attempt is None
        else {"id": attempt.pk, "status": attempt.status, "remaining_ms": fields["remaining_ms"]},
        "deadline": fields["deadline"],
        "hand_raised": hand_raised,
    }
