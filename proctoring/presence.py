"""Who is in the room: examinees' sockets, absences, and the integrity signals they raise.

Presence is kept where it is cheap (docs/design.md §10):

- a socket's heartbeats are counted in its own process only (no database
  work): the process's tick closes a socket silent for
  LIVE_PRESENCE_TIMEOUT_SECONDS (close 4408), dated from the last frame heard;
- the database holds one Connection row per open socket, naming the process
  that holds it; a row counts only while that process's lease is fresh
  (sockets/process.py). A process that dies leaves rows that stop counting
  when its lease runs out, and are cleared by the next tick of any process,
  dated at the dead process's last renewal;
- an absence shows on the tile at once; `connection_lost` is raised only past
  OFFLINE_GRACE (a page load is not misconduct), dated when the examinee left,
  by the tick or at the reconnect, whichever is first; `connection_restored`
  follows with the time away;
- `second_connection` is raised only for two sockets known to be alive at
  once: another open socket of this process at once, one of another process
  when that process renews its lease after the new socket opened (so a socket
  left behind by a crashed process never makes a reconnect look like a second
  device).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from classrooms.models import User
from exams import services as exam_services
from exams.models import Attempt
from proctoring import realtime
from proctoring.live import examinee_state
from proctoring.models import Connection, ProctoredSession, Seat, Signal
from proctoring.services import _locked, _server_signal
from sockets.models import ServerProcess
from sockets.process import lease, live_processes, on_tick, renew

# A page load (waiting room → test, a reload) drops the socket for a moment; an
# absence shorter than this is shown on the tile but raises no integrity signal.
OFFLINE_GRACE = datetime.timedelta(seconds=10)

# When this process started: its own rows from before (a restart under the same name) are stale.
PROCESS_STARTED = timezone.now()


def connection_open(
    *,
    session: ProctoredSession,
    examinee: User,
    channel_name: str,
    ip: str | None,
    process: str,
    open_here: Callable[[str], bool] = lambda channel_name: False,
) -> dict:
    """An examinee's socket connected. Returns the `state` frame to send them.

    `open_here(channel_name)` tells whether a socket of this process is open. In
    a running session a seated examinee who has no attempt yet starts now (they
    were offline at the start, or joined late).
    """
    with transaction.atomic():
        session = _locked(session)
        now = timezone.now()  # after the lock: a close that held it has written its time already
        seat, _created = Seat.objects.select_for_update().get_or_create(session=session, examinee=examinee)
        renew(process, now)  # the row below counts from now on, whether or not this process has ticked yet
        others = list(seat.connections.filter(process__in=live_processes(now)).values_list("process", "channel_name"))
        if any(name == process and open_here(channel) for name, channel in others):
            _server_signal(session, examinee.pk, Signal.Kind.SECOND_CONNECTION)
        if seat.last_ip and ip and seat.last_ip != ip:
            _server_signal(session, examinee.pk, Signal.Kind.IP_CHANGED)
        if seat.offline_since is not None:
            away = max(now - seat.offline_since, datetime.timedelta(0))  # two servers' clocks may differ
            if not seat.loss_signalled and away >= OFFLINE_GRACE:
                _server_signal(session, examinee.pk, Signal.Kind.CONNECTION_LOST, at=seat.offline_since)
                seat.loss_signalled = True
            if seat.loss_signalled:
                duration_ms = int(away.total_seconds() * 1000)
                _server_signal(session, examinee.pk, Signal.Kind.CONNECTION_RESTORED, duration_ms=duration_ms)
        seat.offline_since, seat.loss_signalled, seat.last_seen_at = None, False, now
        seat.last_ip = ip or seat.last_ip
        seat.save(update_fields=["offline_since", "loss_signalled", "last_seen_at", "last_ip"])
        elsewhere = any(name != process for name, _channel in others)
        Connection.objects.create(
            seat=seat, channel_name=channel_name, ip=ip, process=process, opened_at=now, overlap_pending=elsewhere
        )
        if session.status == ProctoredSession.Status.RUNNING:
            attempt, _created = exam_services.attempt_start(session=session, examinee=examinee, now=now)
            exam_services.attempt_finish_if_due(attempt=attempt, now=now)
        realtime.announce_tile(session, examinee.pk)
        return examinee_state(session, examinee.pk)


def connection_close(*, channel_name: str, at: datetime.datetime | None = None) -> None:
    """A socket closed. When it was the examinee's last, they are offline from now (or from `at`)."""
    now = timezone.now()
    with transaction.atomic():
        connection = Connection.objects.select_related("seat__session").filter(channel_name=channel_name).first()
        if connection is None:
            return
        seat, session = connection.seat, _locked(connection.seat.session)
        connection.delete()
        if not seat.connections.filter(process__in=live_processes(now)).exists():
            # Offline from now on the tile; the integrity signal waits for OFFLINE_GRACE (flag_absences).
            Seat.objects.filter(pk=seat.pk).update(offline_since=min(at or now, now), loss_signalled=False)
        realtime.announce_tile(session, seat.examinee_id)


