"""The live dashboard in a real classroom's shape (docs/design.md §3): 40 pupils on one screen.

A class of 40 is made in the database, as it stands in the middle of a test:
most answering (some with flags the teacher has not seen), a few handed in,
three not come in. The teacher's dashboard at 1024×768 shows every tile
without scrolling; the 要注意 filter leaves the flagged ones; a tile opens
its pupil's dialog with the actions; starting with pupils missing asks first.
A pupil's socket opened from their browser brings a new flag, read out in
the polite live region. Screenshots for a person to look at are written to
docs/screenshots/ (1024×768 and a 390×844 phone).

The live server and the browser are tests/browser/conftest.py's.
"""

from __future__ import annotations

import datetime
import os
import re
import uuid
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from classrooms.models import User
from exams.services import attempt_finish, attempts_start
from proctoring.models import Connection, ProctoredSession, Seat, Signal
from sockets.models import ServerProcess
from tests.browser.conftest import BrowserTestCase
from tests.conftest import PASSWORD, connect, enroll, make_class, make_exam, make_organization, make_user

pytestmark = pytest.mark.browser

FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN = ["一郎", "花子", "三郎", "さくら"]
ABSENT = (38, 39, 40)  # class numbers of those not come in
HANDED_IN = (5, 6)
OFFLINE = (9, 21)  # seated, their socket gone
FLAGGED = {3: "tab_hidden", 12: "focus_lost", 27: "paste"}  # number -> the kind of their unseen flag
SCREENSHOTS = os.path.join(settings.BASE_DIR, "docs", "screenshots")


def screenshot(page: Page, name: str) -> None:
    """For a person to look at: docs/screenshots/<name>, only when KANTOKU_SCREENSHOTS=1 (a test run leaves
    the worktree as it was otherwise); the images are made smaller to keep by scripts/png_reduce.py.
    """
    if os.environ.get("KANTOKU_SCREENSHOTS") == "1":
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, name))


class DashboardTestCase(BrowserTestCase):
    def setUp(self):
        organization = make_organization("sakura", "さくら小学校")
        self.teacher = make_user("sakura-teacher", User.Role.TEACHER, organization, name="山田 先生")
        self.org_admin = make_user("sakura-admin", User.Role.ORG_ADMIN, organization, name="校長 先生")
        self.school_class = make_class(organization, self.teacher, "5年1組")
        self.pupils: dict[int, User] = {}
        for number in range(1, 41):
            name = f"{FAMILY[(number - 1) % 10]} {GIVEN[(number - 1) // 10]}"
            user = make_user(
                f"sakura-pupil{number}", User.Role.EXAMINEE, organization, name=name, must_change_password=False
            )
            enroll(self.school_class, user, number=number)
            self.pupils[number] = user
        self.exam = make_exam(questions=6, per_attempt=5, minutes=30)
        self.session = ProctoredSession.objects.create(
            school_class=self.school_class, exam=self.exam, teacher=self.teacher
        )

    def seat_everyone_but_the_absent(self) -> None:
        """Seats for all but the absent; online (a socket held by a live process) but for OFFLINE."""
        for number, pupil in self.pupils.items():
            if number not in ABSENT:
                seat = Seat.objects.create(session=self.session, examinee=pupil, last_seen_at=timezone.now())
                if number not in OFFLINE:
                    connect(seat, f"test-channel-{number}")
        # The process holding those sockets stays alive for the whole test: its lease (15 s) would
        # otherwise run out on a slow machine before the last check, and the server would clear
        # its sockets as a dead process's and flag everyone's connection as lost.
        ServerProcess.objects.filter(name="test-process").update(
            renewed_at=timezone.now() + datetime.timedelta(hours=1)
        )
        self.addCleanup(Connection.objects.all().delete)  # after the browsers: nobody holds them any more

    def start_in_the_database(self) -> None:
        """The session running: attempts for those seated, two handed in, three with an unseen flag."""
        self.seat_everyone_but_the_absent()
        self.session.status = ProctoredSession.Status.RUNNING
        self.session.started_at = timezone.now()
        self.session.save(update_fields=["status", "started_at"])
        present = [pupil.pk for number, pupil in self.pupils.items() if number not in ABSENT]
        # The services announce what they did; nobody listens in this process (the server is another one).
        with mock.patch("sockets.publish._send"):
            attempts = {
                attempt.examinee_id: attempt for attempt in attempts_start(session=self.session, examinee_ids=present)
            }
            for number in HANDED_IN:
                attempt_finish(attempt=attempts[self.pupils[number].pk], reason="submitted")
        now = timezone.now()
        for number, kind in FLAGGED.items():
            Signal.objects.create(
                session=self.session,
                examinee=self.pupils[number],
                kind=kind,
                count=2,
                at=now - datetime.timedelta(seconds=30),
                last_at=now - datetime.timedelta(seconds=10),
            )

    def dashboard(self, who: User, width: int = 1024, height: int = 768, locale: str = "en-US") -> Page:
        context = self.browser.new_context(
            base_url=self.live_server_url,
            locale=locale,
            timezone_id="Asia/Tokyo",
            viewport={"width": width, "height": height},
        )
        self.addCleanup(context.close)
        page = context.new_page()
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.sign_in_any_language(page, who)
        page.goto(f"/proctor/sessions/{self.session.pk}/")
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "live")
        expect(page.locator("#tiles > .tile")).to_have_count(40)
        return page

    def sign_in_any_language(self, page: Page, user: User) -> None:
        page.goto("/login/")
        page.locator('input[name="username"]').fill(user.login_id)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        expect(page).not_to_have_url(re.compile(r"/login/"))

    def tile(self, page: Page, number: int):
        return page.locator(f"#tile-{self.pupils[number].pk}")


