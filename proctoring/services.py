"""Proctored sessions: open, enter, start, end; warnings, pauses, extra time; presence and signals;
incidents and revocation.

Each service is one transaction; broadcasts go out through proctoring.realtime
after commit. Proctor actions are authorised by the access helpers before a
service is called; services check the session's state.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from badges import services as badge_services
from badges.models import Award
from classrooms.models import AuditEntry, Organization, SchoolClass, User, audit_actions
from config.errors import ServiceError
from exams import services as exam_services
from exams.access import exam_may_be_started
from exams.models import Attempt, Exam
from proctoring import realtime
from proctoring.live import examinee_state, examinee_states
from proctoring.models import Incident, ProctoredSession, Revocation, Seat, Signal, SignalReceipt
from sockets.process import live_processes

# The audit log's action codes written here, and what the org admin reads for each (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {
        "incident.report": gettext_lazy("Incident recorded"),
        "incident.resolve": gettext_lazy("Incident decided"),
        "result.revoke": gettext_lazy("Result revoked"),
        "session.open": gettext_lazy("Test opened (waiting room)"),
        "session.start": gettext_lazy("Test started"),
        "session.end": gettext_lazy("Test ended"),
        "session.warn": gettext_lazy("Examinee warned during a test"),
        "session.extend": gettext_lazy("Extra time given"),
        "session.pause": gettext_lazy("Examinee paused during a test"),
        "session.resume": gettext_lazy("Examinee resumed during a test"),
        "session.announce": gettext_lazy("Announcement to the class during a test"),
        "session.pause_all": gettext_lazy("Whole class paused"),
        "session.resume_all": gettext_lazy("Whole class resumed"),
        "session.extend_all": gettext_lazy("Extra time given to the whole class"),
        "session.acknowledge": gettext_lazy("Examinee's flags and call acknowledged"),
    },
    details={
        "category": (gettext_lazy("category"), Incident.Category.choices),
        "decision": (gettext_lazy("decision"), Incident.Action.choices),
        "signals": gettext_lazy("signals"),
        "version": gettext_lazy("version"),
    },
)

BURST_WINDOW = datetime.timedelta(seconds=1)
MAX_EXTRA_MINUTES = 120
MAX_WARNING_LENGTH = 200
MAX_ANNOUNCEMENT_LENGTH = 200


def _locked(session: ProctoredSession) -> ProctoredSession:
    locked = ProctoredSession.objects.select_for_update().select_related("exam", "school_class").get(pk=session.pk)
    session.status, session.seq = locked.status, locked.seq
    return locked


def _not_ended(session: ProctoredSession) -> ProctoredSession:
    """The session, row-locked, unless it has ended."""
    locked = _locked(session)
    if locked.status == ProctoredSession.Status.ENDED:
        raise ServiceError(_("This test has ended."), code="ended")
    return locked


def _checked_minutes(minutes: int) -> int:
    if not 1 <= minutes <= MAX_EXTRA_MINUTES:
        raise ServiceError(
            _("Extra time is 1 to %(limit)d minutes.") % {"limit": MAX_EXTRA_MINUTES}, code="bad_minutes"
        )
    return minutes


def session_open(*, school_class: SchoolClass, exam: Exam, by: User) -> ProctoredSession:
    """Open the waiting room of a test for a class. One session per class at a time."""
    with transaction.atomic():
        SchoolClass.objects.select_for_update().get(pk=school_class.pk)
        if (
            ProctoredSession.objects.filter(school_class=school_class)
            .exclude(status=ProctoredSession.Status.ENDED)
            .exists()
        ):
            raise ServiceError(_("This class already has a test open. End it first."), code="already_open")
        version = exam.published_version()
        if not exam_may_be_started(exam, school_class.organization) or not version or not version.questions.exists():
            raise ServiceError(_("This test is not available."), code="exam_unavailable")
        session = ProctoredSession.objects.create(school_class=school_class, exam=exam, version=version, teacher=by)
        _record_session(session, by=by, action="session.open", exam=exam.code, version=version.number)
    return session


def seat_take(*, session: ProctoredSession, examinee: User) -> tuple[Seat, Attempt | None]:
    """The examinee enters the waiting room; in a running session they join late and start at once.

    An examinee is in one session at a time.
    """
    with transaction.atomic():
        session = _not_ended(session)
        elsewhere = Seat.objects.filter(
            examinee=examinee, session__status__in=[ProctoredSession.Status.OPEN, ProctoredSession.Status.RUNNING]
        ).exclude(session=session)
        if elsewhere.exists():
            raise ServiceError(_("You are already in another test. Finish it first."), code="busy")
        seat, created = Seat.objects.get_or_create(session=session, examinee=examinee)
        attempt = None
        if session.status == ProctoredSession.Status.RUNNING:
            attempt, _created = exam_services.attempt_start(session=session, examinee=examinee)
        if created or attempt is not None:
            realtime.announce_tile(session, examinee.pk)
    return seat, attempt


def session_start(*, session: ProctoredSession, by: User) -> ProctoredSession:
    """Start the test: an attempt for every examinee present in the waiting room now.

    Those seated but offline start when they come back (late join).
    """
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        if session.status != ProctoredSession.Status.OPEN:
            raise ServiceError(_("The test is not in the waiting room."), code="not_open")
        session.status, session.started_at = ProctoredSession.Status.RUNNING, now
        session.save(update_fields=["status", "started_at"])
        present = Seat.objects.filter(session=session, connections__process__in=live_processes(now)).distinct()
        started = list(present.values_list("examinee_id", flat=True))
        exam_services.attempts_start(session=session, examinee_ids=started, now=now)
        # Tiles and states of everyone who started, in a constant number of queries.
        realtime.announce_tiles(session, started)
        for examinee_id, state in examinee_states(session, started).items():
            realtime.tell_examinee(session, examinee_id, state)
        realtime.announce_session(session)
        realtime.tell_examinees(session, {"type": "session", "status": session.status})
        _record_session(session, by=by, action="session.start")
    return session


def session_end(*, session: ProctoredSession, by: User | None) -> ProctoredSession:
    """End the test: every open attempt is finished and scored (once)."""
    now = timezone.now()
    with transaction.atomic():
        session = _locked(session)
        if session.status == ProctoredSession.Status.ENDED:
            return session
        session.status, session.ended_at = ProctoredSession.Status.ENDED, now
        session.save(update_fields=["status", "ended_at"])
        for attempt in Attempt.objects.filter(session=session).exclude(status=Attempt.Status.FINISHED):
            exam_services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SESSION_ENDED, now=now)
        realtime.announce_session(session)
        realtime.tell_examinees(session, {"type": "ended", "reason": Attempt.FinishReason.SESSION_ENDED})
        _record_session(session, by=by, action="session.end")
    return session


def _record_session(session: ProctoredSession, *, by: User | None, action: str, **details) -> None:
    """An audit entry about a session, in its organization's log (`by` None: the service itself)."""
    AuditEntry.record(
        organization=session.school_class.organization, actor=by, action=action, target=session, **details
    )


