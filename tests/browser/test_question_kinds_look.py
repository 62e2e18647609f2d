"""The sample mixed quiz on a tablet-sized attempt page (static/css/exam.css, docs/design.md §3):
ordering rows with up and down buttons of 44 px or more, the moved item highlighted, check boxes and
the short answer field framed like single choice, and axe-core finds nothing on any of them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

import exams
from exams.catalog import load_exam_document
from exams.services import attempts_start
from proctoring.models import ProctoredSession
from tests.browser.conftest import TIMEOUT_MS, BrowserTestCase
from tests.browser.test_accessibility import violations
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

MIXED_QUIZ = Path(exams.__file__).parent / "samples" / "mixed-quiz.json"
TARGET = 44  # px: the smallest touch target on the attempt page
HIGHLIGHT = "rgb(227, 240, 255)"  # #e3f0ff, a chosen choice's and the moved item's background


class TestQuestionKindsOnATablet(BrowserTestCase):
    def setUp(self):
        exam = load_exam_document(json.loads(MIXED_QUIZ.read_text(encoding="utf-8")))
        self.one_pupil_in_a_session(exam)
        ProctoredSession.objects.filter(pk=self.session.pk).update(
            status=ProctoredSession.Status.RUNNING, started_at=timezone.now()
        )
        [self.attempt] = attempts_start(session=self.session, examinee_ids=[self.examinee.pk])

    def tablet(self) -> Page:
        context = self.browser.new_context(
            base_url=self.live_server_url,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            viewport={"width": 820, "height": 1180},
            has_touch=True,
        )
        self.addCleanup(context.close)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        self.sign_in_japanese(page)
        page.goto(f"/exam/attempts/{self.attempt.pk}/")
        expect(page.locator("#question .question")).to_be_visible()
        return page

    def sign_in_japanese(self, page: Page) -> None:
        page.goto("/login/")
        page.locator('input[name="username"]').fill(self.examinee.login_id)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('form button[type="submit"]').click()
        expect(page).not_to_have_url(re.compile(r"/login/"))

    def show(self, page: Page, kind: str):
        """The first question of `kind` in this attempt, shown."""
        position = next(
            row.position for row in self.attempt.questions.order_by("position") if row.question.kind == kind
        )
        question = page.locator(f'#question .question[data-position="{position}"]')
        if not question.is_visible():
            page.locator(f'.question-nav button[data-position="{position}"]').click()
        expect(question).to_be_visible()
        return question

    def test_ordering_rows_have_big_buttons_and_the_moved_item_stands_out(self):
        page = self.tablet()
        question = self.show(page, "ordering")
        rows = question.locator(".ordering li")
        expect(rows).to_have_count(5)
        for button in question.locator(".move-up, .move-down").all():
            box = button.bounding_box()
            assert box["width"] >= TARGET, box
            assert box["height"] >= TARGET, box
        first = rows.nth(0).get_attribute("data-index")

        rows.nth(0).locator(".move-down").click()

        expect(rows.nth(1)).to_have_attribute("data-index", first)  # the item moved one down
        expect(rows.nth(1).locator(".move-down")).to_be_focused()  # and keeps the focus
        expect(rows.nth(1)).to_have_css("background-color", HIGHLIGHT)
        expect(rows.nth(0)).to_have_css("background-color", "rgb(255, 255, 255)")
        # The buttons that cannot move look idle (still readable: axe checks their contrast below).
        expect(rows.nth(0).locator(".move-up")).to_have_css("border-top-style", "dashed")
        expect(rows.nth(4).locator(".move-down")).to_have_css("border-top-style", "dashed")
        expect(rows.nth(1).locator(".move-up")).to_have_css("border-top-style", "solid")
        assert violations(page) == []

    def test_check_boxes_and_the_short_answer_field_are_framed_like_single_choice(self):
        page = self.tablet()
        single = self.show(page, "single").locator(".choice").first
        single_height = single.bounding_box()["height"]

        choice = self.show(page, "multiple").locator(".choice").first
        assert choice.bounding_box()["height"] == single_height
        choice.click()
        expect(choice.locator('input[type="checkbox"]')).to_be_checked()
        expect(choice).to_have_css("background-color", HIGHLIGHT)
        expect(choice.locator(".choice-mark")).to_have_css("background-color", "rgb(28, 93, 153)")
        assert violations(page) == []

        field = self.show(page, "short").locator('input[name="text"]')
        box = field.bounding_box()
        assert box["height"] >= TARGET
        expect(field).to_have_css("border-top-width", "2px")
        field.fill("ふじさん")
        expect(field).to_have_value("ふじさん")
        assert violations(page) == []
