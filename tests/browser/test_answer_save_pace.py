"""How many saves the attempt page makes: what the answer rate limit is set against (docs/benchmarks.md).

The honest peak of one pupil (docs/design.md §10.6) rests on two properties of static/js/attempt.js,
held here with the driver clicking far faster than a person: at most one POST per changed choice,
and a resend after failed saves of at most one POST per question (the queue keeps the newest).
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserTestCase
from tests.conftest import make_exam

pytestmark = pytest.mark.browser

QUESTIONS = 20
SAVES = re.compile(r"/exam/attempts/\d+/answers/$")


class TestAnswerSavePace(BrowserTestCase):
    def setUp(self):
        self.one_pupil_in_a_session(make_exam(questions=QUESTIONS, per_attempt=QUESTIONS))

    def start(self) -> tuple[Page, list[float]]:
        pupil, teacher = self.open_page(), self.open_page()
        self.start_with_the_pupil_waiting(pupil, teacher)
        posts: list[float] = []
        pupil.on("request", lambda request: SAVES.search(request.url) and posts.append(time.monotonic()))
        return pupil, posts

    def show(self, pupil: Page, position: int):
        question = pupil.locator(f'#question .question[data-position="{position}"]')
        expect(pupil.locator("#question .question")).to_be_visible()
        if not question.is_visible():
            pupil.locator(f'.question-nav button[data-position="{position}"]').click()
        expect(question).to_be_visible()
        return question.locator(".choice")

    def all_sent(self, pupil: Page) -> None:
        expect(pupil.locator(".question-nav button.pending")).to_have_count(0)

    def test_one_save_per_change_and_one_per_question_after_failures(self):
        pupil, posts = self.start()

        # 40 changes of one question's choice, then every other question once.
        choices = self.show(pupil, 0)
        for change in range(40):
            choices.nth(change % 4).click()
        for position in range(1, QUESTIONS):
            self.show(pupil, position).nth(1).click()
        self.all_sent(pupil)
        assert 0 < len(posts) <= 40 + QUESTIONS - 1, f"{len(posts)} POSTs for {40 + QUESTIONS - 1} changes"

        # Saves failing (a flaky network): every question changed three times, then the network is back.
        pupil.route(SAVES, lambda route: route.abort())
        for position in range(QUESTIONS):
            choices = self.show(pupil, position)
            for index in (0, 3, 2):
                choices.nth(index).click()
        pupil.unroute(SAVES)
        posts.clear()
        pupil.evaluate("() => window.dispatchEvent(new Event('online'))")
        self.all_sent(pupil)
        assert len(posts) == QUESTIONS, f"the resend was {len(posts)} POSTs for {QUESTIONS} questions"
        rows = self.attempt_of(self.examinee).questions.values_list("answer", flat=True)
        assert set(rows) == {2}, "the newest choice of every question reached the server"
