"""Shared personas (CONVENTIONS.md): everyone a test may need, in two organizations.

`organization` holds an org admin, two teachers (`teacher` and the colleague
`other_teacher`), a class of each, an `examinee` in the teacher's class and an
`examinee_of_other_class`. `other_organization` holds its own admin, teacher,
class and examinee. The operator belongs to no organization.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from badges import keys
from classrooms.models import Enrollment, Membership, Organization, SchoolClass, User, term_end_after
from classrooms.schoolyear import current_school_year, today
from operations.models import ContractTerm

PASSWORD = "correct-horse-battery"


def make_organization(code: str, name: str, *, two_factor_required: bool = False) -> Organization:
    """An approved organization whose first contract term began 30 days ago (docs/design.md §8.1).

    Like the schools that existed before two-factor sign-in, it does not require it of its org
    admins unless asked to (tests/classrooms/test_two_factor*.py turn it on).
    """
    starts_on = today() - datetime.timedelta(days=30)
    organization = Organization.objects.create(
        code=code,
        name=name,
        status=Organization.Status.APPROVED,
        contract_starts_on=starts_on,
        unit_price=300,
        two_factor_required=two_factor_required,
    )
    ContractTerm.objects.create(
        organization=organization, starts_on=starts_on, ends_on=term_end_after(starts_on), unit_price=300
    )
    return organization


def make_user(login_id: str, role: str, organization: Organization | None = None, **fields) -> User:
    fields.setdefault("name", login_id.replace("-", " ").title())
    user = User.objects.create_user(login_id=login_id, password=PASSWORD, role=role, **fields)
    if organization is not None:
        Membership.objects.create(user=user, organization=organization, starts_on=today() - datetime.timedelta(days=30))
    return user


def make_class(organization: Organization, teacher: User, name: str) -> SchoolClass:
    return SchoolClass.objects.create(
        organization=organization, teacher=teacher, school_year=current_school_year(), name=name
    )


def connect(seat, channel_name: str):
    """An open socket of the seat's examinee, held by a live server process (proctoring/presence.py)."""
    from proctoring.models import Connection
    from sockets.process import renew

    renew("test-process")
    return Connection.objects.create(seat=seat, channel_name=channel_name, process="test-process")


def freeze(monkeypatch, day: datetime.date) -> None:
    """Make `timezone.now()` (and so `today()`, Asia/Tokyo) noon of `day`, Tokyo time."""
    moment = datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=timezone.get_current_timezone())
    monkeypatch.setattr(timezone, "now", lambda: moment)


def enroll(school_class: SchoolClass, examinee: User, number: int | None = None) -> Enrollment:
    return Enrollment.objects.create(
        school_class=school_class, examinee=examinee, number=number, starts_on=today() - datetime.timedelta(days=30)
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# One badge signing key for the whole run (tests run with DEBUG off, where issuing needs a configured key).
BADGE_TEST_KEY = keys.generate().secret_key_multibase


@pytest.fixture(autouse=True)
def badge_signing_key(settings):
    """Badges sign with a key of this run (docs/badges.md: BADGE_SIGNING_KEYS)."""
    settings.BADGE_SIGNING_KEYS = [BADGE_TEST_KEY]


@pytest.fixture(autouse=True)
def rate_limit_counts_of_this_test(settings):
    """Each test counts its POSTs afresh (config/ratelimits.py): ids are reused across tests and runs,
    and the counts of a Redis cache outlive a test.
    """
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex}:"


@pytest.fixture
def organization(db) -> Organization:
    return make_organization("sakura", "さくら小学校")


@pytest.fixture
def other_organization(db) -> Organization:
    return make_organization("midori", "みどり中学校")


