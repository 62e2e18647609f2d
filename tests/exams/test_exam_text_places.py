"""Where a test's own words show (docs/design.md §3): a title with furigana is ruby in the headings a
pupil reads and plain text in one-line places; the instructions reach the pupil; an ordering question is
never drawn already in its right order; the item analysis shows choices without their notation.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from exams import services
from exams.models import Choice, Question
from proctoring.models import ProctoredSession
from proctoring.services import seat_take, session_start
from tests.conftest import connect, make_exam

pytestmark = pytest.mark.django_db

TITLE = "物語《ものがたり》テスト"
RUBY = "<ruby>物語<rp>（</rp><rt>ものがたり</rt><rp>）</rp></ruby>"
INSTRUCTIONS = "本文《ほんぶん》をよく読んでから答えましょう。\n辞書は使えません。"


@pytest.fixture
def exam(organization):
    exam = make_exam(code="story", organization=organization)
    exam.title, exam.description = TITLE, INSTRUCTIONS
    exam.save()
    exam.versions.update(title=TITLE, description=INSTRUCTIONS)  # the published version a session pins
    return exam


@pytest.fixture
def session(exam, school_class, teacher):
    return ProctoredSession.objects.create(school_class=school_class, exam=exam, teacher=teacher)


def get(client, url: str) -> str:
    response = client.get(url, headers={"accept-language": "ja"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_title_is_plain_in_one_line_places():
    exam = make_exam(code="plain")
    exam.title = TITLE
    version = exam.latest_version()
    version.title = TITLE
    assert exam.plain_title == "物語テスト"
    assert str(exam) == "物語テスト"
    assert str(version) == "物語テスト (v1)"


def test_the_waiting_room_shows_the_title_as_ruby_and_the_instructions(client_of, examinee, session):
    seat_take(session=session, examinee=examinee)
    html = get(client_of(examinee), reverse("exams:waiting_room", args=[session.pk]))
    assert f'<h1 class="exam-title">{RUBY}テスト</h1>' in html
    assert "《" not in html
    assert "説明" in html
    assert (
        "<ruby>本文<rp>（</rp><rt>ほんぶん</rt><rp>）</rp></ruby>をよく読んでから答えましょう。<br>辞書は使えません。"
        in html
    )


def test_the_attempt_page_has_a_plain_tab_title_and_the_instructions_folded_open(client_of, examinee, session, teacher):
    seat, _attempt = seat_take(session=session, examinee=examinee)
    connect(seat, "test-channel")
    session_start(session=session, by=teacher)
    attempt = session.attempts.get(examinee=examinee)
    html = get(client_of(examinee), reverse("exams:attempt", args=[attempt.pk]))
    assert re.search(r"<title>物語テスト", html)
    assert f'<h1 class="exam-title">{RUBY}テスト</h1>' in html
    assert '<details class="exam-instructions" open>' in html
    assert "辞書は使えません。" in html


def test_the_start_screen_names_the_catalog_length_and_pass_mark_without_notation(
    client_of, teacher, school_class, exam
):
    make_exam(code="operator-level-3")  # the operator's catalog
    html = get(client_of(teacher), reverse("proctoring:session_create", args=[school_class.pk]))
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", html)
    assert options == ["【運営】読解テスト（10分・合格 60%）", "【学校】物語テスト（10分・合格 60%）"]


def test_the_teachers_pages_show_the_title_without_notation(client_of, teacher, examinee, session):
    seat, _attempt = seat_take(session=session, examinee=examinee)
    connect(seat, "test-channel")
    session_start(session=session, by=teacher)
    for url in (
        reverse("proctoring:dashboard", args=[session.pk]),
        reverse("proctoring:session_list", args=[session.school_class_id]),
        reverse("exams:class_results", args=[session.school_class_id]),
    ):
        html = get(client_of(teacher), url)
        assert "物語テスト" in html, url
        assert "《" not in html, url


def _ordering_question(organization):
    exam = make_exam(code="order", questions=0, organization=organization)
    version = exam.latest_version()
    question = Question.objects.create(
        exam=exam, version=version, key="order", prompt="順に", kind=Question.Kind.ORDERING, position=0
    )
    ids = [Choice.objects.create(question=question, text=text, position=i).pk for i, text in enumerate("一二三")]
    return question, ids


class FirstShuffleLeavesAlone:
    """A shuffle that leaves the list as it is the first time (the draw a fair shuffle gives one time in
    six for three items), then reverses it.
    """

    def __init__(self):
        self.calls = 0

    def shuffle(self, items: list) -> None:
        self.calls += 1
        if self.calls > 1:
            items.reverse()


def test_an_ordering_question_is_never_shown_in_its_right_order(organization, monkeypatch):
    question, ids = _ordering_question(organization)
    monkeypatch.setattr(services, "_random", FirstShuffleLeavesAlone())
    assert services.shown_order(question, ids) == ids[::-1]


def test_other_kinds_keep_the_draw_whatever_it_is(organization, monkeypatch):
    question, ids = _ordering_question(organization)
    question.kind = Question.Kind.SINGLE
    shuffler = FirstShuffleLeavesAlone()
    monkeypatch.setattr(services, "_random", shuffler)
    assert services.shown_order(question, ids) == ids
    assert shuffler.calls == 1


def test_the_item_analysis_shows_choices_and_flags_without_notation(client_of, teacher, school_class, examinee):
    exam = make_exam(code="kanji", questions=1, per_attempt=1, organization=school_class.organization)
    Choice.objects.filter(question__exam=exam, position=1).update(text="漢字《かんじ》")
    session = ProctoredSession.objects.create(
        school_class=school_class, exam=exam, teacher=teacher, status=ProctoredSession.Status.RUNNING
    )
    attempt, _created = services.attempt_start(session=session, examinee=examinee)
    services.attempt_finish(attempt=attempt, reason="submitted")
    html = get(client_of(teacher), reverse("exams:class_results", args=[school_class.pk]) + f"?session={session.pk}")
    assert "漢字" in html
    assert "《" not in html
