"""The author's preview of a version as a pupil sees it (docs/design.md §3).

The attempt page itself (same template, script, fragments), with a draw kept in the author's browser
session: it writes no row of the database (the fingerprint of every table, as the route sweep takes it),
shows every kind without a key, and is for those who may read the questions only.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from classrooms.models import User
from exams.models import Choice, Passage, Question
from exams.versions import version_publish
from tests.conftest import make_exam, make_user
from tests.exams.conftest import new_draft
from tests.security.sweep import fingerprint, fingerprint_changes

pytestmark = pytest.mark.django_db

ACCEPTED = "ひみつのこたえ"
KINDS = ("single", "multiple", "short", "ordering")


def _mixed_version(organization, teacher, *, publish: bool):
    """A school's test with one question of every kind, two under a passage with furigana; every one drawn."""
    exam, draft = new_draft(
        organization,
        teacher,
        code="preview-mixed",
        title="ひみつの総合",
        questions_per_attempt=4,
        time_limit_minutes=20,
    )
    passage = Passage.objects.create(version=draft, key="p", title="本文の題", text="｜漢字《かんじ》の本文")
    for number, kind in enumerate(KINDS):
        question = Question.objects.create(
            exam=exam,
            version=draft,
            group=passage if number < 2 else None,
            key=f"k{number}",
            kind=kind,
            prompt=f"しつもん{number}",
            position=number,
            accepted_answers=[ACCEPTED] if kind == "short" else [],
        )
        for index in range(0 if kind == "short" else 4):
            Choice.objects.create(
                pk=987_800 + number * 10 + index,
                question=question,
                text=f"こたえ{number}-{index}",
                is_correct=kind != "ordering" and index in (1, 2)[: 1 if number == 0 else 2],
                position=index,
            )
    if publish:
        version_publish(version=draft, by=teacher)
    draft.refresh_from_db()
    return draft


def _urls(version):
    page = reverse("exams:version_preview", args=[version.exam_id, version.number])
    questions = [
        reverse("exams:version_preview_question", args=[version.exam_id, version.number, position])
        for position in range(version.questions_per_attempt)
    ]
    return page, questions, reverse("exams:version_preview_submit", args=[version.exam_id, version.number])


@pytest.mark.parametrize("publish", [True, False], ids=["published", "draft"])
def test_the_preview_writes_no_row(client_of, organization, teacher, publish):
    version = _mixed_version(organization, teacher, publish=publish)
    client = client_of(teacher)
    page, questions, submit = _urls(version)
    before = fingerprint()
    assert client.get(page).status_code == 200
    for url in questions:
        assert client.get(url).status_code == 200
    answers = [{"position": 0, "response": "x", "seq": 1}]
    assert client.post(submit, {"answers": json.dumps(answers)}).status_code == 200
    # The draw lives in the browser session (django_session, which the fingerprint leaves out): nothing else.
    assert fingerprint_changes(before, fingerprint()) == []


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_preview_is_the_attempt_page_with_every_kind_and_no_key(client_of, organization, teacher, language):
    version = _mixed_version(organization, teacher, publish=True)
    client = client_of(teacher)
    page, questions, _submit = _urls(version)
    response = client.get(page, headers={"Accept-Language": language})
    assert next(t.name for t in response.templates) == "exams/attempt.html"
    html = response.content.decode()
    assert "exam-banner-preview" in html
    assert "preview-tag" in html
    assert "js/attempt.js" in html
    assert 'data-furigana="hidden"' in html  # the furigana switch of the pupils' page
    config = response.context["config"]
    assert config["preview"]["token"]
    assert "answerUrl" not in config
    assert "socket" not in config
    fragments = {url: client.get(url, headers={"Accept-Language": language}).content.decode() for url in questions}
    pages = html + "".join(fragments.values())
    for kind in KINDS:
        assert f'data-kind="{kind}"' in pages
    assert "<ruby>漢字<rp>" in pages  # the passage's furigana
    choice_ids = [str(pk) for pk in Choice.objects.filter(question__version=version).values_list("pk", flat=True)]
    for url, text in {page: html, **fragments}.items():
        assert not [pk for pk in choice_ids if pk in text], url
        assert ACCEPTED not in text, url
        assert "correct" not in text.lower(), url
        assert "正解" not in text, url
        assert "正答" not in text, url


def test_each_preview_draws_afresh_and_the_fragment_needs_its_draw(client_of, organization, teacher):
    version = _mixed_version(organization, teacher, publish=True)
    page, questions, _submit = _urls(version)
    client = client_of(teacher)
    # No draw in this browser session yet: to a new preview.
    assert client.get(questions[0])["Location"] == page
    assert client.get(questions[0], headers={"HX-Request": "true"})["HX-Redirect"] == page
    first = client.get(page).context["config"]["preview"]["token"]
    second = client.get(page).context["config"]["preview"]["token"]
    assert first != second
    past_the_end = reverse("exams:version_preview_question", args=[version.exam_id, version.number, 4])
    assert client.get(past_the_end).status_code == 404


def test_the_hand_in_shows_the_score_it_would_earn(client_of, organization, teacher):
    version = _mixed_version(organization, teacher, publish=True)
    client = client_of(teacher)
    page, _questions, submit = _urls(version)
    client.get(page)
    draw = client.session["exam_previews"][str(version.pk)]["rows"]
    kinds = {Question.objects.get(pk=question_id).kind: position for position, (question_id, _order) in enumerate(draw)}
    single_order = draw[kinds["single"]][1]
    right = single_order.index(987_801)
    answers = [
        {"position": kinds["single"], "choice": right, "seq": 1},
        {"position": kinds["short"], "response": " ヒミツノコタエ", "seq": 2},
        {"position": kinds["multiple"], "response": [99], "seq": 3},  # not an answer: counts as none
    ]
    response = client.post(submit, {"answers": json.dumps(answers)})
    result = response.context["result"]
    assert (result.score, result.total, result.passed) == (2, 4, True)
    assert [mark.answered for mark in result.marks] == [
        position in (kinds["single"], kinds["short"]) for position in range(4)
    ]
    assert client.post(submit, {"answers": "not json"}).context["result"].score == 0


def test_only_those_who_may_read_the_questions_preview(
    client_of, organization, teacher, org_admin, examinee, foreign_teacher, operator
):
    school = _mixed_version(organization, teacher, publish=True)
    catalog = make_exam(code="operator-test").versions.get()
    for user, version, status in [
        (teacher, school, 200),
        (org_admin, school, 200),  # the school's admin may read its questions too
        (make_user("sakura-colleague", User.Role.TEACHER, organization), school, 200),
        (foreign_teacher, school, 404),
        (operator, school, 404),
        (examinee, school, 404),
        (teacher, catalog, 404),  # no teacher reads the operator's catalog
        (operator, catalog, 200),
    ]:
        client = client_of(user)
        page, questions, submit = _urls(version)
        assert client.get(page).status_code == status, (user, version)
        if status == 404:
            assert client.get(questions[0]).status_code == 404
            assert client.post(submit, {"answers": "[]"}).status_code == 404
        client.logout()


def test_a_version_that_does_not_exist_is_404(client_of, organization, teacher):
    version = _mixed_version(organization, teacher, publish=True)
    url = reverse("exams:version_preview", args=[version.exam_id, version.number + 1])
    assert client_of(teacher).get(url).status_code == 404