def _attempt_of(session: ProctoredSession, seat: Seat) -> Attempt:
    attempt = Attempt.objects.filter(session=session, examinee_id=seat.examinee_id).first()
    if attempt is None:
        raise ServiceError(_("This examinee has not started yet."), code="no_attempt")
    return attempt


def examinee_warn(*, session: ProctoredSession, seat: Seat, text: str, by: User) -> None:
    text = text.strip()
    if not text or len(text) > MAX_WARNING_LENGTH:
        raise ServiceError(
            _("A warning needs 1 to %(limit)d characters.") % {"limit": MAX_WARNING_LENGTH}, code="bad_text"
        )
    with transaction.atomic():
        _not_ended(session)
        Seat.objects.filter(pk=seat.pk).update(warnings=F("warnings") + 1)
        realtime.tell_examinee(session, seat.examinee_id, {"type": "warning", "text": text})
        realtime.announce_tile(session, seat.examinee_id)
        _record_session(session, by=by, action="session.warn", examinee=seat.examinee.login_id)


def examinee_pause(*, session: ProctoredSession, seat: Seat, by: User) -> None:
    with transaction.atomic():
        exam_services.attempt_pause(attempt=_attempt_of(session, seat))
        realtime.tell_examinee(session, seat.examinee_id, {"type": "paused"})
        realtime.announce_tile(session, seat.examinee_id)
        _record_session(session, by=by, action="session.pause", examinee=seat.examinee.login_id)


def examinee_resume(*, session: ProctoredSession, seat: Seat, by: User) -> None:
    with transaction.atomic():
        exam_services.attempt_resume(attempt=_attempt_of(session, seat))
        state = examinee_state(session, seat.examinee_id)
        realtime.tell_examinee(session, seat.examinee_id, {"type": "resumed", "deadline": state["deadline"]})
        realtime.tell_examinee(session, seat.examinee_id, state)
        realtime.announce_tile(session, seat.examinee_id)
        _record_session(session, by=by, action="session.resume", examinee=seat.examinee.login_id)


