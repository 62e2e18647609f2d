"""My classes by school year; creating and renaming a class."""

from __future__ import annotations

import pytest
from django.urls import reverse

from classrooms.models import AuditEntry, SchoolClass
from classrooms.schoolyear import current_school_year
from tests.conftest import make_class

pytestmark = pytest.mark.django_db


def test_it_lists_only_my_classes_of_the_chosen_year(client_of, teacher, school_class, other_class, foreign_class):
    last_year = SchoolClass.objects.create(
        organization=school_class.organization, teacher=teacher, school_year=current_school_year() - 1, name="4年1組"
    )
    client = client_of(teacher)

    names = [c.name for c in client.get(reverse("classrooms:teacher_class_list")).context["classes"]]
    assert names == [school_class.name]

    response = client.get(reverse("classrooms:teacher_class_list"), {"year": last_year.school_year})
    assert [c.name for c in response.context["classes"]] == ["4年1組"]
    assert last_year.school_year in response.context["years"]


def test_it_shows_the_roster_size(client_of, teacher, school_class, examinee):
    [listed] = client_of(teacher).get(reverse("classrooms:teacher_class_list")).context["classes"]
    assert listed.examinee_count == 1


def test_it_creates_a_class_for_me_and_audits_it(client_of, teacher, organization):
    response = client_of(teacher).post(
        reverse("classrooms:teacher_class_create"), {"name": "6年3組", "school_year": current_school_year()}
    )
    created = SchoolClass.objects.get(name="6年3組")
    assert response.url == reverse("classrooms:teacher_roster", args=[created.pk])
    assert created.teacher == teacher
    assert created.organization == organization
    assert AuditEntry.objects.filter(action="class.create", target_id=str(created.pk)).exists()


def test_duplicate_class_name_in_a_year_is_a_clear_error(client_of, teacher, school_class, other_teacher):
    response = client_of(teacher).post(
        reverse("classrooms:teacher_class_create"), {"name": school_class.name, "school_year": school_class.school_year}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert SchoolClass.objects.filter(name=school_class.name).count() == 1


def test_it_renames_with_htmx_and_returns_the_heading(client_of, teacher, school_class):
    response = client_of(teacher).post(
        reverse("classrooms:teacher_class_rename", args=[school_class.pk]),
        {"name": "5年1組 (国語)"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "5年1組 (国語)" in response.content.decode()
    school_class.refresh_from_db()
    assert school_class.name == "5年1組 (国語)"


def test_rename_to_a_taken_name_changes_nothing(client_of, teacher, school_class, organization):
    make_class(organization, teacher, "5年3組")
    response = client_of(teacher).post(
        reverse("classrooms:teacher_class_rename", args=[school_class.pk]), {"name": "5年3組"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    school_class.refresh_from_db()
    assert school_class.name == "5年1組"


def test_class_names_are_escaped(client_of, teacher, school_class):
    client = client_of(teacher)
    client.post(
        reverse("classrooms:teacher_class_rename", args=[school_class.pk]), {"name": "<script>alert(1)</script>"}
    )
    body = client.get(reverse("classrooms:teacher_roster", args=[school_class.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
