"""Transfer codes (docs/design.md §7): issued by the approval of a leaving, printed once on the transfer notice,
stored as a keyed hash, single use, expiring, reissued by the old school; an arrival needs the login id and
the code, and every pair that does not match gets the same refusal, throttled per filing account.
"""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from classrooms import transfers as transfer_services
from classrooms.models import AuditEntry, Transfer, User
from classrooms.schoolyear import today
from config.errors import ServiceError
from tests.classrooms.conftest import leave
from tests.conftest import enroll, make_user

pytestmark = pytest.mark.django_db

ARRIVAL_URL = "classrooms:transfer_examinee_arrival"
CODE_SHAPE = re.compile(r"^[A-HJ-NP-Z2-9]{12}$")  # no I, O, 0, 1
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def typed(login_id: str, code: str, **more) -> dict:
    return {
        "login_id": login_id,
        "code": code,
        "effective_on": (today() + datetime.timedelta(days=10)).isoformat(),
    } | more


def file_with(user, login_id: str, code: str) -> Transfer:
    return transfer_services.transfer_file_examinee_in(
        organization=user.memberships.get().organization,
        login_id=login_id,
        code=code,
        effective_on=today() + datetime.timedelta(days=10),
        reason="",
        by=user,
    )


def without_csrf(response) -> bytes:
    return CSRF.sub(r"\1", response.content.decode()).encode()


def test_approving_a_leaving_issues_a_code_kept_only_as_a_keyed_hash(settings, departure):
    code = departure.issued_code
    assert CODE_SHAPE.match(code)
    stored = Transfer.objects.get(pk=departure.pk)
    assert stored.code_hash
    assert code not in stored.code_hash
    assert stored.code_used_at is None
    expected = timezone.now() + datetime.timedelta(days=settings.TRANSFER_CODE_DAYS)
    assert abs(stored.code_expires_at - expected) < datetime.timedelta(minutes=5)
    issued = AuditEntry.objects.get(action="transfer.examinee_out.code_issue")
    assert issued.organization == departure.from_organization
    assert code not in str(issued.details)
    assert transfer_services.transfer_code_format(code) not in str(issued.details)


def test_the_code_days_come_from_the_setting(settings, enrollment, teacher, org_admin):
    settings.TRANSFER_CODE_DAYS = 3
    stored = Transfer.objects.get(pk=leave(enrollment, teacher, org_admin).pk)
    assert stored.code_expires_at - timezone.now() < datetime.timedelta(days=3, minutes=1)


def test_the_transfer_notice_shows_the_code_once(client_of, org_admin, teacher, enrollment, examinee):
    leaving = transfer_services.transfer_file_examinee_out(
        enrollment=enrollment, effective_on=today() + datetime.timedelta(days=7), reason="", by=teacher
    )
    client = client_of(org_admin)
    slip = client.post(reverse("classrooms:orgadmin_transfer_approve", args=[leaving.pk]))
    assert slip.status_code == 200
    assert "no-store" in slip["Cache-Control"]
    page = slip.content.decode()
    code = slip.context["code"]
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code)
    assert code in page
    assert examinee.name in page
    assert examinee.login_id in page
    assert code not in client.get(reverse("classrooms:orgadmin_transfer_list")).content.decode()
    # It works for the arrival, typed as a family might: lower case, full-width, with spaces.
    family_typed = code.lower().replace("-", " ").translate({ord(c): ord(c) + 0xFEE0 for c in "abcdefghjk"})
    leaving.refresh_from_db()
    assert transfer_services._departure_for_code(examinee.login_id, family_typed) == leaving


