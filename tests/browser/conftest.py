"""What the browser tests share: a live daphne server and Debian's Chromium driven by Playwright.

The server is channels' ChannelsLiveServerTestCase: daphne in a forked process.
That process cannot see pytest-django's in-memory SQLite test database, so
the class serves a file copy of it (`database_shared_with_the_server`). Its
channel layer is in memory, as in the embedded setup, and lives in the server
process: everything that broadcasts is done through the browsers here, never
by calling a service from the test.

Test modules import from here (`from tests.browser.conftest import BrowserTestCase`)
and mark themselves `pytestmark = pytest.mark.browser` (see the root conftest.py).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from unittest import mock

from channels.testing import ChannelsLiveServerTestCase
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import override_settings
from playwright.sync_api import Page, expect, sync_playwright

from classrooms.models import User
from exams.models import Attempt, Choice
from proctoring.models import Connection, ProctoredSession
from tests.conftest import PASSWORD, enroll, make_class, make_organization, make_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000
ANSWERED = re.compile(r"\banswered\b")
PENDING = re.compile(r"\bpending\b")
RESULT_URL = re.compile(r"/exam/attempts/\d+/result/$")
ATTEMPT_URL = re.compile(r"/exam/attempts/\d+/(\?.*)?$")

expect.set_options(timeout=TIMEOUT_MS)


@contextmanager
def database_shared_with_the_server(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Serve the test database from a file for as long as the block lasts, then go back.

    The live server is a forked process, which cannot share SQLite's in-memory
    test database: it gets a file copy of it (same schema, made by the
    suite's migrations). A connection to the in-memory database is kept open
    meanwhile, so that it outlives the detour, the way Django's own parallel
    test runner hands SQLite databases to its workers.

    Whatever the engine, the server process opens TEST["NAME"] (or "test_" +
    NAME): point it at the database this process already uses.
    """
    connection = connections[alias]
    settings_dict = connection.settings_dict  # the very dict of settings.DATABASES the server process reads
    saved_name, saved_test = settings_dict["NAME"], dict(settings_dict["TEST"])
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        settings_dict["TEST"] = {**saved_test, "NAME": saved_name}
        try:
            yield
        finally:
            settings_dict["TEST"] = saved_test
        return

    directory = tempfile.mkdtemp(prefix="kantoku-live-")
    path = os.path.join(directory, "db.sqlite3")
    keeper = sqlite3.connect(saved_name, uri=True)
    try:
        with closing(sqlite3.connect(path)) as disk:
            keeper.backup(disk)
        settings_dict.update(NAME=path, TEST={**saved_test, "NAME": path})
        connection.close()  # closes for real once NAME is a file; the next query opens the copy
        try:
            yield
        finally:
            connection.close()
            settings_dict.update(NAME=saved_name, TEST=saved_test)
            connection.ensure_connection()  # back on the in-memory database before the keeper lets it go
    finally:
        keeper.close()
        shutil.rmtree(directory, ignore_errors=True)


# The fast hasher on both sides of the fork: users are made here, their passwords checked there.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class BrowserTestCase(ChannelsLiveServerTestCase):
    """A live daphne server on 127.0.0.1 and one Chromium for the class; a browser context per person."""

    host = "127.0.0.1"

    @classmethod
    def setUpClass(cls):
        cls.enterClassContext(database_shared_with_the_server())
        super().setUpClass()  # forks the server
        try:
            # Playwright's sync API keeps its event loop marked as running on this thread, which
            # Django's async-safety check takes for an async context and refuses the ORM. The test's
            # queries are plain synchronous calls all the same. Set after the fork: the server keeps the check.
            cls.enterClassContext(mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}))
            cls.playwright = sync_playwright().start()
            cls.addClassCleanup(cls.playwright.stop)
            cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            cls.addClassCleanup(cls.browser.close)
        except BaseException:
            super().tearDownClass()  # stop the server: tearDownClass does not run when setUpClass fails
            raise

    def tearDown(self):
        # Let the server finish with the sockets the closing contexts drop (it writes presence
        # and signals) before TransactionTestCase empties the database under it.
        self.doCleanups()
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while Connection.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def one_pupil_in_a_session(self, exam) -> None:
        """The teacher, one examinee of their class (past the first sign-in) and a session of `exam`:
        `self.teacher`, `self.examinee`, `self.session`.
        """
        organization = make_organization("sakura", "さくら小学校")
        self.teacher = make_user("sakura-teacher", User.Role.TEACHER, organization, name="山田 先生")
        school_class = make_class(organization, self.teacher, "5年1組")
        self.examinee = make_user(
            "sakura-pupil", User.Role.EXAMINEE, organization, name="鈴木 一郎", must_change_password=False
        )
        enroll(school_class, self.examinee, number=1)
        self.session = ProctoredSession.objects.create(school_class=school_class, exam=exam, teacher=self.teacher)

    def open_page(self) -> Page:
        context = self.browser.new_context(
            base_url=self.live_server_url,
            locale="en-US",
            timezone_id="Asia/Tokyo",
            viewport={"width": 1280, "height": 900},
        )
        self.addCleanup(context.close)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "hand in now?", "end the test for everyone?"
        return page

    def sign_in(self, page: Page, user: User) -> None:
        page.goto("/login/")
        page.get_by_label("Login id").fill(user.login_id)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    def enter_waiting_room(self, page: Page) -> None:
        page.get_by_role("button", name="Enter").click()
        expect(page.get_by_text("Please wait. The test starts when your teacher says so.")).to_be_visible()
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected")

    def start_with_the_pupil_waiting(self, pupil: Page, teacher: Page) -> None:
        """Of `one_pupil_in_a_session`: the examinee waits on `pupil`, the teacher starts the test on
        `teacher`, and the pupil's page moves to the attempt.
        """
        self.sign_in(pupil, self.examinee)
        self.enter_waiting_room(pupil)
        self.sign_in(teacher, self.teacher)
        teacher.goto(f"/proctor/sessions/{self.session.pk}/")
        expect(teacher.locator(f"#tile-{self.examinee.pk}")).to_have_attribute("data-state", "waiting")
        teacher.get_by_role("button", name="Start the test").click()
        expect(pupil).to_have_url(ATTEMPT_URL)

    def attempt_of(self, examinee: User) -> Attempt:
        return Attempt.objects.get(examinee=examinee)

    def correct_indexes(self, examinee: User) -> list[int]:
        """For each question of the examinee's attempt, in order, where its correct choice is shown."""
        attempt = self.attempt_of(examinee)
        correct = set(Choice.objects.filter(is_correct=True).values_list("pk", flat=True))
        return [
            next(index for index, choice in enumerate(row.choice_order) if choice in correct)
            for row in attempt.questions.order_by("position")
        ]

    def answer(self, page: Page, position: int, index: int) -> None:
        """Show question `position` (from 0) and pick its choice `index`; return once the server has it."""
        nav = page.locator(f'.question-nav button[data-position="{position}"]')
        question = page.locator(f'#question .question[data-position="{position}"]')
        # The page loads a question by itself; asking for another one only after it has, so
        # that a late swap never replaces the question being answered.
        expect(page.locator("#question .question")).to_be_visible()
        if not question.is_visible():
            nav.click()
        expect(question).to_be_visible()
        choices = question.locator(".choice")
        expect(choices).to_have_count(4)
        choices.nth(index).click()
        expect(choices.nth(index).locator('input[type="radio"]')).to_be_checked()
        expect(nav).to_have_class(ANSWERED)
        expect(nav).not_to_have_class(PENDING)  # left the device's queue: the server said "saved"
