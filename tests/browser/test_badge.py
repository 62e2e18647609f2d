"""A pupil who passed sees their badge on the result page, copies the share link, and the link's page says the
badge is valid (docs/design.md §12).
"""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import expect

from badges import services as badge_services
from proctoring.models import ProctoredSession
from tests.browser.conftest import BrowserTestCase
from tests.browser.test_accessibility import violations
from tests.conftest import BADGE_TEST_KEY, make_exam, passed_attempt

pytestmark = pytest.mark.browser


# The server process verifies with the key the badge was signed with (set before the fork).
@override_settings(BADGE_SIGNING_KEYS=[BADGE_TEST_KEY])
class TestTheBadgeCard(BrowserTestCase):
    def setUp(self):
        self.one_pupil_in_a_session(make_exam(code="kanji-3"))
        ProctoredSession.objects.filter(pk=self.session.pk).update(status=ProctoredSession.Status.ENDED)
        self.attempt = passed_attempt(self.session, self.examinee)
        self.award = badge_services.award_sign(badge_services.award_for_result(attempt=self.attempt))

    def test_the_pupil_sees_the_card_and_the_share_link_opens_a_page_saying_it_is_valid(self):
        page = self.open_page()
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        self.sign_in(page, self.examinee)
        page.goto(reverse("exams:result", args=[self.attempt.pk]))

        card = page.locator(".badge-card")
        expect(card.get_by_role("heading", name="Your badge")).to_be_visible()
        expect(card).to_contain_text(self.award.achievement.name_en)  # the browser asks for English
        expect(card.get_by_role("link", name="Download the badge (JSON)")).to_be_visible()
        expect(card.get_by_role("link", name="Download the badge (image)")).to_be_visible()
        share = card.get_by_label("Link to show your badge")
        expect(share).to_have_value(re.compile(rf"/badges/v/{self.award.public_id}/$"))

        assert violations(page) == []  # axe-core, WCAG 2.1 A/AA

        card.get_by_role("button", name="Copy").click()
        expect(card.get_by_role("status")).to_have_text("Copied.")
        assert page.evaluate("() => navigator.clipboard.readText()") == share.input_value()

        card.get_by_role("link", name="Open the page that checks this badge").click()
        expect(page).to_have_url(re.compile(rf"/badges/v/{self.award.public_id}/$"))
        expect(page.locator("#verify-verdict")).to_have_text("This badge is valid.")
        expect(page.locator("#verify-verdict")).to_have_attribute("data-valid", "true")
        expect(page.locator(".badge-check.passed")).to_have_count(5)
        expect(page.get_by_text("The signature is correct")).to_be_visible()
        assert violations(page) == []
