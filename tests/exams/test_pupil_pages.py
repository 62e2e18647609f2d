"""The pupil's pages while a test runs (docs/design.md §3): the waiting room and the attempt page
lead nowhere out of the test, carry the help button, the text size and the announcement banner,
and show exam text with its furigana as ruby and everything else escaped.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from exams.models import Attempt, Choice, Question
from exams.views.attempts import ATTEMPT_TEXT, EXAM_SHARED_TEXT, WAITING_ROOM_TEXT
from proctoring.services import seat_take, session_start
from tests.conftest import connect

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The links, forms, buttons, scripts and elements with an id of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[str] = []
        self.scripts: list[str] = []
        self.buttons: list[dict] = []
        self.ids: dict[str, dict] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids[attributes["id"]] = {"tag": tag, **attributes}
        if tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        elif tag == "form":
            self.forms.append(attributes.get("action", ""))
        elif tag == "script" and "src" in attributes:
            self.scripts.append(attributes["src"])
        elif tag == "button":
            self.buttons.append(attributes)


@pytest.fixture
def seat(proctored_session, examinee):
    seat, _attempt = seat_take(session=proctored_session, examinee=examinee)
    return seat


@pytest.fixture
def waiting_room(client_of, examinee, seat, proctored_session) -> str:
    response = client_of(examinee).get(
        reverse("exams:waiting_room", args=[proctored_session.pk]), headers={"accept-language": "ja"}
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def attempt(seat, proctored_session, teacher, examinee) -> Attempt:
    connect(seat, "test-channel")
    session_start(session=proctored_session, by=teacher)
    return Attempt.objects.get(session=proctored_session, examinee=examinee)


@pytest.fixture
def attempt_page(client_of, examinee, attempt) -> str:
    response = client_of(examinee).get(reverse("exams:attempt", args=[attempt.pk]), headers={"accept-language": "ja"})
    assert response.status_code == 200
    return response.content.decode()


def assert_nothing_leads_out_of_the_test(html: str, own_forms: set[str]) -> None:
    page = Page(html)
    assert [href for href in page.links if not href.startswith("#")] == []  # the skip link stays
    assert set(page.forms) <= own_forms
    for gone in (reverse("classrooms:logout"), reverse("set_language"), reverse("messaging:inbox")):
        assert gone not in html
    for gone in ("classrooms:examinee_home", "exams:history", "classrooms:password_change"):
        assert f'href="{reverse(gone)}"' not in html
    # Messages wait until the test ends: no inbox link, badge or socket, and no inbox script.
    assert "inbox-link" not in page.ids
    assert "unread-badge" not in page.ids
    assert "/ws/inbox/" not in html
    assert not any(src.endswith("inbox.js") for src in page.scripts)
    assert 'name="language"' not in html


def assert_has_the_test_bar(html: str) -> None:
    page = Page(html)
    help_button = page.ids["help-button"]
    assert help_button["tag"] == "button"
    assert help_button["type"] == "button"
    assert help_button["aria-disabled"] == "false"
    assert "先生を呼ぶ" in html
    assert "先生に知らせました" in html
    sizes = [button for button in page.buttons if "data-text-size" in button]
    assert [(b["data-text-size"], b["aria-pressed"]) for b in sizes] == [
        ("small", "false"),
        ("medium", "true"),
        ("large", "false"),
    ]
    assert ">小<" in html
    assert ">中<" in html
    assert ">大<" in html
    assert page.ids["announcement"]["role"] == "status"
    assert "hidden" in page.ids["announcement-banner"]
    assert page.ids["help-status"]["role"] == "status"


def test_the_waiting_room_leads_nowhere_out_of_the_test_and_has_the_help_button(waiting_room, proctored_session):
    assert_nothing_leads_out_of_the_test(waiting_room, own_forms=set())
    assert_has_the_test_bar(waiting_room)
    assert re.search(r"<h1 class=\"exam-title\">読解テスト</h1>", waiting_room)
    assert 'class="exam-header"' in waiting_room
    assert 'class="site-header"' not in waiting_room


def test_the_attempt_page_leads_nowhere_out_of_the_test_and_has_the_help_button(attempt_page, attempt):
    assert_nothing_leads_out_of_the_test(attempt_page, own_forms={reverse("exams:submit", args=[attempt.pk])})
    assert_has_the_test_bar(attempt_page)
    page = Page(attempt_page)
    assert page.ids["timer"]["class"] == "timer-value"
    assert "fullscreen-button" in page.ids
    assert 'class="site-header"' not in attempt_page


def test_other_pages_keep_the_site_header(client_of, examinee, seat):
    home = client_of(examinee).get(reverse("classrooms:examinee_home")).content.decode()
    assert 'class="site-header"' in home
    assert reverse("classrooms:logout") in home
    assert "help-button" not in home


def test_both_pages_carry_the_words_of_the_shared_script(waiting_room, attempt_page):
    script = (Path(settings.BASE_DIR) / "static" / "js" / "exam_shared.js").read_text(encoding="utf-8")
    keys = set(re.findall(r"\btext\.(\w+)", script))
    assert keys == set(EXAM_SHARED_TEXT)
    assert keys <= set(WAITING_ROOM_TEXT)
    assert keys <= set(ATTEMPT_TEXT)
    for html in (waiting_room, attempt_page):
        words = json.loads(re.search(r'<script id="i18n" type="application/json">(.*?)</script>', html, re.S)[1])
        assert words["helpRaised"] == "先生に知らせました。席で待っていてください。"


def test_a_question_shows_furigana_as_ruby_and_everything_else_as_text(client_of, examinee, attempt):
    row = attempt.questions.order_by("position").first()
    Question.objects.filter(pk=row.question_id).update(
        passage="胞子《ほうし》の話。<script>alert(1)</script>", prompt="{<b>|x}はどれですか。"
    )
    first_choice = Choice.objects.get(pk=row.choice_order[0])
    Choice.objects.filter(pk=first_choice.pk).update(text="山の上の｜畑《はたけ》<img src=x>")
    html = client_of(examinee).get(reverse("exams:question", args=[attempt.pk, row.position])).content.decode()
    assert "<ruby>胞子<rp>（</rp><rt>ほうし</rt><rp>）</rp></ruby>の話。&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<ruby>&lt;b&gt;<rp>（</rp><rt>x</rt><rp>）</rp></ruby>はどれですか。" in html
    assert "山の上の<ruby>畑<rp>（</rp><rt>はたけ</rt><rp>）</rp></ruby>&lt;img src=x&gt;" in html
    assert "<script>" not in html
    assert "<b>" not in html
    assert "<img" not in html


def test_the_attempt_page_lets_the_pupil_hide_furigana_and_the_waiting_room_has_no_control(waiting_room, attempt_page):
    page = Page(attempt_page)
    assert page.ids["furigana-label"]["tag"] == "span"
    assert ">ふりがな<" in attempt_page
    choices = [(b["data-furigana"], b["aria-pressed"], b["type"]) for b in page.buttons if "data-furigana" in b]
    assert choices == [("shown", "true", "button"), ("hidden", "false", "button")]
    assert ">あり<" in attempt_page
    assert ">なし<" in attempt_page
    assert 'aria-labelledby="furigana-label"' in attempt_page
    assert "data-furigana" not in waiting_room  # no exam text there
    script = (Path(settings.BASE_DIR) / "static" / "js" / "exam_shared.js").read_text(encoding="utf-8")
    assert "furigana-hidden" in script
    css = (Path(settings.BASE_DIR) / "static" / "css" / "exam.css").read_text(encoding="utf-8")
    assert ":root.furigana-hidden .exam-text rt" in css