def test_the_four_refusals_are_the_same_page_and_create_nothing(
    settings, client_of, foreign_teacher, other_organization, organization, teacher, other_teacher, org_admin,
    examinee, enrollment, examinee_of_other_class, other_class,
):  # fmt: skip
    settings.TRANSFER_CODE_FAILURE_LIMIT = 100  # this test is about the refusals, not the throttle
    valid = leave(enrollment, teacher, org_admin)
    other_enrollment = examinee_of_other_class.enrollments.get()
    expired = leave(other_enrollment, other_teacher, org_admin)
    Transfer.objects.filter(pk=expired.pk).update(code_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    third = make_user("sakura-pupil3", User.Role.EXAMINEE, organization, name="高橋 三郎")
    used = leave(enroll(other_class, third, number=2), other_teacher, org_admin)
    file_with(foreign_teacher, third.login_id, used.issued_code)
    arrivals = Transfer.objects.filter(kind=Transfer.Kind.EXAMINEE_IN).count()
    client = client_of(foreign_teacher)
    cases = {
        "unknown id": typed("nobody-at-all", valid.issued_code),
        "wrong code": typed(examinee.login_id, "ABCD-EFGH-JKLM"),
        "expired code": typed(examinee_of_other_class.login_id, expired.issued_code),
        "used code": typed(third.login_id, used.issued_code),
    }
    for step in ({}, {"confirm": "1"}):  # the check before the confirmation, and the filing itself
        responses = {name: client.post(reverse(ARRIVAL_URL), data | step) for name, data in cases.items()}
        first = responses["unknown id"]
        assert first.status_code == 200
        assert str(transfer_services.CODE_REFUSAL) in first.content.decode()
        for name, response in responses.items():
            assert response.status_code == first.status_code, name
            assert without_csrf(response) == without_csrf(first), name
            for person in (examinee, examinee_of_other_class, third):
                assert person.name not in response.content.decode()
    assert Transfer.objects.filter(kind=Transfer.Kind.EXAMINEE_IN).count() == arrivals
    assert AuditEntry.objects.filter(action="transfer.examinee_in.code_refused", actor=foreign_teacher).count() == 8
    # Nothing reaches the examinee: their home asks nothing and names no other school.
    home = client_of(examinee).get(reverse("classrooms:examinee_home"))
    assert not home.context["transfer_requests"]
    assert other_organization.name not in home.content.decode()


def test_the_hash_is_computed_alike_for_an_unknown_id_and_a_wrong_code(monkeypatch, departure, examinee):
    calls = []
    real = transfer_services._code_digest
    monkeypatch.setattr(transfer_services, "_code_digest", lambda *args: calls.append(args) or real(*args))
    assert transfer_services._departure_for_code("nobody-at-all", departure.issued_code) is None
    unknown = len(calls)
    assert transfer_services._departure_for_code(examinee.login_id, "ABCDEFGHJKLM") is None
    assert unknown >= 1
    assert len(calls) == 2 * unknown


def test_a_valid_pair_names_the_examinee_only_on_the_confirmation(client_of, foreign_teacher, examinee, departure):
    response = client_of(foreign_teacher).post(reverse(ARRIVAL_URL), typed(examinee.login_id, departure.issued_code))
    assert response.status_code == 200
    assert response.context["person"] == examinee
    assert examinee.name in response.content.decode()
    departure.refresh_from_db()
    assert departure.code_used_at is None  # confirming uses nothing up
    assert not Transfer.objects.filter(kind=Transfer.Kind.EXAMINEE_IN).exists()


def test_failures_are_throttled_per_filing_account(
    settings, client_of, foreign_teacher, foreign_org_admin, examinee, departure
):
    settings.TRANSFER_CODE_FAILURE_LIMIT = 5
    client = client_of(foreign_teacher)
    for attempt in range(5):
        assert client.post(reverse(ARRIVAL_URL), typed(examinee.login_id, f"WRONG{attempt}")).status_code == 200
    # The sixth try is refused unchecked, even with the right pair: no name, no filing.
    throttled = client.post(reverse(ARRIVAL_URL), typed(examinee.login_id, departure.issued_code, confirm="1"))
    assert throttled.status_code == 429
    assert throttled.context["refusal"]
    assert throttled.context["refusal"] != str(transfer_services.CODE_REFUSAL)
    assert examinee.name not in throttled.content.decode()
    assert not Transfer.objects.filter(kind=Transfer.Kind.EXAMINEE_IN).exists()
    # Another account is not held back by them.
    other = client_of(foreign_org_admin).post(reverse(ARRIVAL_URL), typed(examinee.login_id, departure.issued_code))
    assert other.status_code == 200
    assert other.context["person"] == examinee


def test_failures_older_than_an_hour_no_longer_count(settings, foreign_teacher, examinee, departure):
    settings.TRANSFER_CODE_FAILURE_LIMIT = 2
    for _attempt in range(2):
        with pytest.raises(ServiceError):
            file_with(foreign_teacher, examinee.login_id, "WRONGCODE")
    with pytest.raises(ServiceError) as refused:
        file_with(foreign_teacher, examinee.login_id, departure.issued_code)
    assert refused.value.code == "throttled"
    # An hour and a minute later (the audit log is append-only: the clock moves, not the entries).
    later = timezone.now() + datetime.timedelta(minutes=61)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert file_with(foreign_teacher, examinee.login_id, departure.issued_code).departure == departure


def test_a_code_works_once(foreign_teacher, foreign_org_admin, examinee, departure):
    file_with(foreign_teacher, examinee.login_id, departure.issued_code)
    with pytest.raises(ServiceError) as refused:
        file_with(foreign_org_admin, examinee.login_id, departure.issued_code)
    assert refused.value.code == "transfer_code_refused"
    assert Transfer.objects.filter(kind=Transfer.Kind.EXAMINEE_IN).count() == 1


def test_a_reissue_makes_the_old_code_useless(client_of, org_admin, foreign_teacher, examinee, departure):
    old_code = departure.issued_code
    response = client_of(org_admin).post(reverse("classrooms:orgadmin_transfer_code_reissue", args=[departure.pk]))
    assert response.status_code == 200
    new_code = response.context["code"].replace("-", "")
    assert new_code != old_code
    reissued = AuditEntry.objects.get(action="transfer.examinee_out.code_reissue")
    assert reissued.actor == org_admin
    assert new_code not in str(reissued.details)
    with pytest.raises(ServiceError):
        file_with(foreign_teacher, examinee.login_id, old_code)
    assert file_with(foreign_teacher, examinee.login_id, new_code).departure == departure


def test_no_reissue_once_an_arrival_used_the_code_unless_it_was_rejected(
    foreign_teacher, foreign_org_admin, org_admin, examinee, departure
):
    arrival = file_with(foreign_teacher, examinee.login_id, departure.issued_code)
    with pytest.raises(ServiceError) as refused:
        transfer_services.transfer_code_reissue(transfer=departure, by=org_admin)
    assert refused.value.code == "code_used"
    transfer_services.transfer_reject(transfer=arrival, by=foreign_org_admin)
    reissued = transfer_services.transfer_code_reissue(transfer=departure, by=org_admin)
    assert file_with(foreign_teacher, examinee.login_id, reissued.issued_code).status == Transfer.Status.PENDING


def test_only_the_old_schools_org_admin_reissues(client, client_of, teacher, foreign_org_admin, departure):
    url = reverse("classrooms:orgadmin_transfer_code_reissue", args=[departure.pk])
    assert client.post(url).status_code == 302  # anonymous: sign in
    for outsider in (teacher, foreign_org_admin):
        assert client_of(outsider).post(url).status_code == 404
    assert not AuditEntry.objects.filter(action="transfer.examinee_out.code_reissue").exists()


def test_only_a_leaving_of_an_examinee_has_a_code(org_admin, teacher, other_teacher, school_class):
    other = transfer_services.transfer_file_teacher_out(
        teacher=teacher,
        effective_on=today() + datetime.timedelta(days=7),
        reason="",
        successors={school_class: other_teacher},
        by=org_admin,
    )
    assert not hasattr(other, "issued_code")
    with pytest.raises(ServiceError):
        transfer_services.transfer_code_reissue(transfer=other, by=org_admin)
