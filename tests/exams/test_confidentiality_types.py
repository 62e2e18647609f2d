"""The answer-key scan for every question type (docs/design.md §3): no key, accepted answer or right
order reaches the pupil's browser, and changing any of them changes not one byte of the pages.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from exams.models import AttemptQuestion, Choice, Passage, Question
from exams.versions import version_publish
from proctoring.services import session_open
from tests.exams.conftest import new_draft
from tests.exams.test_attempt_views import exam_responses, mask_per_request_values, start_attempt

ACCEPTED = "ひみつのこたえ"


@pytest.fixture
def mixed_session(organization, teacher, school_class):
    exam, draft = new_draft(
        organization, teacher, code="secret-mixed", title="ひみつの総合", questions_per_attempt=4, time_limit_minutes=20
    )
    passage = Passage.objects.create(version=draft, key="p", title="ひみつの本文", text="本文のことば")
    kinds = [Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.SHORT, Question.Kind.ORDERING]
    for number, kind in enumerate(kinds):
        question = Question.objects.create(
            exam=exam,
            version=draft,
            group=passage if number < 2 else None,
            key=f"k{number}",
            kind=kind,
            prompt=f"しつもん{number}",
            position=number,
            accepted_answers=[ACCEPTED] if kind == Question.Kind.SHORT else [],
        )
        for index in range(0 if kind == Question.Kind.SHORT else 4):
            Choice.objects.create(
                pk=987_700 + number * 10 + index,
                question=question,
                text=f"こたえ{number}-{index}",
                is_correct=kind != Question.Kind.ORDERING and index in (1, 2)[: 1 if number == 0 else 2],
                position=index,
            )
    version_publish(version=draft, by=teacher)
    return session_open(school_class=school_class, exam=exam, by=teacher)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_no_page_shows_any_types_key(client_of, examinee, teacher, mixed_session, language):
    attempt = start_attempt(mixed_session, examinee, teacher)
    rows = {row.question.kind: row for row in attempt.questions.select_related("question")}
    AttemptQuestion.objects.filter(pk=rows["multiple"].pk).update(response=[0, 3], save_seq=1)
    AttemptQuestion.objects.filter(pk=rows["short"].pk).update(response="わたしの答え", save_seq=1)
    AttemptQuestion.objects.filter(pk=rows["ordering"].pk).update(response=[3, 2, 1, 0], save_seq=1)
    client = client_of(examinee)
    before = exam_responses(client, attempt, language)
    choice_ids = [
        str(pk) for pk in Choice.objects.filter(question__exam=mixed_session.exam).values_list("pk", flat=True)
    ]
    for url, html in before.items():
        assert not [pk for pk in choice_ids if pk in html], url
        assert ACCEPTED not in html, url
        assert "correct" not in html.lower(), url
        assert "正解" not in html, url
        assert "正答" not in html, url
    pages = "".join(before.values())
    assert "ひみつの本文" in pages
    assert "わたしの答え" in pages  # the pupil's own answer comes back, and only that

    # Every key changes: which choices are correct, the accepted answer, the right order.
    for question in Question.objects.filter(exam=mixed_session.exam):
        question.choices.update(is_correct=False)
        question.choices.filter(position=0).update(is_correct=True)
        ordering = list(question.choices.order_by("position"))
        for position, choice in enumerate(reversed(ordering)):
            Choice.objects.filter(pk=choice.pk).update(position=position)
    Question.objects.filter(kind=Question.Kind.SHORT).update(accepted_answers=["べつのこたえ"])
    after = exam_responses(client, attempt, language)
    assert {url: mask_per_request_values(html) for url, html in after.items()} == {
        url: mask_per_request_values(html) for url, html in before.items()
    }


def test_a_response_is_saved_through_the_answer_url(client_of, examinee, teacher, mixed_session):
    attempt = start_attempt(mixed_session, examinee, teacher)
    row = attempt.questions.get(question__kind=Question.Kind.SHORT)
    response = client_of(examinee).post(
        reverse("exams:answer_save", args=[attempt.pk]),
        data=json.dumps({"position": row.position, "seq": 1, "response": " ヒミツノコタエ "}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["applied"] is True
    row.refresh_from_db()
    assert row.response == " ヒミツノコタエ "
