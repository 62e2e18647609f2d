"""Every page of every role loads in Chromium without a Content-Security-Policy violation (docs/design.md §9.1).

The browser reports what the policy blocked in two ways, and both are collected: the
`securitypolicyviolation` event (an init script hands it to the test through an exposed function)
and a console error naming the Content Security Policy. The pages come from the table below, one
row per page and role; the live pages (waiting room, dashboard, test page) are used until their
scripts have run: the sockets connect, the test starts, an answer is saved, the test is handed in.
"""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.db import transaction
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from playwright.sync_api import Page, expect

from badges import services as badge_services
from classrooms import two_factor
from classrooms.models import User
from classrooms.schoolyear import today
from exams.models import Attempt
from exams.services import attempt_finish, attempts_start
from messaging.services import message_send, notice_send
from proctoring.models import Incident, ProctoredSession
from proctoring.services import incident_report
from tests.browser.conftest import ATTEMPT_URL, RESULT_URL, BrowserTestCase
from tests.conftest import PASSWORD, enroll, make_class, make_exam, make_organization, make_user

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""
FLUSH = "() => new Promise((resolve) => setTimeout(resolve, 0))"  # let queued violation events fire

# (role, URL name, arguments): each argument is a key of `self.ids`, or itself when it is not one.
PAGES = [
    ("anonymous", "classrooms:login", ()),
    ("anonymous", "badges:verify", ("award",)),
    ("operator", "admin:index", ()),
    ("operator", "admin:classrooms_organization_changelist", ()),
    ("operator", "admin:classrooms_organization_add", ()),
    ("operator", "admin:classrooms_organization_change", ("organization",)),
    ("operator", "admin:classrooms_organization_contract", ("organization", "suspend")),
    ("operator", "admin:classrooms_organization_contract", ("organization", "terminate")),
    ("operator", "admin:classrooms_organization_issue_admin", ("organization",)),
    ("operator", "admin:classrooms_user_changelist", ()),
    ("operator", "admin:classrooms_user_change", ("teacher",)),
    ("operator", "admin:classrooms_schoolclass_changelist", ()),
    ("operator", "admin:classrooms_auditentry_changelist", ()),
    ("operator", "admin:operations_billingsnapshot_changelist", ()),
    ("operator", "admin:operations_billingsnapshot_month", ("year", "month")),
    ("operator", "admin:messaging_thread_changelist", ()),
    ("operator", "admin:messaging_message_changelist", ()),
    ("operator", "admin:messaging_message_change", ("message",)),
    ("operator", "admin:messaging_notice_changelist", ()),
    ("operator", "admin:messaging_breakglassaccess_changelist", ()),
    ("operator", "messaging:operator_statistics", ()),
    ("operator", "messaging:operator_break_glass", ()),
    ("operator", "classrooms:password_change", ()),
    ("operator", "classrooms:two_factor_account", ()),
    ("operator", "admin:classrooms_user_two_factor_reset", ("teacher",)),
    ("operator", "admin:exams_exam_item_analysis", ("exam",)),
    ("org_admin", "classrooms:orgadmin_teacher_list", ()),
    ("org_admin", "classrooms:orgadmin_teacher_issue", ()),
    ("org_admin", "classrooms:orgadmin_teacher_arrival", ()),
    ("org_admin", "classrooms:orgadmin_teacher_transfer", ("colleague",)),
    ("org_admin", "classrooms:orgadmin_examinee_list", ()),
    ("org_admin", "classrooms:orgadmin_class_list", ()),
    ("org_admin", "classrooms:orgadmin_class_detail", ("class",)),
    ("org_admin", "classrooms:orgadmin_audit_log", ()),
    ("org_admin", "classrooms:orgadmin_transfer_list", ()),
    ("org_admin", "classrooms:transfer_examinee_arrival", ()),
    ("org_admin", "classrooms:password_change", ()),
    ("org_admin", "proctoring:incident_list", ()),
    ("org_admin", "proctoring:session_report", ("ended_session",)),
    ("org_admin", "proctoring:proctor_incident_new", ("ended_session",)),
    ("org_admin", "proctoring:dashboard", ("ended_session",)),
    ("org_admin", "exams:org_class_results", ("class",)),
    ("org_admin", "messaging:org_metadata", ()),
    ("org_admin", "operations:export_list", ()),
    ("org_admin", "badges:school_settings", ()),
    ("teacher", "classrooms:teacher_class_list", ()),
    ("teacher", "classrooms:teacher_class_create", ()),
    ("teacher", "classrooms:teacher_roster", ("class",)),
    ("teacher", "classrooms:teacher_class_rename", ("class",)),
    ("teacher", "classrooms:teacher_examinee_add", ("class",)),
    ("teacher", "classrooms:teacher_roster_import", ("class",)),
    ("teacher", "classrooms:teacher_examinee_edit", ("class", "enrollment")),
    ("teacher", "classrooms:teacher_examinee_transfer_out", ("class", "enrollment")),
    ("teacher", "classrooms:transfer_examinee_arrival", ()),
    ("teacher", "classrooms:password_change", ()),
    ("teacher", "classrooms:two_factor_setup", ()),
    ("teacher", "classrooms:two_factor_account", ()),
    ("teacher", "proctoring:session_create", ("class",)),
    ("teacher", "proctoring:session_list", ("class",)),
    ("teacher", "proctoring:session_report", ("ended_session",)),
    ("teacher", "proctoring:incident_new", ("ended_session", "pupil")),
    ("teacher", "proctoring:result_revoke", ("attempt",)),
    ("teacher", "exams:class_results", ("class",)),
    ("teacher", "exams:examinee_history", ("class", "enrollment")),
    ("teacher", "messaging:inbox", ()),
    ("teacher", "messaging:message_new", ()),
    ("teacher", "messaging:thread", ("thread",)),
    ("teacher", "messaging:notice_new", ("class",)),
    ("pupil", "classrooms:examinee_home", ()),
    ("pupil", "exams:history", ()),
    ("pupil", "exams:result", ("attempt",)),
    ("pupil", "messaging:inbox", ()),
    ("pupil", "messaging:thread", ("thread",)),
    ("pupil", "messaging:notice_detail", ("notice",)),
    ("pupil", "classrooms:password_change", ()),
]
ROLES = ["anonymous", "operator", "org_admin", "teacher", "pupil"]


