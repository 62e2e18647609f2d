"""axe-core finds no violations on the screens a class lives on (WCAG 2 A/AA rules).

axe-core is the copy bundled in the pinned axe-playwright-python package (requirements-dev.txt):
nothing is downloaded when the tests run. Each page is checked as its user sees it, in Japanese
and with the live parts connected, so what scripts add to the page is checked too.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from exams.services import attempts_start
from proctoring.models import ProctoredSession
from tests.browser.conftest import BrowserTestCase
from tests.conftest import make_exam

pytestmark = pytest.mark.browser

AXE = Axe()
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page: Page) -> list[str]:
    results = AXE.run(page, options=WCAG)
    return [
        f"{violation['id']}: {violation['help']} ({', '.join(str(node['target']) for node in violation['nodes'][:3])})"
        for violation in results.response["violations"]
    ]


class TestAccessibility(BrowserTestCase):
    def setUp(self):
        self.one_pupil_in_a_session(make_exam(minutes=30))

    def test_the_sign_in_page(self):
        page = self.open_page()
        page.goto("/login/")
        assert violations(page) == []

    def test_the_teachers_roster_and_results(self):
        page = self.open_page()
        self.sign_in(page, self.teacher)
        class_id = self.session.school_class_id
        page.goto(f"/teacher/classes/{class_id}/")
        assert violations(page) == []
        page.goto(f"/exam/classes/{class_id}/results/")
        assert violations(page) == []

    def test_the_dashboard_and_the_test_page_while_a_test_runs(self):
        ProctoredSession.objects.filter(pk=self.session.pk).update(
            status=ProctoredSession.Status.RUNNING, started_at=timezone.now()
        )
        [attempt] = attempts_start(session=self.session, examinee_ids=[self.examinee.pk])
        teacher = self.open_page()
        self.sign_in(teacher, self.teacher)
        teacher.goto(f"/proctor/sessions/{self.session.pk}/")
        expect(teacher.locator("#connection-status")).to_have_attribute("data-state", "live")
        assert violations(teacher) == []
        pupil = self.open_page()
        self.sign_in(pupil, self.examinee)
        pupil.goto(f"/exam/attempts/{attempt.pk}/")
        expect(pupil.locator("#question .question")).to_be_visible()
        assert violations(pupil) == []

    def test_the_checker_finds_a_violation_when_there_is_one(self):
        page = self.open_page()
        page.goto("/login/")
        page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"x.png\">')")
        assert any(line.startswith("image-alt") for line in violations(page))