class TestFortyOnOneScreen(DashboardTestCase):
    def test_all_forty_tiles_fit_a_1024_by_768_screen_without_scrolling(self):
        self.start_in_the_database()
        for locale in ("en-US", "ja-JP"):
            page = self.dashboard(self.teacher, locale=locale)
            self.assert_all_tiles_in_the_viewport(page)
        screenshot(page, "dashboard-1024.png")  # Japanese, the school's language

        # Each tile says its state in words and with an icon, its progress and time left.
        answering = self.tile(page, 1)
        expect(answering).to_have_attribute("data-state", "answering")
        expect(answering.locator(".tile-state .text")).to_have_text("解答中")
        expect(answering.locator(".tile-state .icon")).to_have_text("✎")
        expect(answering.locator(".tile-answered")).to_have_text("0 / 5")
        expect(answering.locator(".tile-time")).to_have_text(re.compile(r"^(29|30):\d\d$"))
        expect(self.tile(page, 40).locator(".tile-state .text")).to_have_text("未入室")
        expect(self.tile(page, 5).locator(".tile-state .text")).to_have_text("提出済み")
        # A flag on a tile: its short name and count; the whole name is in its text for screen readers.
        flag = self.tile(page, 3).locator(".tile-flags .flag")
        expect(flag).to_have_attribute("data-short", "タブ")
        expect(flag).to_have_text("タブ切替 ×2")
        expect(self.tile(page, 3).locator(".tile-attention")).to_have_text("⚠ 要注意")
        assert self.errors == []

    def assert_all_tiles_in_the_viewport(self, page: Page) -> None:
        viewport = page.viewport_size
        tiles = page.locator("#tiles > .tile")
        for index in range(40):
            box = tiles.nth(index).bounding_box()
            assert box is not None, f"tile {index} is not shown"
            assert box["x"] >= 0, box
            assert box["y"] >= 0, box
            assert box["x"] + box["width"] <= viewport["width"], (index, box)
            assert box["y"] + box["height"] <= viewport["height"], (index, box)
        heights = page.evaluate(
            "[document.scrollingElement.scrollHeight, window.innerHeight, document.querySelector('main').getBoundingClientRect().bottom, document.querySelector('#tiles').getBoundingClientRect().bottom, document.body.getBoundingClientRect().bottom]"
        )
        assert heights[0] <= heights[1], heights
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")

    def test_on_a_phone_the_tiles_scroll_in_two_columns(self):
        self.start_in_the_database()
        page = self.dashboard(self.teacher, width=390, height=844, locale="ja-JP")
        first, second = (page.locator("#tiles > .tile").nth(index).bounding_box() for index in (0, 1))
        assert first["y"] == second["y"]  # side by side
        assert second["x"] > first["x"]
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")  # nothing sideways
        expect(page.locator(".filter-attention")).to_contain_text("要注意")
        screenshot(page, "dashboard-390.png")