def examinee_extend(*, session: ProctoredSession, seat: Seat, minutes: int, by: User) -> None:
    _checked_minutes(minutes)
    with transaction.atomic():
        exam_services.attempt_extend(attempt=_attempt_of(session, seat), minutes=minutes)
        realtime.tell_examinee(session, seat.examinee_id, examinee_state(session, seat.examinee_id))
        realtime.announce_tile(session, seat.examinee_id)
        _record_session(session, by=by, action="session.extend", examinee=seat.examinee.login_id, minutes=minutes)


# --- The whole class, the pupil's call, the teacher's acknowledgement (docs/design.md §4) -------
#
# Class-wide actions skip the pupils they do not apply to (not started, handed in, already paused)
# without calling it an error, and refuse only when the session is not running. Each pupil gets
# the same frames as for the per-pupil action; the proctors get the changed tiles in one broadcast.


def _running(session: ProctoredSession) -> ProctoredSession:
    """The session, row-locked, if it is running."""
    locked = _locked(session)
    if locked.status != ProctoredSession.Status.RUNNING:
        raise ServiceError(_("The test is not running."), code="not_running")
    return locked


def session_announce(*, session: ProctoredSession, text: str, by: User) -> None:
    """A short text to every pupil of the session: in the waiting room too, never after the end."""
    text = text.strip()
    if not text or len(text) > MAX_ANNOUNCEMENT_LENGTH:
        raise ServiceError(
            _("An announcement needs 1 to %(limit)d characters.") % {"limit": MAX_ANNOUNCEMENT_LENGTH},
            code="bad_text",
        )
    with transaction.atomic():
        _not_ended(session)
        realtime.tell_examinees(session, {"type": "announcement", "text": text})
        # Not the words, like a warning's: the log holds identifiers and short labels only.
        _record_session(session, by=by, action="session.announce")


def session_pause_all(*, session: ProctoredSession, by: User) -> int:
    """Stop the clock of every pupil answering. Returns how many were paused."""
    with transaction.atomic():
        session = _running(session)
        paused = [attempt.examinee_id for attempt in exam_services.attempts_pause_all(session=session)]
        for examinee_id in paused:
            realtime.tell_examinee(session, examinee_id, {"type": "paused"})
        realtime.announce_tiles(session, paused)
        _record_session(session, by=by, action="session.pause_all", count=len(paused))
    return len(paused)


def session_resume_all(*, session: ProctoredSession, by: User) -> int:
    """Start the clock of every paused pupil again, each deadline moved by their own pause."""
    with transaction.atomic():
        session = _running(session)
        resumed = [attempt.examinee_id for attempt in exam_services.attempts_resume_all(session=session)]
        for examinee_id, state in examinee_states(session, resumed).items():
            realtime.tell_examinee(session, examinee_id, {"type": "resumed", "deadline": state["deadline"]})
            realtime.tell_examinee(session, examinee_id, state)
        realtime.announce_tiles(session, resumed)
        _record_session(session, by=by, action="session.resume_all", count=len(resumed))
    return len(resumed)


def session_extend_all(*, session: ProctoredSession, minutes: int, by: User) -> int:
    """Extra time for every pupil who has not handed in (paused ones too)."""
    _checked_minutes(minutes)
    with transaction.atomic():
        session = _running(session)
        extended = [
            attempt.examinee_id for attempt in exam_services.attempts_extend_all(session=session, minutes=minutes)
        ]
        for examinee_id, state in examinee_states(session, extended).items():
            realtime.tell_examinee(session, examinee_id, state)
        realtime.announce_tiles(session, extended)
        _record_session(session, by=by, action="session.extend_all", minutes=minutes, count=len(extended))
    return len(extended)


def hand_raise(*, session: ProctoredSession, examinee: User) -> None:
    """The pupil calls the teacher (先生を呼ぶ): the hand stays up until the teacher acknowledges it.

    Raising it again while it is up changes nothing and announces nothing.
    """
    with transaction.atomic():
        _not_ended(session)
        raised = Seat.objects.filter(session=session, examinee=examinee, hand_raised_at__isnull=True).update(
            hand_raised_at=timezone.now()
        )
        if raised:
            realtime.announce_tile(session, examinee.pk)
        elif not Seat.objects.filter(session=session, examinee=examinee).exists():
            raise ServiceError(_("You are not in this test."), code="not_ready")


