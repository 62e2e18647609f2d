"""Furigana on the attempt page in a real browser (docs/design.md §3, docs/exam-format.md
"Furigana"): the readings show above the words, ふりがな なし hides them (the words stay), and the
choice is kept on the device across a reload and from question to question.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from exams.models import Question
from tests.browser.conftest import ATTEMPT_URL, TIMEOUT_MS, BrowserTestCase
from tests.browser.test_pupil_page import enter_the_waiting_room
from tests.conftest import make_exam

pytestmark = pytest.mark.browser

PASSAGE = "ゆいは川の土手《どて》を歩いた。｜つくし《土筆》が顔を出していた。"
HIDDEN = re.compile(r"\bfurigana-hidden\b")


class TestFurigana(BrowserTestCase):
    def setUp(self):
        exam = make_exam(questions=2, per_attempt=2, minutes=10)
        Question.objects.filter(exam=exam).update(passage=PASSAGE, prompt="胞子《ほうし》とは何ですか。")
        self.one_pupil_in_a_session(exam)

    def pupil_on_the_attempt_page(self) -> Page:
        context = self.browser.new_context(base_url=self.live_server_url, locale="ja-JP", timezone_id="Asia/Tokyo")
        self.addCleanup(context.close)
        context.set_default_timeout(TIMEOUT_MS)
        pupil = context.new_page()
        enter_the_waiting_room(pupil, self.examinee)
        # The waiting room shows no exam text: no furigana control there.
        expect(pupil.locator("[data-furigana]")).to_have_count(0)

        teacher = self.open_page()
        self.sign_in(teacher, self.teacher)
        teacher.goto(f"/proctor/sessions/{self.session.pk}/")
        expect(teacher.locator("#connection-status")).to_have_attribute("data-state", "live")
        teacher.get_by_role("button", name="Start the test").click()
        expect(pupil).to_have_url(ATTEMPT_URL)
        expect(pupil.locator("#question .question")).to_be_visible()
        return pupil

    def assert_readings(self, pupil: Page, *, shown: bool) -> None:
        group = pupil.get_by_role("group", name="ふりがな")
        expect(group.get_by_role("button", name="あり", exact=True)).to_have_attribute(
            "aria-pressed", str(shown).lower()
        )
        expect(group.get_by_role("button", name="なし", exact=True)).to_have_attribute(
            "aria-pressed", str(not shown).lower()
        )
        readings = pupil.locator("#question rt")
        expect(readings).to_have_count(3)  # どて, 土筆 and ほうし
        for reading in readings.all():
            if shown:
                expect(reading).to_be_visible()
            else:
                expect(reading).to_be_hidden()
        # The words stay either way, and the fallback brackets never show.
        expect(pupil.locator(".passage")).to_contain_text("土手")
        expect(pupil.locator(".passage")).to_contain_text("つくし")
        for bracket in pupil.locator("#question rp").all():
            expect(bracket).to_be_hidden()

    def test_the_pupil_hides_and_shows_furigana_and_the_device_remembers(self):
        pupil = self.pupil_on_the_attempt_page()
        expect(pupil.locator("html")).not_to_have_class(HIDDEN)
        self.assert_readings(pupil, shown=True)

        pupil.get_by_role("button", name="なし", exact=True).click()
        expect(pupil.locator("html")).to_have_class(HIDDEN)
        self.assert_readings(pupil, shown=False)

        # Kept on the device: after a reload, and on the next question htmx brings in.
        pupil.reload()
        expect(pupil.locator("#question .question")).to_be_visible()
        expect(pupil.locator("html")).to_have_class(HIDDEN)
        self.assert_readings(pupil, shown=False)
        pupil.locator('.question-nav button[data-position="1"]').click()
        expect(pupil.locator('#question .question[data-position="1"]')).to_be_visible()
        self.assert_readings(pupil, shown=False)

        pupil.get_by_role("button", name="あり", exact=True).click()
        expect(pupil.locator("html")).not_to_have_class(HIDDEN)
        self.assert_readings(pupil, shown=True)
        pupil.reload()
        expect(pupil.locator("#question .question")).to_be_visible()
        self.assert_readings(pupil, shown=True)
