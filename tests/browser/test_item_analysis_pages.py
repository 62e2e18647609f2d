"""The item analysis of every question kind loads in Chromium without a Content-Security-Policy violation,
with its bars drawn (docs/design.md §3, §9.1): the class page, the school's page of a version, the console.
"""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from playwright.sync_api import Page, expect

from classrooms.models import User
from proctoring.models import ProctoredSession
from tests.browser.conftest import BrowserTestCase
from tests.browser.test_csp import CspWatch
from tests.conftest import PASSWORD, make_class, make_organization, make_user

pytestmark = pytest.mark.browser


class TestItemAnalysisPages(BrowserTestCase):
    def setUp(self):
        from exams.models import Question
        from exams.versions import version_publish
        from tests.exams.conftest import new_draft
        from tests.exams.test_item_kinds_pages import _question, sit_class_of_six

        organization = make_organization("sakura", "さくら小学校")
        self.teacher = make_user("sakura-teacher", User.Role.TEACHER, organization, name="山田 先生")
        self.operator = make_user("operator", User.Role.OPERATOR, is_staff=True, is_superuser=True)
        StaticDevice.objects.create(user=self.operator, name="recovery codes", confirmed=True)
        self.school_class = make_class(organization, self.teacher, "5年1組")
        exam, draft = new_draft(
            organization, self.teacher, code="mixed", title="いろいろな問題", questions_per_attempt=4
        )
        _question(exam, draft, "s", Question.Kind.SINGLE, [("正", True), ("誤1", False), ("誤2", False)])
        _question(exam, draft, "mm", Question.Kind.MULTIPLE, [("春", True), ("夏", True), ("犬", False)])
        _question(exam, draft, "ttt", Question.Kind.SHORT, accepted_answers=["とうきょう"])
        _question(exam, draft, "oooo", Question.Kind.ORDERING, [("一", False), ("二", False), ("三", False)])
        version_publish(version=draft, by=self.teacher)
        self.exam = exam
        session = ProctoredSession.objects.create(
            school_class=self.school_class, exam=exam, teacher=self.teacher, status=ProctoredSession.Status.RUNNING
        )
        with mock.patch("sockets.publish._send"):  # no listener in this process
            sit_class_of_six(session, self.school_class, "pupil")

    def sign_in(self, page: Page, user: User) -> None:
        page.goto("/login/")
        page.get_by_label("Login id").fill(user.login_id)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(re.compile(r"/login/"))
        if user.is_operator:
            device = StaticDevice.objects.get(user=user)
            page.locator("#id_code").fill(device.token_set.create(token=StaticToken.random_token()).token)
            page.locator('main form button[type="submit"]').click()
            expect(page).to_have_url(re.compile(r"/two-factor/setup/"))

    def test_the_pages_draw_bars_for_every_kind_without_a_violation(self):
        for user, url in (
            (self.teacher, reverse("exams:class_results", args=[self.school_class.pk])),
            (self.teacher, reverse("exams:version_analysis", args=[self.exam.pk, 1])),
            (self.operator, reverse("admin:exams_exam_item_analysis", args=[self.exam.pk])),
        ):
            page = self.open_page()
            watch = CspWatch(page)
            self.sign_in(page, user)
            response = page.goto(url)
            assert response is not None, url
            assert response.status == 200, url
            expect(page.locator("svg.choice-bars")).to_have_count(4)  # one question of each kind
            expect(page.locator("table.choice-counts")).to_have_count(4)
            expect(page.locator("table.choice-counts").nth(3)).to_contain_text("Right order")
            assert watch.settle() == [], url
