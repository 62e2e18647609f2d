"""A proctored session after the fact: every signal, incident and revocation, per examinee.

Read-only and in a constant number of queries. Examinees no longer on the
class roster today are not named (docs/design.md §7): their rows say "transferred
examinee", so counts stay right, and carry no note or reason that could name
them. Incidents about the proctor are for org admins only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _

from classrooms.access import members_of, members_today, roster_of
from classrooms.models import Organization, User
from exams.models import Attempt
from proctoring.models import Incident, ProctoredSession, Revocation, Seat, Signal


def duration_text(duration_ms: int | None) -> str:
    """A duration as people read it ("3.5 s", "2 min 5 s"); empty without one."""
    if not duration_ms:
        return ""
    seconds = duration_ms / 1000
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": formats.number_format(seconds, 1)}
    minutes, rest = divmod(round(seconds), 60)
    return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}


@dataclass(frozen=True)
class Event:
    """One line of an examinee's timeline."""

    at: datetime.datetime
    what: str  # "started", "signal", "finished", "incident", "revocation"
    label: str
    count: int | None = None
    last_at: datetime.datetime | None = None
    duration_ms: int | None = None
    incident: Incident | None = None
    revocation: Revocation | None = None

    @property
    def duration(self) -> str:
        return duration_text(self.duration_ms)


@dataclass(frozen=True)
class SignalTotal:
    kind: str
    label: str
    count: int
    duration_ms: int | None  # summed over the signals that had one

    @property
    def duration(self) -> str:
        return duration_text(self.duration_ms)


@dataclass
class ExamineeReport:
    examinee_id: int
    named: bool  # on the class roster today
    name: str
    login_id: str
    number: int | None
    attempt: Attempt | None
    revocation: Revocation | None
    events: list[Event] = field(default_factory=list)
    totals: list[SignalTotal] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)

    @property
    def signal_count(self) -> int:
        return sum(total.count for total in self.totals)

    @property
    def may_revoke(self) -> bool:
        return self.named and self.attempt is not None and self.revocation is None


@dataclass
class SessionReport:
    session: ProctoredSession
    examinees: list[ExamineeReport]
    proctor_incidents: list[Incident]
    proctor_named: bool

    @property
    def revocations(self) -> list[tuple[ExamineeReport, Revocation]]:
        return [(row, row.revocation) for row in self.examinees if row.revocation is not None]

    @property
    def incident_count(self) -> int:
        return sum(len(row.incidents) for row in self.examinees) + len(self.proctor_incidents)


def _totals(signals: list[Signal]) -> list[SignalTotal]:
    by_kind: dict[str, list[Signal]] = {}
    for signal in signals:
        by_kind.setdefault(signal.kind, []).append(signal)
    return [
        SignalTotal(
            kind=kind,
            label=Signal.Kind(kind).label,
            count=sum(signal.count for signal in rows),
            duration_ms=sum(signal.duration_ms for signal in rows if signal.duration_ms) or None,
        )
        for kind, rows in by_kind.items()
    ]


def _timeline(row: ExamineeReport) -> list[Event]:
    events = []
    attempt = row.attempt
    if attempt is not None:
        events.append(Event(at=attempt.started_at, what="started", label=_("Started the test")))
        if attempt.finished_at:
            label = attempt.get_finish_reason_display()
            if attempt.finish_reason == Attempt.FinishReason.REVOKED:  # the revocation has its own line
                label = _("The test ended for the revocation")
            events.append(Event(at=attempt.finished_at, what="finished", label=label))
    events.extend(
        Event(
            at=signal.at,
            what="signal",
            label=signal.get_kind_display(),
            count=signal.count,
            last_at=signal.last_at if signal.last_at != signal.at else None,
            duration_ms=signal.duration_ms,
        )
        for signal in row.signals
    )
    events.extend(
        Event(at=incident.at, what="incident", label=incident.category_label, incident=incident)
        for incident in row.incidents
    )
    if row.revocation is not None:
        events.append(
            Event(at=row.revocation.revoked_at, what="revocation", label=_("Result revoked"), revocation=row.revocation)
        )
    return sorted(events, key=lambda event: event.at)


