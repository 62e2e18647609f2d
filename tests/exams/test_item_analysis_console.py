"""The operator's item analysis of an exam across schools, with small cells suppressed (docs/design.md §3)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import make_exam
from tests.exams.test_item_analysis import SIX, running, sit_class


@pytest.fixture
def exam(db):
    return make_exam(code="three-questions", questions=3, per_attempt=3)


@pytest.fixture
def two_schools(exam, school_class, teacher, foreign_class, foreign_teacher):
    """Six pupils at さくら as in the hand-computed class; three at the other school, every answer right."""
    sit_class(running(exam, school_class, teacher), school_class, "sakura", SIX)
    sit_class(
        running(exam, foreign_class, foreign_teacher), foreign_class, "other", {"q0": "AAA", "q1": "AAA", "q2": "AAA"}
    )
    return exam


def url_of(exam) -> str:
    return reverse("admin:exams_exam_item_analysis", args=[exam.pk])


def test_the_operator_sees_every_school_with_small_cells_suppressed(
    client_of, operator, two_schools, organization, other_organization
):
    response = client_of(operator).get(url_of(two_schools))
    analysis = response.context["analysis"]
    assert analysis.count == 9
    first, second, third = analysis.items
    # q0: A 4 + 3 = 7, B 1, C 1, D 0 → B and C hidden; a zero says nothing about a pupil and stays
    assert [(choice.count, choice.percent) for choice in first.choices] == [(7, 77), (None, None), (None, None), (0, 0)]
    # q1: A 2 + 3 = 5, B 4 → B hidden; alone, it would be 9 − 5 − 0 − 0, so the key is hidden besides ("*")
    assert [(choice.count, choice.shown) for choice in second.choices] == [(None, "*"), (None, "<5"), (0, ""), (0, "")]
    assert second.correct_shown == "*"
    assert (third.unanswered, third.unanswered_shown) == (1, "<5")
    assert (first.correct, first.correct_shown) == (7, None)
    assert first.discrimination is not None
    schools = {school.name: (school.count, school.shown) for school in analysis.schools}
    # the other school's three are "<5"; さくら's six would then be 9 − 3 − …: hidden besides
    assert schools == {organization.name: (None, "*"), other_organization.name: (None, "<5")}
    html = response.content.decode()
    assert html.count("&lt;5") >= 4
    assert "あわせて伏せた数" in html  # what "*" means, in Japanese
    assert "style=" not in html


def test_only_the_smallest_other_school_is_hidden_beside_a_small_one(
    client_of, operator, two_schools, organization, other_organization, foreign_teacher
):
    from classrooms.models import Organization
    from tests.conftest import make_class, make_organization, make_user

    third = make_organization("aoba", "あおば小学校")
    teacher = make_user("aoba-teacher", "teacher", third)
    school_class = make_class(third, teacher, "6年1組")
    sit_class(running(two_schools, school_class, teacher), school_class, "aoba", dict.fromkeys(SIX, "AAAAAAA"))
    schools = {
        school.name: (school.count, school.shown, school.mean_percent)
        for school in client_of(operator).get(url_of(two_schools)).context["analysis"].schools
    }
    # 6, 3 and 7: one "<5", so the smallest other (さくら's 6) is hidden besides; あおば's seven all right show
    assert schools == {
        organization.name: (None, "*", None),
        other_organization.name: (None, "<5", None),
        Organization.objects.get(code="aoba").name: (7, "", 100.0),
    }


def test_the_numbers_are_those_of_all_results_together(client_of, operator, two_schools):
    # nine pupils: totals 2 2 2 0 1 1 (さくら) and 3 3 3; q0 right by 7 of 9
    first = client_of(operator).get(url_of(two_schools)).context["analysis"].items[0]
    assert (first.asked, first.correct, first.percent_correct) == (9, 7, 77)


def test_with_fewer_than_five_results_only_the_count_is_shown(
    client_of, operator, exam, foreign_class, foreign_teacher
):
    sit_class(
        running(exam, foreign_class, foreign_teacher), foreign_class, "other", {"q0": "AB", "q1": "AA", "q2": "BA"}
    )
    response = client_of(operator).get(url_of(exam))
    assert (response.context["analysis"].count, response.context["analysis"].items) == (2, [])
    html = response.content.decode()
    assert "問0" not in html
    assert "選択肢0-0" not in html


def test_revoked_and_unfinished_attempts_are_left_out(client_of, operator, two_schools, teacher):
    from exams.models import Attempt
    from proctoring.services import result_revoke

    revoked = Attempt.objects.filter(examinee__login_id="sakura-1").get()
    result_revoke(attempt=revoked, by=teacher, reason="copied")
    assert client_of(operator).get(url_of(two_schools)).context["analysis"].count == 8


def test_the_exams_console_page_links_to_it(client_of, operator, exam):
    page = client_of(operator).get(reverse("admin:exams_exam_change", args=[exam.pk])).content.decode()
    assert url_of(exam) in page


def test_an_exam_that_does_not_exist_is_404(client_of, operator, exam):
    assert client_of(operator).get(reverse("admin:exams_exam_item_analysis", args=[exam.pk + 1000])).status_code == 404


@pytest.mark.parametrize("persona", ["teacher", "org_admin", "examinee"])
def test_school_accounts_get_nothing(client_of, persona, request, two_schools):
    client = client_of(request.getfixturevalue(persona))
    response = client.get(url_of(two_schools))
    assert response.status_code == 302  # to the console's sign-in, which is 404 for anyone signed in
    assert client.get(response["Location"]).status_code == 404
    assert "選択肢" not in response.content.decode()
