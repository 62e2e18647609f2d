"""The test editor's badge card (docs/design.md §12): a school's author turns the badge on with its words;
the operator's tests always award theirs; a published version's badge is frozen.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from badges.models import Achievement
from exams import versions as exam_versions
from tests.conftest import make_exam

pytestmark = pytest.mark.django_db

TEXTS = {
    "name_ja": "漢字名人",
    "name_en": "Kanji master",
    "description_ja": "3年の漢字",
    "description_en": "Grade 3 kanji",
    "criteria_ja": "80%以上",
    "criteria_en": "80% or more",
}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def school_draft(organization, teacher):
    exam = make_exam(code="school-badge", organization=organization)
    exam.latest_version()
    exam_versions.exam_draft_next_version(exam=exam, by=teacher)
    return exam


def test_the_author_turns_the_badge_on_with_its_words(client_of, teacher, school_draft):
    client = client_of(teacher)
    page = client.get(reverse("exams:write_exam", args=[school_draft.pk])).content.decode()
    assert 'id="badge"' in page
    assert "Award a badge to pupils who pass" in page
    response = client.post(reverse("exams:write_badge", args=[school_draft.pk]), {"badge_enabled": "on", **TEXTS})
    assert response.status_code == 302
    achievement = Achievement.objects.get(version__exam=school_draft)
    assert achievement.enabled
    assert (achievement.name_ja, achievement.criteria_en) == ("漢字名人", "80% or more")
    assert achievement.issuer.organization == school_draft.organization
    client.post(reverse("exams:write_badge", args=[school_draft.pk]), TEXTS)  # unticked: off again
    achievement.refresh_from_db()
    assert not achievement.enabled


def test_a_badge_without_a_name_is_refused(client_of, teacher, school_draft):
    response = client_of(teacher).post(
        reverse("exams:write_badge", args=[school_draft.pk]), {"badge_enabled": "on", **TEXTS, "name_ja": ""}
    )
    assert response.status_code == 400
    assert "A badge needs a name." in response.content.decode()
    assert not Achievement.objects.exists()


def test_another_schools_teacher_gets_404(client_of, foreign_teacher, school_draft):
    response = client_of(foreign_teacher).post(
        reverse("exams:write_badge", args=[school_draft.pk]), {"badge_enabled": "on", **TEXTS}
    )
    assert response.status_code == 404
    assert not Achievement.objects.exists()


def test_an_operator_test_has_no_card_to_turn_off(client_of, operator):
    exam = make_exam(code="operator-badge")
    exam.latest_version()
    exam_versions.exam_draft_next_version(exam=exam, by=operator)
    client = client_of(operator)
    page = client.get(reverse("exams:write_exam", args=[exam.pk])).content.decode()
    assert "Pupils who pass this test get the operator&#x27;s badge" in page or "operator's badge" in page
    assert client.post(reverse("exams:write_badge", args=[exam.pk]), TEXTS).status_code == 404
