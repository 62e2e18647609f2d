"""児童, 生徒 or 児童生徒 by the school's type (docs/design.md §11)."""

from __future__ import annotations

import importlib.util

import pytest
from django.conf import settings
from django.urls import reverse

from classrooms.models import Organization

pytestmark = pytest.mark.django_db


def title_of(client, url: str) -> str:
    content = client.get(url).content.decode()
    return content.split("<h1>", 1)[1].split("</h1>", 1)[0].strip()


@pytest.mark.parametrize(
    ("school_type", "title"),
    [
        (Organization.SchoolType.ELEMENTARY, "1年1組 に児童を追加"),
        (Organization.SchoolType.SECONDARY, "1年1組 に生徒を追加"),
        (Organization.SchoolType.MIXED, "1年1組 に児童生徒を追加"),
    ],
)
def test_staff_screens_call_pupils_what_the_school_calls_them(
    client_of, teacher, school_class, organization, school_type, title
):
    organization.school_type = school_type
    organization.save(update_fields=["school_type"])
    school_class.name = "1年1組"
    school_class.save(update_fields=["name"])
    client = client_of(teacher)
    url = reverse("classrooms:teacher_examinee_add", args=[school_class.pk])
    assert title_of(client, url) == title
    # Strings without the word still come from the Japanese catalog.
    assert "利用者ID" in client.get(url).content.decode()


def test_the_page_language_stays_japanese(client_of, org_admin, organization):
    organization.school_type = Organization.SchoolType.ELEMENTARY
    organization.save(update_fields=["school_type"])
    content = client_of(org_admin).get(reverse("classrooms:orgadmin_examinee_list")).content.decode()
    assert '<html lang="ja">' in content


def test_english_readers_are_not_switched(client_of, org_admin, organization):
    organization.school_type = Organization.SchoolType.SECONDARY
    organization.save(update_fields=["school_type"])
    client = client_of(org_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert title_of(client, reverse("classrooms:orgadmin_examinee_list")) == "Examinee accounts"
    assert client.get(reverse("classrooms:orgadmin_examinee_list")).headers["Content-Language"] == "en"


def test_the_school_catalogs_are_made_from_the_japanese_one(capsys):
    spec = importlib.util.spec_from_file_location("school_words", settings.BASE_DIR / "scripts" / "school_words.py")
    school_words = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(school_words)
    assert school_words.main(["--check"]) == 0, capsys.readouterr().err
    # The operator's choice names the three words as they are, in every catalog.
    elementary = (settings.BASE_DIR / "locale" / "ja_Elem" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert "Examinee" in elementary
    assert "school type" not in elementary