class CspWatch:
    """What the browser blocked on the pages of one browser context, as readable lines."""

    def __init__(self, page: Page):
        self.violations: list[str] = []
        page.context.expose_function("reportCspViolation", lambda line: self.violations.append(f"{page.url}: {line}"))
        page.context.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)
        self.page = page

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(f"{self.page.url}: console: {message.text}")

    def settle(self) -> list[str]:
        self.page.evaluate(FLUSH)
        self.page.evaluate(FLUSH)
        return self.violations


class TestContentSecurityPolicy(BrowserTestCase):
    def setUp(self):
        organization = make_organization("sakura", "さくら小学校")
        self.people = {
            "operator": make_user("operator", User.Role.OPERATOR, is_staff=True, is_superuser=True),
            "org_admin": make_user("sakura-admin", User.Role.ORG_ADMIN, organization, name="管理 花子"),
            "teacher": make_user("sakura-teacher", User.Role.TEACHER, organization, name="山田 先生"),
            "pupil": make_user(
                "sakura-pupil", User.Role.EXAMINEE, organization, name="鈴木 一郎", must_change_password=False
            ),
        }
        StaticDevice.objects.create(user=self.people["operator"], name="recovery codes", confirmed=True)
        colleague = make_user("sakura-colleague", User.Role.TEACHER, organization, name="佐藤 先生")
        teacher, pupil = self.people["teacher"], self.people["pupil"]
        school_class = make_class(organization, teacher, "5年1組")
        enrollment = enroll(school_class, pupil, number=1)
        self.exam = make_exam(minutes=30)
        ended = ProctoredSession.objects.create(
            school_class=school_class, exam=self.exam, teacher=teacher, status=ProctoredSession.Status.ENDED
        )
        # What these services broadcast has no listener in this process (the server's layer is its own).
        with mock.patch("sockets.publish._send"):
            with transaction.atomic():
                [attempt] = attempts_start(session=ended, examinee_ids=[pupil.pk])
            attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)
            incident_report(subject=pupil, by=teacher, category=Incident.Category.TALKING, note="話した", session=ended)
            message = message_send(by=teacher, recipient=pupil, body="がんばったね https://example.jp/")
            notice = notice_send(school_class=school_class, by=teacher, body="明日はテストです")
        # The pupil passed, so their result page shows the badge card, and its share link opens badges:verify.
        Attempt.objects.filter(pk=attempt.pk).update(passed=True)
        attempt.refresh_from_db()
        award = badge_services.award_sign(badge_services.award_for_result(attempt=attempt))
        month = today().replace(day=1) - datetime.timedelta(days=1)
        self.school_class = school_class
        self.ids = {
            "organization": organization.pk,
            "exam": self.exam.pk,
            "teacher": teacher.pk,
            "colleague": colleague.pk,
            "pupil": pupil.pk,
            "class": school_class.pk,
            "enrollment": enrollment.pk,
            "ended_session": ended.pk,
            "attempt": attempt.pk,
            "award": award.public_id,
            "message": message.pk,
            "thread": message.thread_id,
            "notice": notice.pk,
            "year": f"{month.year}",
            "month": f"{month.month:02d}",
        }

    def sign_in(self, page: Page, user: User) -> None:
        """Through the forms; the operator gives a second factor (a recovery code: the app's setup page is
        then offered, and scanned like every other page) and lands on the console.
        """
        page.goto("/login/")
        self.try_password(page, user.login_id, PASSWORD)
        expect(page).not_to_have_url(re.compile(r"/login/"))
        if two_factor.must_use(user):
            expect(page).to_have_url(re.compile(r"/two-factor/\?"))
            device = StaticDevice.objects.get(user=user)  # made with the people, so the code page is asked
            page.locator("#id_code").fill(device.token_set.create(token=StaticToken.random_token()).token)
            page.locator('main form button[type="submit"]').click()
            expect(page).to_have_url(re.compile(r"/two-factor/setup/"))

    def watched_page(self) -> tuple[Page, CspWatch]:
        page = self.open_page()
        return page, CspWatch(page)

    def url(self, name: str, args: tuple[str, ...]) -> str:
        return reverse(name, args=[self.ids.get(arg, arg) for arg in args])

    def visit(self, page: Page, url: str, status: int = 200) -> None:
        response = page.goto(url)
        assert response is not None, url
        assert response.status == status, f"{url}: {response.status}"
        if status == 200:
            assert page.url.endswith(url), f"{url} went to {page.url}"

    def test_the_policy_reaches_the_browser_and_a_violation_is_caught(self):
        """The scan below can fail: the header is there, and an inline script and style are reported."""
        page, watch = self.watched_page()
        response = page.goto("/login/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.evaluate("() => document.head.append(Object.assign(document.createElement('script'), {text: '1'}))")
        page.evaluate("() => document.body.setAttribute('style', 'color: red')")
        violations = watch.settle()
        assert any("script-src" in line for line in violations), violations
        assert any("style-src" in line for line in violations), violations

    def test_every_page_of_every_role_loads_without_a_violation(self):
        visited = 0
        for role in ROLES:
            page, watch = self.watched_page()
            if role != "anonymous":
                self.sign_in(page, self.people[role])
            for url in [self.url(name, args) for who, name, args in PAGES if who == role]:
                self.visit(page, url)
                watch.settle()  # before the next page: its queued violation events fire on this one
                visited += 1
            assert watch.violations == [], role
        assert visited == len(PAGES)

    def test_the_error_pages_and_the_pages_after_a_form_load_without_a_violation(self):
        page, watch = self.watched_page()
        self.visit(page, "/no-such-page/", status=404)
        # A form sent without its CSRF cookie: the "page was open too long" page.
        page.goto("/login/")
        page.context.clear_cookies()
        self.try_password(page, "sakura-pupil", PASSWORD)
        expect(page.get_by_role("heading", name="Please try again")).to_be_visible()
        # Five wrong passwords: the lockout page.
        for _ in range(5):
            page.goto("/login/")
            self.try_password(page, "nobody", "wrong-password")
        expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
        # An operator without the right to change organizations: the 403 page.
        reader = make_user("operator-reader", User.Role.OPERATOR, is_staff=True)
        StaticDevice.objects.create(user=reader, name="recovery codes", confirmed=True)
        self.sign_in(page, reader)
        self.visit(page, self.url("admin:classrooms_organization_issue_admin", ("organization",)), status=403)
        expect(page.get_by_role("heading", name="You cannot do this")).to_be_visible()
        assert watch.settle() == []

        # The teacher adds a pupil: the login card with its QR code (segno's inline SVG).
        teacher, teacher_watch = self.watched_page()
        self.sign_in(teacher, self.people["teacher"])
        teacher.goto(self.url("classrooms:teacher_examinee_add", ("class",)))
        teacher.get_by_label("Name", exact=True).fill("田中 花子")
        teacher.get_by_role("button", name="Issue account").click()
        expect(teacher.locator("svg.segno").first).to_be_visible()
        # A pupil's first sign-in: the page that asks for a new password.
        make_user("sakura-new", User.Role.EXAMINEE, self.school_class.organization, must_change_password=True)
        pupil, pupil_watch = self.watched_page()
        pupil.goto("/login/")
        self.try_password(pupil, "sakura-new", PASSWORD)
        expect(pupil).to_have_url(reverse("classrooms:password_change_required"))
        assert teacher_watch.settle() == []
        assert pupil_watch.settle() == []

    def try_password(self, page: Page, login_id: str, password: str) -> None:
        page.get_by_label("Login id").fill(login_id)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    def test_the_live_pages_run_their_scripts_without_a_violation(self):
        teacher, teacher_watch = self.watched_page()
        pupil, pupil_watch = self.watched_page()
        session = ProctoredSession.objects.create(
            school_class=self.school_class, exam=self.exam, teacher=self.people["teacher"]
        )
        self.sign_in(teacher, self.people["teacher"])
        teacher.goto(reverse("proctoring:dashboard", args=[session.pk]))
        expect(teacher.locator("#connection-status")).to_have_attribute("data-state", "live")

        self.sign_in(pupil, self.people["pupil"])
        pupil.goto(reverse("classrooms:examinee_home"))
        self.enter_waiting_room(pupil)  # its socket is connected
        tile = teacher.locator(f"#tile-{self.people['pupil'].pk}")
        expect(tile).to_have_attribute("data-state", "waiting")

        teacher.get_by_role("button", name="Start the test").click()
        expect(pupil).to_have_url(ATTEMPT_URL)
        self.answer(pupil, 0, 1)  # saved over the socket, seen on the dashboard
        expect(tile.locator(".tile-answered")).to_have_text("1 / 5")
        tile.click()  # the examinee's dialog on the dashboard
        expect(teacher.get_by_role("dialog")).to_be_visible()
        teacher.keyboard.press("Escape")

        pupil.get_by_role("button", name="Hand in my answers").click()
        expect(pupil).to_have_url(RESULT_URL)
        expect(tile).to_have_attribute("data-state", "submitted")
        assert teacher_watch.settle() == []
        assert pupil_watch.settle() == []
