"""A message refused over the rate limit (config/ratelimits.py): the form says why and keeps the text.

htmx leaves an error response unswapped; static/js/kantoku.js swaps a 429. The refusal the browser
gets is the server's own, made in this process with a limit of zero (the live server is another
process, with the real limit).
"""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from playwright.sync_api import Route, expect

from messaging.services import message_send
from tests.browser.conftest import BrowserTestCase
from tests.conftest import make_exam

pytestmark = pytest.mark.browser


class TestMessageOverTheRateLimit(BrowserTestCase):
    def setUp(self):
        self.one_pupil_in_a_session(make_exam())
        # No broadcast from this process: Playwright's loop runs on this thread (nobody is connected yet anyway).
        with mock.patch("sockets.publish._send"):
            self.thread = message_send(by=self.examinee, recipient=self.teacher, body="質問があります").thread

    def refusal(self, body: str):
        client = Client()
        client.force_login(self.teacher, backend="classrooms.backends.MembershipBackend")
        with override_settings(RATE_LIMITS={"message": "0/m"}):
            response = client.post(
                reverse("messaging:thread_send", args=[self.thread.pk]),
                {"body": body},
                headers={"HX-Request": "true", "Accept-Language": "en"},
            )
        assert response.status_code == 429
        return response

    def test_the_refused_form_is_shown_with_the_text_kept(self):
        teacher = self.open_page()
        self.sign_in(teacher, self.teacher)
        teacher.goto(f"/messages/{self.thread.pk}/")
        text = "明日の持ち物を確認してください"

        def refuse(route: Route) -> None:
            response = self.refusal(route.request.post_data_json["body"])
            headers = {name: value for name, value in response.items() if name.lower().startswith("hx-")}
            route.fulfill(status=429, headers=headers, content_type="text/html", body=response.content)

        teacher.route(re.compile(rf"/messages/{self.thread.pk}/send/$"), refuse)
        teacher.get_by_role("textbox", name="Message").fill(text)
        teacher.get_by_role("button", name="Send").click()

        expect(teacher.locator("#send-form [role=alert]")).to_contain_text("Too many messages in a short time")
        expect(teacher.get_by_role("textbox", name="Message")).to_have_value(text)
        expect(teacher.locator("#message-list")).not_to_contain_text(text)