def clear_dead_connections(process: str, now: datetime.datetime | None = None) -> int:
    """Close the rows of processes whose lease ran out (and this process's own from before a
    restart), each dated when its process was last known alive. Returns how many.
    """
    now = now or timezone.now()
    dead = dict(ServerProcess.objects.filter(renewed_at__lt=now - lease()).values_list("name", "renewed_at"))
    rows = list(
        Connection.objects.filter(process__in=list(dead)).values_list("channel_name", "process")
        | Connection.objects.filter(process=process, opened_at__lt=PROCESS_STARTED).values_list(
            "channel_name", "process"
        )
    )
    for channel_name, owner in rows:
        connection_close(channel_name=channel_name, at=dead.get(owner, PROCESS_STARTED))
    # A dead process with nothing left to clear is forgotten.
    ServerProcess.objects.filter(name__in=list(dead)).exclude(name__in=Connection.objects.values("process")).delete()
    return len(rows)


def flag_absences(now: datetime.datetime | None = None) -> None:
    """Raise `connection_lost` for examinees away longer than OFFLINE_GRACE, dated when they left.

    Nobody is flagged after handing in, nor once the session has ended.
    """
    now = now or timezone.now()
    handed_in = Attempt.objects.filter(
        session_id=OuterRef("session_id"), examinee_id=OuterRef("examinee_id"), status=Attempt.Status.FINISHED
    )
    away = (
        Seat.objects.filter(
            session__status__in=[ProctoredSession.Status.OPEN, ProctoredSession.Status.RUNNING],
            offline_since__lte=now - OFFLINE_GRACE,
            loss_signalled=False,
        ).exclude(Exists(handed_in))  # gone after handing in: nothing to watch any more
    )
    for session_id in set(away.values_list("session_id", flat=True)):
        with transaction.atomic():
            session = _locked(ProctoredSession(pk=session_id))
            if session.status == ProctoredSession.Status.ENDED:
                continue
            for seat in away.filter(session_id=session_id).select_for_update(of=("self",)):
                _server_signal(session, seat.examinee_id, Signal.Kind.CONNECTION_LOST, at=seat.offline_since)
                seat.loss_signalled = True
                seat.save(update_fields=["loss_signalled"])


def flag_overlaps() -> None:
    """Decide the sockets that opened while another process held one of the same examinee:
    `second_connection` once that other process has renewed its lease since, with the socket
    still there; nothing when the other socket is gone (it was a reconnect).
    """
    for connection in Connection.objects.filter(overlap_pending=True).select_related("seat__session"):
        with transaction.atomic():
            session = _locked(connection.seat.session)
            current = Connection.objects.select_for_update().filter(pk=connection.pk, overlap_pending=True).first()
            if current is None:
                continue
            others = Connection.objects.filter(seat_id=current.seat_id).exclude(pk=current.pk)
            if not others.exists():
                Connection.objects.filter(pk=current.pk).update(overlap_pending=False)
                continue
            alive_since = ServerProcess.objects.filter(
                name__in=others.values("process"), renewed_at__gt=current.opened_at
            )
            if alive_since.exists():
                Connection.objects.filter(pk=current.pk).update(overlap_pending=False)
                if session.status != ProctoredSession.Status.ENDED:
                    _server_signal(session, current.seat.examinee_id, Signal.Kind.SECOND_CONNECTION)


@on_tick
def presence_tick(process: str) -> None:
    """Every tick of every process (sockets/process.py)."""
    now = timezone.now()
    clear_dead_connections(process, now)
    flag_absences(now)
    flag_overlaps()