def examinee_acknowledge(*, session: ProctoredSession, seat: Seat, by: User) -> None:
    """The teacher has seen this pupil: their flags so far are no longer new and their hand goes down.

    Nothing is deleted: the session report keeps every signal.
    """
    with transaction.atomic():
        _not_ended(session)
        Seat.objects.filter(pk=seat.pk).update(flags_seen_at=timezone.now(), hand_raised_at=None)
        realtime.tell_examinee(session, seat.examinee_id, {"type": "hand", "raised": False})
        realtime.announce_tile(session, seat.examinee_id)
        _record_session(session, by=by, action="session.acknowledge", examinee=seat.examinee.login_id)


# --- Presence --------------------------------------------------------------------------


def _server_signal(
    session: ProctoredSession,
    examinee_id: int,
    kind: str,
    duration_ms: int | None = None,
    at: datetime.datetime | None = None,
) -> None:
    at = at or timezone.now()
    signal = Signal.objects.create(
        session=session,
        examinee_id=examinee_id,
        kind=kind,
        from_server=True,
        duration_ms=duration_ms,
        at=at,
        last_at=at,
    )
    realtime.announce_signal(signal)


# --- Integrity signals from the browser --------------------------------------------------


@dataclass(frozen=True)
class SignalItem:
    """One browser signal as its socket received it (docs/protocol.md §2.1)."""

    session_id: int
    examinee_id: int
    kind: str
    client_id: uuid.UUID
    client_ts: datetime.datetime | None = None
    duration_ms: int | None = None


def signals_record(items: list[SignalItem]) -> list[Signal | ServiceError]:
    """Store browser signals, many examinees' at once (a group commit, sockets/batch.py), then
    announce them: one broadcast per session after commit. One result per item, in order: the
    stored (or already stored) Signal, or the ServiceError that refused it.

    A burst of one kind from one examinee within BURST_WINDOW is one grouped row with a count. A
    resent signal (same client id) stores nothing new, even when it had joined a burst: every
    client id has its receipt. Should another socket store one of these ids at the same moment,
    the transaction fails on the receipts' unique index and is done again: the receipt is then
    found.
    """
    try:
        with transaction.atomic():
            return _signals_record(items)
    except IntegrityError:
        with transaction.atomic():
            return _signals_record(items)


def _signals_record(items: list[SignalItem]) -> list[Signal | ServiceError]:
    now = timezone.now()
    batch = _SignalBatch(now=now, **_signals_known(items, now))
    results = [batch.take(item) for item in items]
    batch.write()
    return results


def _signals_known(items: list[SignalItem], now: datetime.datetime) -> dict:
    """What a batch needs to know first, in three queries: its sessions (row-locked), the
    receipts of its client ids, and the groups its signals may join (row-locked).
    """
    session_ids = sorted({item.session_id for item in items})
    examinee_ids = {item.examinee_id for item in items}
    sessions = {
        session.pk: session
        for session in ProctoredSession.objects.select_for_update().filter(pk__in=session_ids).order_by("pk")
    }
    stored = {
        (receipt.examinee_id, receipt.client_id): receipt.signal
        for receipt in SignalReceipt.objects.select_related("signal").filter(
            # The examinee first: the unique index is (examinee, client_id); by client id alone
            # SQLite scanned every receipt ever stored, on every batch.
            examinee_id__in=examinee_ids,
            client_id__in={item.client_id for item in items},
        )
    }
    latest = {
        (signal.session_id, signal.examinee_id, signal.kind): signal
        for signal in Signal.objects.select_for_update()
        .filter(
            session_id__in=session_ids,
            examinee_id__in=examinee_ids,
            from_server=False,
            last_at__gte=now - BURST_WINDOW,
        )
        .order_by("last_at")
    }
    return {"sessions": sessions, "stored": stored, "latest": latest}