def session_report(session: ProctoredSession, *, for_org_admin: bool) -> SessionReport:
    """Everyone on the roster today, then anyone else who took part (unnamed), with their timelines."""
    roster = list(roster_of(session.school_class))
    attempts = {
        attempt.examinee_id: attempt
        for attempt in Attempt.objects.filter(session=session).select_related(
            "revocation__revoked_by", "revocation__incident"
        )
    }
    signals = list(Signal.objects.filter(session=session).order_by("at", "pk"))
    incidents = list(
        Incident.objects.filter(session=session)
        .select_related("subject", "reporter", "resolved_by")
        .prefetch_related("signals")
        .order_by("at", "pk")
    )
    examinee_incidents = [incident for incident in incidents if incident.subject.role == User.Role.EXAMINEE]
    taking_part = (
        set(Seat.objects.filter(session=session).values_list("examinee_id", flat=True))
        | set(attempts)
        | {signal.examinee_id for signal in signals}
        | {incident.subject_id for incident in examinee_incidents}
    )
    rows: dict[int, ExamineeReport] = {}
    for enrollment in roster:
        rows[enrollment.examinee_id] = _row(enrollment.examinee_id, attempts, named=True, enrollment=enrollment)
    for examinee_id in sorted(taking_part - set(rows)):
        rows[examinee_id] = _row(examinee_id, attempts, named=False)
    for signal in signals:
        rows[signal.examinee_id].signals.append(signal)
    for incident in examinee_incidents:
        rows[incident.subject_id].incidents.append(incident)
    for row in rows.values():
        row.totals = _totals(row.signals)
        row.events = _timeline(row)
    revocations = [row.revocation for row in rows.values() if row.revocation is not None]
    names = names_today(
        [incident.reporter for incident in incidents]
        + [incident.resolved_by for incident in incidents]
        + [revocation.revoked_by for revocation in revocations],
        session.school_class.organization,
    )
    for incident in incidents:
        incident.reporter_name = names[incident.reporter_id]
        incident.resolver_name = names.get(incident.resolved_by_id, "")
    for revocation in revocations:
        revocation.revoker_name = names[revocation.revoked_by_id]
    proctor_incidents = [incident for incident in incidents if incident.subject.role != User.Role.EXAMINEE]
    proctor_named = members_of(session.school_class.organization, User.Role.TEACHER).filter(pk=session.teacher_id)
    return SessionReport(
        session=session,
        examinees=list(rows.values()),
        proctor_incidents=proctor_incidents if for_org_admin else [],
        proctor_named=proctor_named.exists(),
    )


def _row(examinee_id: int, attempts: dict[int, Attempt], *, named: bool, enrollment=None) -> ExamineeReport:
    attempt = attempts.get(examinee_id)
    revocation = getattr(attempt, "revocation", None) if attempt is not None else None
    return ExamineeReport(
        examinee_id=examinee_id,
        named=named,
        name=enrollment.examinee.name if named else _("Transferred examinee"),
        login_id=enrollment.examinee.login_id if named else "",
        number=enrollment.number if named else None,
        attempt=attempt,
        revocation=revocation,
    )


@dataclass(frozen=True)
class IncidentRow:
    """An incident on the org admin's list, naming only people who are members today."""

    incident: Incident
    subject: str
    reporter: str


def names_today(people, organization: Organization) -> dict[int, str]:
    """How the organization's screens call these people today: by name while they are members (docs/design.md §7)."""
    people = {person.pk: person for person in people if person is not None}
    present = members_today(organization, people)
    names = {}
    for pk, person in people.items():
        if pk in present:
            names[pk] = person.name
        elif person.is_operator:
            names[pk] = _("Kantoku operator")
        elif person.is_examinee:
            names[pk] = _("Transferred examinee")
        else:
            names[pk] = _("former member")
    return names


def incident_rows(incidents, organization: Organization) -> list[IncidentRow]:
    """Incidents for the org admin's list, each with the names it may show."""
    incidents = list(incidents)
    names = names_today(
        [incident.subject for incident in incidents] + [incident.reporter for incident in incidents], organization
    )
    return [
        IncidentRow(incident=incident, subject=names[incident.subject_id], reporter=names[incident.reporter_id])
        for incident in incidents
    ]