class TestAttention(DashboardTestCase):
    def test_flagged_pupils_come_first_and_the_attention_filter_leaves_only_them(self):
        self.start_in_the_database()
        page = self.dashboard(self.teacher)
        flagged_ids = [f"tile-{self.pupils[number].pk}" for number in sorted(FLAGGED)]
        shown = page.locator("#tiles > .tile:visible")
        # Needing attention first (the default): the three flagged ones lead, in class order.
        expect(page.locator('[data-filter="attention_first"]')).to_have_attribute("aria-pressed", "true")
        assert [shown.nth(index).get_attribute("id") for index in range(3)] == flagged_ids
        for number in FLAGGED:
            tile = self.tile(page, number)
            expect(tile).to_have_attribute("data-attention", "yes")
            expect(tile.locator(".tile-attention")).to_have_text("⚠ Attention")
        expect(self.tile(page, 1)).to_have_attribute("data-attention", "no")

        counter = page.locator(".filter-attention")
        expect(counter.locator('[data-count="attention"]')).to_have_text("3")
        counter.click()
        expect(counter).to_have_attribute("aria-pressed", "true")
        expect(shown).to_have_count(3)
        assert [shown.nth(index).get_attribute("id") for index in range(3)] == flagged_ids

        # The other filters: not come in, handed in; "everyone, by number" puts the class back in order.
        page.locator('[data-filter="absent"]').click()
        expect(shown).to_have_count(len(ABSENT))
        page.locator('[data-filter="submitted"]').click()
        expect(shown).to_have_count(len(HANDED_IN))
        page.locator('[data-filter="all"]').click()
        expect(shown).to_have_count(40)
        expect(shown.first).to_have_id(f"tile-{self.pupils[1].pk}")

    def test_a_tile_opens_its_pupils_dialog_with_the_actions(self):
        self.start_in_the_database()
        page = self.dashboard(self.teacher)
        tile = self.tile(page, 12)
        expect(tile.locator("button")).to_have_count(1)  # the tile itself: no actions on it
        tile.locator(".tile-button").click()
        dialog = page.locator("#examinee-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("h2")).to_have_text(f"No. 12 {self.pupils[12].name}")
        expect(dialog.locator('[data-slot="flags"] li')).to_contain_text(["Left the test window ×2"])
        for name in ("Mark as seen", "Warn", "Pause", "Extra time", "Record an incident", "Close"):
            expect(dialog.get_by_role("button", name=name, exact=True)).to_be_visible()
        expect(dialog.get_by_role("button", name="Resume", exact=True)).to_be_hidden()

        # Seen: the tile calms down and the attention count drops.
        dialog.get_by_role("button", name="Mark as seen").click()
        expect(tile).to_have_attribute("data-attention", "no")
        expect(dialog.get_by_role("button", name="Mark as seen")).to_be_hidden()
        expect(page.locator('[data-count="attention"]')).to_have_text("2")
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_be_hidden()
        expect(tile.locator(".tile-button")).to_be_focused()

        # Keyboard: Enter on a tile opens it too. Someone not come in has no incident to record.
        absent = self.tile(page, 40).locator(".tile-button")
        absent.focus()
        page.keyboard.press("Enter")
        expect(dialog).to_be_visible()
        expect(dialog.locator("h2")).to_have_text(f"No. 40 {self.pupils[40].name}")
        expect(dialog.get_by_role("button", name="Record an incident")).to_be_hidden()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()

        # The class-wide actions ask first.
        page.get_by_role("button", name="Pause everyone").click()
        confirm = page.locator("#confirm-dialog")
        expect(confirm).to_be_visible()
        expect(confirm).to_contain_text("Stop the clock of everyone answering?")
        confirm.get_by_role("button", name="Cancel").click()
        expect(confirm).to_be_hidden()
        page.get_by_role("button", name="Send a notice").click()
        announce = page.locator("#announce-dialog")
        announce.get_by_role("button", name="5 minutes left").click()
        expect(announce.locator("textarea")).to_have_value("5 minutes left")
        announce.get_by_role("button", name="Cancel").click()
        assert self.errors == []

    def test_a_new_flag_is_read_out_and_pulses(self):
        self.start_in_the_database()
        page = self.dashboard(self.teacher, locale="ja-JP")
        pupil = self.pupils[1]
        pupil_page = self.open_page()
        self.sign_in_any_language(pupil_page, pupil)
        # The pupil's own socket, opened from their signed-in browser, sends one signal.
        pupil_page.evaluate(
            """([path, id]) => new Promise((resolve, reject) => {
                const socket = new WebSocket(`ws://${location.host}${path}`);
                socket.onmessage = (event) => {
                  const frame = JSON.parse(event.data);
                  if (frame.type === "state") socket.send(JSON.stringify({type: "signal", kind: "tab_hidden", id}));
                  if (frame.type === "ack") resolve();
                };
                socket.onerror = reject;
            })""",
            [f"/ws/exam/{self.session.pk}/", str(uuid.uuid4())],
        )
        tile = self.tile(page, 1)
        expect(tile).to_have_attribute("data-attention", "yes")
        expect(page.locator("#attention-news")).to_contain_text(f"1番 {pupil.name}さん: タブ切替")
        expect(page.locator("#attention-news")).to_have_attribute("aria-live", "polite")
        expect(tile).to_have_attribute("data-pulse", "yes")


class TestStart(DashboardTestCase):
    def test_starting_with_pupils_missing_asks_first_with_their_number(self):
        self.seat_everyone_but_the_absent()
        page = self.dashboard(self.teacher)
        page.get_by_role("button", name="Start the test").click()
        confirm = page.locator("#confirm-dialog")
        expect(confirm).to_be_visible()
        expect(confirm.locator('[data-slot="text"]')).to_have_text("3 have not come in yet. Start anyway?")
        confirm.get_by_role("button", name="Cancel").click()
        expect(page.locator("#session-status")).to_have_attribute("data-status", "open")
        page.get_by_role("button", name="Start the test").click()
        confirm.get_by_role("button", name="Start", exact=True).click()
        expect(page.locator("#session-status")).to_have_attribute("data-status", "running")

    def test_the_question_is_in_japanese_for_a_japanese_teacher(self):
        self.seat_everyone_but_the_absent()
        page = self.dashboard(self.teacher, locale="ja-JP")
        page.get_by_role("button", name="テストを開始").click()
        expect(page.locator('#confirm-dialog [data-slot="text"]')).to_have_text(
            "3 人がまだ入室していません。開始しますか?"
        )

    def test_the_org_admin_watches_without_any_action(self):
        self.start_in_the_database()
        page = self.dashboard(self.org_admin)
        expect(page.locator(".class-actions")).to_have_count(0)
        expect(page.get_by_role("button", name="Start the test")).to_have_count(0)
        self.tile(page, 3).locator(".tile-button").click()
        dialog = page.locator("#examinee-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("button[data-action]")).to_have_count(0)
        expect(dialog.get_by_role("button", name="Close")).to_be_visible()


# A pupil's socket from their signed-in browser: every frame it receives is kept in window.frames.
PUPIL_SOCKET = """(path) => new Promise((resolve, reject) => {
    window.frames_seen = [];
    const socket = new WebSocket(`ws://${location.host}${path}`);
    window.pupil_socket = socket;
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      window.frames_seen.push(frame);
      if (frame.type === "state") resolve();
    };
    socket.onerror = reject;
})"""


class TestClassWide(DashboardTestCase):
    def pupil_socket(self, number: int) -> Page:
        page = self.open_page()
        self.sign_in_any_language(page, self.pupils[number])
        page.evaluate(PUPIL_SOCKET, f"/ws/exam/{self.session.pk}/")
        return page

    def test_a_class_wide_pause_reaches_every_pupil_and_stops_every_clock(self):
        from exams.models import Attempt

        self.start_in_the_database()
        pupils = [self.pupil_socket(number) for number in (1, 2, 3)]
        page = self.dashboard(self.teacher)
        page.get_by_role("button", name="Pause everyone").click()
        page.locator("#confirm-dialog").get_by_role("button", name="Pause everyone").click()
        for pupil in pupils:
            pupil.wait_for_function("() => window.frames_seen.some((frame) => frame.type === 'paused')")
        answering = Attempt.objects.filter(session=self.session).exclude(status=Attempt.Status.FINISHED)
        assert answering.count() == 40 - len(ABSENT) - len(HANDED_IN)
        assert set(answering.values_list("status", flat=True)) == {Attempt.Status.PAUSED}
        expect(self.tile(page, 1)).to_have_attribute("data-state", "paused")

    def test_a_raised_hand_shows_on_the_tile_until_the_teacher_has_seen_it(self):
        self.start_in_the_database()
        pupil = self.pupil_socket(1)
        page = self.dashboard(self.teacher)
        pupil.evaluate("() => window.pupil_socket.send(JSON.stringify({type: 'hand'}))")
        tile = self.tile(page, 1)
        expect(tile).to_have_attribute("data-hand", "yes")
        tile.locator(".tile-button").click()
        page.locator("#examinee-dialog").get_by_role("button", name="Mark as seen").click()
        expect(tile).to_have_attribute("data-hand", "no")
        pupil.wait_for_function(
            "() => window.frames_seen.some((frame) => frame.type === 'hand' && frame.raised === false)"
        )