@dataclass
class _SignalBatch:
    """The rows one batch of signals creates, grows and announces, written by `write` in a few statements."""

    now: datetime.datetime
    sessions: dict[int, ProctoredSession]
    stored: dict[tuple[int, str], Signal]  # (examinee, client id) -> its signal
    latest: dict[tuple, Signal]  # (session, examinee, kind) -> the group a new signal may join
    created: list[Signal] = field(default_factory=list)
    grown: dict[int, Signal] = field(default_factory=dict)
    received: list[SignalReceipt] = field(default_factory=list)
    announced: dict[int, dict[int, Signal]] = field(default_factory=dict)  # session -> {id(signal): signal}

    def take(self, item: SignalItem) -> Signal | ServiceError:
        session = self.sessions.get(item.session_id)
        if session is None or session.status == ProctoredSession.Status.ENDED:
            return ServiceError(_("This test has ended."), code="ended")
        if item.kind not in Signal.CLIENT_KINDS:
            return ServiceError(_("Unknown signal."), code="bad_kind")
        if (item.examinee_id, item.client_id) in self.stored:
            return self.stored[(item.examinee_id, item.client_id)]
        signal = self._grouped(item)
        self.stored[(item.examinee_id, item.client_id)] = signal
        self.received.append(
            SignalReceipt(
                signal=signal,
                examinee_id=item.examinee_id,
                client_id=item.client_id,
                client_ts=item.client_ts,
                duration_ms=item.duration_ms,
                received_at=self.now,
            )
        )
        self.announced.setdefault(item.session_id, {})[id(signal)] = signal
        return signal

    def _grouped(self, item: SignalItem) -> Signal:
        """The burst this signal joins (one more of it), or a new signal."""
        group = (item.session_id, item.examinee_id, item.kind)
        signal = self.latest.get(group)
        if signal is not None:
            signal.count += 1
            signal.last_at = self.now
            signal.duration_ms = max(signal.duration_ms or 0, item.duration_ms or 0) or None
            if signal.pk is not None:
                self.grown[signal.pk] = signal
            return signal
        signal = self.latest[group] = Signal(
            session_id=item.session_id,
            examinee_id=item.examinee_id,
            kind=item.kind,
            client_id=item.client_id,
            client_ts=item.client_ts,
            duration_ms=item.duration_ms,
            at=self.now,
            last_at=self.now,
        )
        self.created.append(signal)
        return signal

    def write(self) -> None:
        Signal.objects.bulk_create(self.created)
        Signal.objects.bulk_update(self.grown.values(), ["count", "last_at", "duration_ms"])
        for receipt in self.received:
            receipt.signal_id = receipt.signal.pk
        SignalReceipt.objects.bulk_create(self.received)
        for session_id, signals in self.announced.items():
            realtime.announce_signals(self.sessions[session_id], list(signals.values()))
        ProctoredSession.objects.bulk_update([self.sessions[session_id] for session_id in self.announced], ["seq"])


# --- Misconduct and revocation (docs/design.md §5) --------------------------------------------------
#
# The chain: signals → incident (links them) → decision (its action) → revocation (links the
# incident) → the examinee's result page says so. Each step is linked to the one before and
# leaves an audit entry of ids and codes: never a note, an answer or a reason's words.


def _person_detail(person: User) -> dict:
    """How an audit entry names the person an incident concerns (the log hides former members)."""
    return {"examinee": person.login_id} if person.is_examinee else {"teacher": person.login_id}


def _record_decision(incident: Incident, by: User) -> None:
    details = {"session": incident.session_id} if incident.session_id else {}
    AuditEntry.record(
        organization=incident.organization,
        actor=by,
        action="incident.resolve",
        target=incident,
        decision=incident.action,
        **details,
        **_person_detail(incident.subject),
    )


def _checked_report(*, subject: User, by: User, category: str, note: str) -> str:
    """The note to store, once the category fits the person and the reporter may report on them."""
    if subject.is_examinee:
        allowed = Incident.EXAMINEE_CATEGORIES
    elif subject.is_teacher:
        allowed = Incident.PROCTOR_CATEGORIES
        if not (by.is_org_admin or by.is_operator):
            raise ServiceError(_("Only org admins report on proctors."), code="forbidden")
    else:
        raise ServiceError(_("Incidents concern examinees or proctors."), code="bad_subject")
    if category not in allowed:
        raise ServiceError(_("This category does not apply to this person."), code="bad_category")
    note = note.strip()
    if len(note) > Incident.MAX_NOTE_LENGTH:
        raise ServiceError(
            _("A note has at most %(limit)d characters.") % {"limit": Incident.MAX_NOTE_LENGTH}, code="bad_note"
        )
    return note


