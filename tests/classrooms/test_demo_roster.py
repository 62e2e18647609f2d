"""The demo: every login the README lists exists in its class, and the 40-pupil cp932 roster imports cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from classrooms.access import roster_of
from classrooms.models import SchoolClass, User
from classrooms.roster_csv import parse_roster
from classrooms.schoolyear import current_school_year
from classrooms.services import class_create

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "classrooms" / "samples" / "demo-roster-40.csv"
README = (ROOT / "README.md").read_text()


def test_the_sample_is_cp932_with_40_pupils():
    data = SAMPLE.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert data.decode("cp932").startswith("番号,氏名,ふりがな,利用者ID,時間")
    rows = parse_roster(data)
    assert len(rows) == 40
    assert [row.number for row in rows] == list(range(1, 41))


def test_the_sample_imports_cleanly_for_the_demo_teacher_without_a_class(client):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    teacher = User.objects.get(login_id="sakura-teacher3")
    school_class = class_create(
        organization=teacher.memberships.get().organization,
        teacher=teacher,
        school_year=current_school_year(),
        name="6年1組",
        by=teacher,
    )
    client.force_login(teacher)
    url = reverse("classrooms:teacher_roster_import", args=[school_class.pk])
    token = client.get(url).context["import_token"]
    response = client.post(url, {"file": SimpleUploadedFile("demo.csv", SAMPLE.read_bytes()), "import_token": token})
    assert len(response.context["credentials"]) == 40
    assert roster_of(school_class).count() == SchoolClass.CAPACITY


def test_the_readme_lists_every_demo_login_with_its_class(capsys):
    call_command("load_demo", "--url", "http://192.0.2.5:8080/")
    assert "http://192.0.2.5:8080/" in capsys.readouterr().out
    assert "make run ADDR=" in README
    assert "classrooms/samples/demo-roster-40.csv" in README
    lines = README.splitlines()
    for school_class in SchoolClass.objects.select_related("teacher"):
        teacher_rows = [line for line in lines if f"`{school_class.teacher.login_id}`" in line]
        assert any(school_class.name in line for line in teacher_rows), school_class.teacher.login_id
        pupils = sorted(roster_of(school_class).values_list("examinee__login_id", flat=True))
        pupil_rows = [line for line in lines if f"`{pupils[0]}`" in line and f"`{pupils[-1]}`" in line]
        assert any(school_class.name in line for line in pupil_rows), pupils
    assert any("`sakura-teacher3`" in line and "demo-roster-40.csv" in line for line in lines)