@pytest.fixture
def operator(db) -> User:
    return make_user("operator", User.Role.OPERATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def org_admin(organization) -> User:
    return make_user("sakura-admin", User.Role.ORG_ADMIN, organization, name="管理 花子")


@pytest.fixture
def teacher(organization) -> User:
    return make_user("sakura-teacher", User.Role.TEACHER, organization, name="山田 先生", kana="やまだ")


@pytest.fixture
def other_teacher(organization) -> User:
    return make_user("sakura-colleague", User.Role.TEACHER, organization, name="佐藤 先生", kana="さとう")


@pytest.fixture
def school_class(organization, teacher) -> SchoolClass:
    return make_class(organization, teacher, "5年1組")


@pytest.fixture
def other_class(organization, other_teacher) -> SchoolClass:
    return make_class(organization, other_teacher, "5年2組")


@pytest.fixture
def examinee(organization, school_class) -> User:
    user = make_user("sakura-pupil", User.Role.EXAMINEE, organization, name="鈴木 一郎", kana="すずき いちろう")
    enroll(school_class, user, number=1)
    return user


@pytest.fixture
def enrollment(examinee, school_class) -> Enrollment:
    return Enrollment.objects.get(examinee=examinee, school_class=school_class)


@pytest.fixture
def examinee_of_other_class(organization, other_class) -> User:
    user = make_user("sakura-pupil2", User.Role.EXAMINEE, organization, name="田中 二郎", kana="たなか じろう")
    enroll(other_class, user, number=1)
    return user


@pytest.fixture
def foreign_org_admin(other_organization) -> User:
    return make_user("midori-admin", User.Role.ORG_ADMIN, other_organization)


@pytest.fixture
def foreign_teacher(other_organization) -> User:
    return make_user("midori-teacher", User.Role.TEACHER, other_organization)


@pytest.fixture
def foreign_class(other_organization, foreign_teacher) -> SchoolClass:
    return make_class(other_organization, foreign_teacher, "1年A組")


@pytest.fixture
def foreign_examinee(other_organization, foreign_class) -> User:
    user = make_user("midori-pupil", User.Role.EXAMINEE, other_organization)
    enroll(foreign_class, user, number=1)
    return user


def pass_second_factor(client, user: User) -> None:
    """What the second step of signing in leaves in the session, for a user who owes it
    (docs/design.md §1): verified by their authenticator (one is made if they have none).
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from classrooms import two_factor

    if not two_factor.must_use(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="authenticator")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def client_of(client):
    """`client_of(user)`: the test client signed in as that user, second factor included."""

    def sign_in(user: User):
        client.force_login(user)
        pass_second_factor(client, user)
        return client

    return sign_in


def make_exam(
    code: str = "reading-test", questions: int = 6, per_attempt: int = 5, minutes: int = 10, organization=None
):
    """A published single-choice test: of the operator's catalog, or of `organization`'s own."""
    from exams.models import Choice, Exam, Question

    exam = Exam.objects.create(
        organization=organization,
        code=code,
        title="読解テスト",
        time_limit_minutes=minutes,
        questions_per_attempt=per_attempt,
        pass_mark_percent=60,
    )
    for number in range(questions):
        question = Question.objects.create(exam=exam, key=f"q{number}", prompt=f"問{number}", position=number)
        for choice in range(4):
            Choice.objects.create(
                question=question, text=f"選択肢{number}-{choice}", is_correct=choice == 0, position=choice
            )
    return exam


def passed_attempt(session, examinee: User):
    """A finished attempt of the session that passed with 5 of 5, handed in five minutes after it began."""
    from exams.models import Attempt

    now = timezone.now()
    return Attempt.objects.create(
        session=session,
        examinee=examinee,
        exam=session.exam,
        version=session.version,
        status=Attempt.Status.FINISHED,
        started_at=now - datetime.timedelta(minutes=5),
        deadline=now,
        finished_at=now,
        finish_reason=Attempt.FinishReason.SUBMITTED,
        score=5,
        total=5,
        passed=True,
    )


@pytest.fixture
def exam(db):
    return make_exam()


@pytest.fixture
def proctored_session(school_class, exam, teacher):
    from proctoring.models import ProctoredSession

    return ProctoredSession.objects.create(school_class=school_class, exam=exam, teacher=teacher)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Every test runs with the audit table's guard (tests/audit_guard.py): append-only, and every entry labelled."""
    from django.db import connection

    from tests.audit_guard import AuditGuard

    guard = AuditGuard()
    with connection.execute_wrapper(guard):
        result = yield
    assert not guard.violations, f"audit entries changed: {guard.violations}"
    assert not guard.missing_labels(), f"audit entries an org admin cannot read: {guard.missing_labels()}"
    return result