def incident_report(
    *,
    subject: User,
    by: User,
    category: str,
    note: str = "",
    session: ProctoredSession | None = None,
    organization: Organization | None = None,
    signals=(),
) -> Incident:
    """Record an incident about an examinee (categories 1–7, 12) or a proctor (8–12).

    Who may report on whom is the access helpers' business; here the rules of
    the record itself: categories fit the person, proctors are reported by org
    admins and operators only, signals are the subject's own in that session.
    """
    note = _checked_report(subject=subject, by=by, category=category, note=note)
    signal_ids = sorted({signal.pk for signal in signals})
    if session is None and signal_ids:
        raise ServiceError(_("Signals belong to a session."), code="bad_signals")
    with transaction.atomic():
        if session is not None:
            session = _locked(session)
            organization = session.school_class.organization
            own = Signal.objects.filter(pk__in=signal_ids, session=session, examinee=subject).count()
            if own != len(signal_ids):
                raise ServiceError(_("Only this person's signals of this test can be linked."), code="bad_signals")
        if organization is None:
            raise ServiceError(_("An incident belongs to an organization."), code="no_organization")
        incident = Incident.objects.create(
            organization=organization, session=session, subject=subject, reporter=by, category=category, note=note
        )
        incident.signals.set(signal_ids)
        details = {"session": session.pk} if session else {}
        AuditEntry.record(
            organization=organization,
            actor=by,
            action="incident.report",
            target=incident,
            category=category,
            signals=signal_ids,
            **details,
            **_person_detail(subject),
        )
        if session is not None and subject.is_examinee:
            realtime.announce_tile(session, subject.pk)
    return incident


def incident_resolve(*, incident: Incident, by: User, action: str) -> Incident:
    """Decide an open incident: a warning only, or no action. Revoking is `result_revoke`.

    An incident already decided stays as it is.
    """
    if action not in (Incident.Action.WARNING, Incident.Action.NONE):
        raise ServiceError(_("Choose a warning only or no action."), code="bad_action")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            return incident
        incident.action, incident.resolved_at, incident.resolved_by = action, timezone.now(), by
        incident.save(update_fields=["action", "resolved_at", "resolved_by"])
        _record_decision(incident, by)
    return incident


def result_revoke(*, attempt: Attempt, by: User, reason: str, incident: Incident | None = None) -> Revocation:
    """Take an attempt's result back, for good. Idempotent: a second call returns the first revocation.

    A running attempt ends here (scored once, as every attempt is, and then
    shown nowhere); the examinee's page is told `ended` with reason `revoked`.
    Locks the session row, then the attempt, as every path does.
    """
    reason = reason.strip()
    if not reason or len(reason) > Revocation.MAX_REASON_LENGTH:
        raise ServiceError(
            _("A reason needs 1 to %(limit)d characters.") % {"limit": Revocation.MAX_REASON_LENGTH},
            code="bad_reason",
        )
    with transaction.atomic():
        session = _locked(attempt.session)
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        existing = Revocation.objects.filter(attempt=attempt).first()
        if existing is not None:
            return existing
        if incident is not None:
            incident = Incident.objects.select_for_update().get(pk=incident.pk)
            if (
                incident.subject_id != attempt.examinee_id
                or incident.session_id not in (None, session.pk)
                or incident.organization_id != session.school_class.organization_id
            ):
                raise ServiceError(_("This incident is not about this result."), code="bad_incident")
        told = attempt.is_open and exam_services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.REVOKED)
        revocation = Revocation.objects.create(attempt=attempt, revoked_by=by, reason=reason, incident=incident)
        # Its badge stops verifying with this commit: the status bit is set here (docs/design.md §12).
        badge_services.award_revoke(
            attempt=attempt, revoked_for=Award.RevokedFor.MISCONDUCT, reason=reason, now=revocation.revoked_at
        )
        organization = session.school_class.organization
        if incident is not None and incident.action != Incident.Action.REVOKED:
            incident.action = Incident.Action.REVOKED
            incident.resolved_at, incident.resolved_by = revocation.revoked_at, by
            incident.save(update_fields=["action", "resolved_at", "resolved_by"])
            _record_decision(incident, by)
        details = {"incident": incident.pk} if incident else {}
        AuditEntry.record(
            organization=organization,
            actor=by,
            action="result.revoke",
            target=revocation,
            attempt=attempt.pk,
            session=session.pk,
            **details,
            **_person_detail(attempt.examinee),
        )
        realtime.announce_tile(session, attempt.examinee_id)
        if not told:
            realtime.tell_examinee(
                session, attempt.examinee_id, {"type": "ended", "reason": Attempt.FinishReason.REVOKED}
            )
    return revocation
