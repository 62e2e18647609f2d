from __future__ import annotations

import datetime

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from classrooms import transfers as transfer_services
from classrooms.models import Organization, Transfer, User
from classrooms.schoolyear import today
from exams import services as exam_services
from exams.models import Attempt
from proctoring.models import ProctoredSession


@pytest.fixture
def past_result(proctored_session, examinee):
    """The examinee's submitted attempt in their class's session: a result from before any transfer."""
    ProctoredSession.objects.filter(pk=proctored_session.pk).update(status=ProctoredSession.Status.RUNNING)
    proctored_session.refresh_from_db()
    attempt, _created = exam_services.attempt_start(session=proctored_session, examinee=examinee)
    exam_services.attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
    return attempt


def authenticator(user: User) -> TOTPDevice:
    """A confirmed authenticator app for `user`: they have turned two-factor sign-in on."""
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@pytest.fixture
def requiring(organization) -> Organization:
    """The sakura school, now requiring two-factor sign-in of its org admins."""
    organization.two_factor_required = True
    organization.save(update_fields=["two_factor_required"])
    return organization


def leave(enrollment, teacher, org_admin, days_ahead: int = 7) -> Transfer:
    """The old school files and approves the examinee's leaving; the result carries the transfer code."""
    leaving = transfer_services.transfer_file_examinee_out(
        enrollment=enrollment, effective_on=today() + datetime.timedelta(days=days_ahead), reason="", by=teacher
    )
    return transfer_services.transfer_approve(transfer=leaving, by=org_admin)


@pytest.fixture
def departure(enrollment, teacher, org_admin) -> Transfer:
    """The examinee's approved leaving of sakura in a week, with its transfer code in `issued_code`."""
    return leave(enrollment, teacher, org_admin)
