"""A school with a row in every table, each carrying the school's canary tag (export and deletion tests),
and the billing day the billing tests are frozen on.
"""

from __future__ import annotations

import datetime
import uuid
import zipfile
from types import SimpleNamespace

import pytest
from django.utils import timezone

from badges import services as badge_services
from badges.models import Achievement
from classrooms.models import AuditEntry, Organization, Transfer, User
from classrooms.schoolyear import today
from exams.models import Attempt, AttemptQuestion
from messaging.models import BreakGlassAccess, NoticeReceipt
from messaging.services import message_send, notice_send
from proctoring.models import Incident, ProctoredSession, Revocation, Seat, Signal, SignalReceipt
from tests.conftest import connect, enroll, freeze, make_class, make_exam, make_user

MESSAGE_BODY = "BODY-SECRET-{tag}"
NOTICE_BODY = "NOTICE-SECRET-{tag}"
INCIDENT_NOTE = "NOTE-SECRET-{tag}"


def _finished_attempt(session, examinee, *, score: int, answers: int = 5) -> Attempt:
    now = timezone.now()
    attempt = Attempt.objects.create(
        session=session,
        examinee=examinee,
        exam=session.exam,
        status=Attempt.Status.FINISHED,
        deadline=now,
        finished_at=now,
        finish_reason=Attempt.FinishReason.SUBMITTED,
        score=score,
        total=answers,
        passed=score * 100 >= 60 * answers,
    )
    if attempt.passed:  # its badge, as attempt_finish awards it (docs/design.md §12)
        badge_services.award_for_result(attempt=attempt)
    for position, question in enumerate(session.exam.questions.order_by("position")[:answers]):
        order = list(question.choices.order_by("position").values_list("pk", flat=True))
        AttemptQuestion.objects.create(
            attempt=attempt, position=position, question=question, choice_order=order, answer=0, answered_at=now
        )
    return attempt


def populate(organization: Organization, tag: str, operator: User) -> SimpleNamespace:
    """Rows of `organization` in every table; every name, text and login id carries `tag`."""
    low = tag.lower()
    admin = make_user(f"{low}-admin", User.Role.ORG_ADMIN, organization, name=f"{tag}管理者")
    teacher = make_user(f"{low}-teacher", User.Role.TEACHER, organization, name=f"{tag}先生", kana=f"{low}せんせい")
    pupil = make_user(f"{low}-pupil", User.Role.EXAMINEE, organization, name=f"{tag}児童", kana=f"{low}じどう")
    cheat = make_user(f"{low}-cheat", User.Role.EXAMINEE, organization, name=f"{tag}生徒", kana=f"{low}せいと")
    school_class = make_class(organization, teacher, f"{tag}組")
    enroll(school_class, pupil, number=7)
    enroll(school_class, cheat, number=8)
    exam = make_exam(code=f"{low}-exam")
    exam.title = f"{tag}テスト"
    exam.organization = organization  # the school's own test: its questions are the school's to keep
    exam.save()
    version = exam.latest_version()  # its author turned the school's badge on (docs/design.md §12)
    Achievement.objects.create(
        version=version,
        issuer=badge_services.school_issuer(organization),
        **badge_services.default_texts(version),
    )
    session = ProctoredSession.objects.create(
        school_class=school_class, exam=exam, teacher=teacher, status=ProctoredSession.Status.ENDED
    )
    seat = Seat.objects.create(session=session, examinee=pupil)
    connect(seat, f"{low}-channel")
    signal = Signal.objects.create(session=session, examinee=pupil, kind=Signal.Kind.FOCUS_LOST)
    SignalReceipt.objects.create(signal=signal, examinee=pupil, client_id=uuid.uuid4())
    attempt = _finished_attempt(session, pupil, score=4)
    revoked = _finished_attempt(session, cheat, score=5)
    incident = Incident.objects.create(
        organization=organization,
        session=session,
        subject=cheat,
        reporter=teacher,
        category=Incident.Category.AIDS,
        note=INCIDENT_NOTE.format(tag=tag),
        action=Incident.Action.REVOKED,
        resolved_at=timezone.now(),
        resolved_by=teacher,
    )
    incident.signals.add(signal)
    Revocation.objects.create(attempt=revoked, revoked_by=teacher, reason=f"{tag}取消理由", incident=incident)
    message = message_send(by=teacher, recipient=pupil, body=MESSAGE_BODY.format(tag=tag))
    notice = notice_send(school_class=school_class, by=teacher, body=NOTICE_BODY.format(tag=tag))
    NoticeReceipt.objects.filter(notice=notice).update(read_at=timezone.now())
    BreakGlassAccess.objects.create(message=message, operator=operator, reason="incident", reference=f"{tag}-REF")
    Transfer.objects.create(
        kind=Transfer.Kind.EXAMINEE_OUT,
        person=cheat,
        from_organization=organization,
        effective_on=today() + datetime.timedelta(days=30),
        reason=f"{tag}転出理由",
        filed_by=teacher,
    )
    AuditEntry.record(organization=organization, actor=admin, action="export.request", target=school_class)
    return SimpleNamespace(
        organization=organization,
        admin=admin,
        teacher=teacher,
        pupil=pupil,
        cheat=cheat,
        school_class=school_class,
        exam=exam,
        session=session,
        attempt=attempt,
        revoked=revoked,
        incident=incident,
        message=message,
    )


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    """Exports are written to a folder of the test's own."""
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


def build_export(organization: Organization, by: User):
    """Request an export and build it here, as `manage.py build_exports` would."""
    from operations.export import export_build, export_claim, export_request

    export, _created = export_request(organization=organization, by=by)
    token = export_claim(export.pk)
    assert token is not None, "another builder holds the export"
    export_build(export.pk, token)
    export.refresh_from_db()
    return export


def zip_texts(path) -> dict[str, str]:
    """Every file of the ZIP, decoded; each must start with the UTF-8 BOM."""
    with zipfile.ZipFile(path) as archive:
        raw = {name: archive.read(name) for name in archive.namelist()}
    assert all(content.startswith(b"\xef\xbb\xbf") for content in raw.values())
    return {name: content.decode("utf-8-sig") for name, content in raw.items()}


# --- Billing ---------------------------------------------------------------------------------------

BILLING_DAY = datetime.date(2027, 1, 15)  # a Friday, the billing day of January 2027


@pytest.fixture
def on_the_billing_day(monkeypatch):
    """Noon of BILLING_DAY; the billing tests use it for every test (pytest.mark.usefixtures)."""
    freeze(monkeypatch, BILLING_DAY)


@pytest.fixture
def priced(organization, other_organization):
    """The school at 300 yen an account and month, the other school at 250."""
    Organization.objects.filter(pk=organization.pk).update(unit_price=300)
    Organization.objects.filter(pk=other_organization.pk).update(unit_price=250)
