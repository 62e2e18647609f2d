"""The attempt page and a 429 (config/ratelimits.py): the answer stays on the device and is sent again.

The server's own refusal is tested in tests/security/test_rate_limits.py; here the browser gets that
reply (same status, header and JSON) for its first saves, since the live server is another process.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Route, expect

from tests.browser.conftest import ANSWERED, PENDING, BrowserTestCase
from tests.conftest import make_exam

pytestmark = pytest.mark.browser

REFUSED = {
    "saved": False,
    "error": "rate_limited",
    "message": "Many answers at once: yours are kept on this device and sent again shortly.",
    "retry_after": 1,
}


class TestAnswerSavesOverTheRateLimit(BrowserTestCase):
    def setUp(self):
        self.one_pupil_in_a_session(make_exam())

    def test_a_refused_save_is_kept_and_sent_again_after_retry_after(self):
        pupil, teacher = self.open_page(), self.open_page()
        self.start_with_the_pupil_waiting(pupil, teacher)

        posts: list[str] = []

        def refuse_the_first_two(route: Route) -> None:
            posts.append(route.request.post_data or "")
            if len(posts) <= 2:
                route.fulfill(status=429, headers={"Retry-After": "1"}, json=REFUSED)
            else:
                route.continue_()

        pupil.route(re.compile(r"/exam/attempts/\d+/answers/$"), refuse_the_first_two)
        question = pupil.locator('#question .question[data-position="0"]')
        nav = pupil.locator('.question-nav button[data-position="0"]')
        expect(question).to_be_visible()
        question.locator(".choice").nth(2).click()

        # Told to wait: the answer is shown as given but not sent, and the page says why.
        expect(pupil.locator("#offline-banner")).to_have_text(re.compile("Many answers were sent at once"))
        expect(nav).to_have_class(ANSWERED)
        expect(nav).to_have_class(PENDING)
        # ... then sent again by itself, and kept by the server.
        expect(nav).not_to_have_class(PENDING)
        expect(pupil.locator("#offline-banner")).to_be_hidden()
        assert len(posts) == 3
        assert len({json.loads(body)["seq"] for body in posts}) == 1, "the same save, sent again"
        row = self.attempt_of(self.examinee).questions.get(position=0)
        assert (row.answer, row.save_seq) == (2, json.loads(posts[0])["seq"])
