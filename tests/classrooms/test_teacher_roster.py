"""The roster: issuing examinee accounts, enrolling, editing, unenrolling, reissuing passwords."""

from __future__ import annotations

import pytest
from django.urls import reverse

from classrooms.models import AuditEntry, Enrollment, Membership, User
from classrooms.schoolyear import today
from tests.conftest import enroll, make_user

pytestmark = pytest.mark.django_db


def test_roster_shows_my_examinees_only(client_of, teacher, school_class, examinee, examinee_of_other_class):
    response = client_of(teacher).get(reverse("classrooms:teacher_roster", args=[school_class.pk]))
    assert [e.examinee for e in response.context["enrollments"]] == [examinee]
    assert f'<th scope="row">{examinee.name}</th>' in response.content.decode()


def test_roster_hides_an_examinee_whose_membership_ended(client_of, teacher, school_class, examinee):
    Membership.objects.filter(user=examinee).update(ends_on=today())
    response = client_of(teacher).get(reverse("classrooms:teacher_roster", args=[school_class.pk]))
    assert list(response.context["enrollments"]) == []
    assert examinee.name not in response.content.decode()


def test_it_issues_an_examinee_account_and_shows_the_slip_once(client_of, teacher, school_class):
    client = client_of(teacher)
    response = client.post(
        reverse("classrooms:teacher_examinee_add", args=[school_class.pk]),
        {"name": "高橋 葵", "kana": "たかはし あおい", "number": "12"},
    )
    assert response.status_code == 200
    [credential] = response.context["credentials"]
    pupil = credential.user
    assert pupil.role == User.Role.EXAMINEE
    assert pupil.must_change_password
    assert pupil.check_password(credential.password)
    assert credential.password in response.content.decode()
    assert Enrollment.objects.get(examinee=pupil).number == 12
    assert Membership.objects.get(user=pupil).organization == school_class.organization
    roster_page = client.get(reverse("classrooms:teacher_roster", args=[school_class.pk])).content.decode()
    assert "高橋 葵" in roster_page
    assert credential.password not in roster_page
    entry = AuditEntry.objects.get(action="examinee.issue")
    assert credential.password not in str(entry.details)


def test_a_taken_login_id_is_a_field_error_and_nothing_is_created(client_of, teacher, school_class, examinee):
    before = User.objects.count()
    response = client_of(teacher).post(
        reverse("classrooms:teacher_examinee_add", args=[school_class.pk]), {"name": "X", "login_id": examinee.login_id}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["login_id"]
    assert User.objects.count() == before


def test_the_41st_examinee_is_refused_with_a_clear_message(client_of, teacher, school_class, organization):
    for n in range(40):
        enroll(school_class, make_user(f"full-{n:02d}", User.Role.EXAMINEE, organization))
    before = User.objects.count()
    response = client_of(teacher).post(
        reverse("classrooms:teacher_examinee_add", args=[school_class.pk]), {"name": "41番目"}
    )
    assert response.status_code == 200
    assert "40" in " ".join(response.context["form"].non_field_errors())
    assert User.objects.count() == before


def test_it_enrolls_an_existing_examinee_of_my_organization(client_of, teacher, school_class, examinee_of_other_class):
    response = client_of(teacher).post(
        reverse("classrooms:teacher_enroll_existing", args=[school_class.pk]),
        {"examinee": examinee_of_other_class.pk, "number": 2},
    )
    assert response.status_code == 302
    assert (
        Enrollment.objects.active_on(today())
        .filter(school_class=school_class, examinee=examinee_of_other_class)
        .exists()
    )


def test_it_cannot_enroll_another_organizations_examinee(client_of, teacher, school_class, foreign_examinee):
    client_of(teacher).post(
        reverse("classrooms:teacher_enroll_existing", args=[school_class.pk]), {"examinee": foreign_examinee.pk}
    )
    assert not Enrollment.objects.filter(school_class=school_class, examinee=foreign_examinee).exists()


@pytest.mark.parametrize("persona", ["other_teacher", "org_admin"])
def test_staff_can_never_be_enrolled(client_of, request, teacher, school_class, persona):
    staff = request.getfixturevalue(persona)
    client_of(teacher).post(
        reverse("classrooms:teacher_enroll_existing", args=[school_class.pk]), {"examinee": staff.pk}
    )
    assert not Enrollment.objects.filter(examinee=staff).exists()


def test_it_edits_basic_info_with_htmx(client_of, teacher, school_class, enrollment):
    response = client_of(teacher).post(
        reverse("classrooms:teacher_examinee_edit", args=[school_class.pk, enrollment.pk]),
        {"name": "鈴木 一朗", "kana": "すずき いちろう", "number": "3", "time_multiplier": "1.00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "鈴木 一朗" in response.content.decode()
    enrollment.refresh_from_db()
    enrollment.examinee.refresh_from_db()
    assert (enrollment.examinee.name, enrollment.number) == ("鈴木 一朗", 3)
    assert AuditEntry.objects.get(action="examinee.update").details == {"fields": ["name", "number"]}


def test_an_empty_name_is_refused(client_of, teacher, school_class, enrollment):
    response = client_of(teacher).post(
        reverse("classrooms:teacher_examinee_edit", args=[school_class.pk, enrollment.pk]), {"name": "", "kana": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]


def test_unenrolling_keeps_the_account_and_frees_the_seat(client_of, teacher, school_class, enrollment, examinee):
    client = client_of(teacher)
    response = client.post(reverse("classrooms:teacher_enrollment_end", args=[school_class.pk, enrollment.pk]))
    assert response.status_code == 302
    assert not Enrollment.objects.active_on(today()).filter(examinee=examinee).exists()
    assert User.objects.filter(pk=examinee.pk, is_active=True).exists()
    assert list(client.get(reverse("classrooms:teacher_roster", args=[school_class.pk])).context["enrollments"]) == []
    # and they can come back the same day
    client.post(reverse("classrooms:teacher_enroll_existing", args=[school_class.pk]), {"examinee": examinee.pk})
    assert Enrollment.objects.active_on(today()).filter(examinee=examinee, school_class=school_class).count() == 1


def test_reissuing_a_password_replaces_the_old_one(client_of, teacher, school_class, enrollment, examinee):
    response = client_of(teacher).post(
        reverse("classrooms:teacher_password_reissue", args=[school_class.pk, enrollment.pk])
    )
    [credential] = response.context["credentials"]
    examinee.refresh_from_db()
    assert examinee.check_password(credential.password)
    assert examinee.must_change_password
    assert credential.password in response.content.decode()
