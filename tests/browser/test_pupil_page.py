"""The pupil's pages during a test in a real browser (docs/design.md §3): nothing leads out of the
test, the text size changes the text and is remembered, the help button and the teacher's
announcements, and the bar on a phone. With KANTOKU_SCREENSHOTS=1 in the environment it also
writes docs/screenshots/attempt-390.png and attempt-1024.png (a machine with a Japanese font, e.g.
Debian's fonts-ipafont-gothic; without one Chromium draws boxes).

The pupil's exam socket goes through Playwright's websocket routing to the live server
(tests/browser/test_socket_client.py's Wire), so the test reads what the page sends and can hand
the page frames the server sends: `announcement` and `hand` (docs/protocol.md §2.1).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from exams.models import Choice, Question
from tests.browser.conftest import ATTEMPT_URL, TIMEOUT_MS, BrowserTestCase
from tests.browser.test_socket_client import Wire, eventually
from tests.conftest import PASSWORD, make_exam

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
PASSAGE = (
    "日曜日の朝、ゆいはおばあちゃんと川の{土手|どて}を歩いていた。\n"
    "おばあちゃんが指さした先には、茶色い{筆|ふで}のようなものが、かれ草の間から顔を出していた。\n"
    "「それは{胞子|ほうし}といってね、草花の種のような役目をするんだよ。」"
)


def font_size(page: Page, selector: str) -> float:
    return page.locator(selector).first.evaluate("element => parseFloat(getComputedStyle(element).fontSize)")


def links_out(page: Page) -> list[str]:
    """Every link of the page that is not to a place on the page itself."""
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    return [href for href in hrefs if not href.startswith("#")]


def enter_the_waiting_room(pupil: Page, examinee) -> None:
    """Sign the examinee in on a Japanese page and enter the waiting room, its socket connected."""
    pupil.goto("/login/")
    pupil.locator('input[name="username"]').fill(examinee.login_id)
    pupil.locator('input[name="password"]').fill(PASSWORD)
    pupil.locator('form button[type="submit"]').click()
    pupil.get_by_role("button", name="入室する").click()
    expect(pupil.locator("#connection-status")).to_have_attribute("data-state", "connected")


class TestPupilPage(BrowserTestCase):
    def setUp(self):
        exam = make_exam(questions=6, per_attempt=5, minutes=10)
        exam.title = "春の読み取りテスト"
        exam.save()
        for question in Question.objects.filter(exam=exam):
            question.passage = PASSAGE
            question.prompt = "ゆいとおばあちゃんが歩いていたのは、どこですか。"
            question.save()
        for choice, text in zip(
            Choice.objects.filter(question__exam=exam).order_by("question", "position"),
            ["川の{土手|どて}", "学校の校庭", "山の上の{畑|はたけ}", "駅前の公園"] * 6,
            strict=True,
        ):
            choice.text = text
            choice.save()
        self.one_pupil_in_a_session(exam)

    def open_pupil_page(self, *, locale: str = "ja-JP", width: int = 1024, height: int = 768) -> Page:
        context = self.browser.new_context(
            base_url=self.live_server_url,
            locale=locale,
            timezone_id="Asia/Tokyo",
            viewport={"width": width, "height": height},
        )
        self.addCleanup(context.close)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    def start_the_test(self) -> None:
        teacher = self.open_page()
        self.sign_in(teacher, self.teacher)
        teacher.goto(f"/proctor/sessions/{self.session.pk}/")
        expect(teacher.locator("#connection-status")).to_have_attribute("data-state", "live")
        teacher.get_by_role("button", name="Start the test").click()
        expect(teacher.locator("#session-status")).to_have_attribute("data-status", "running")

    def pupil_in_the_waiting_room(self, **options) -> tuple[Page, list[str]]:
        """A pupil's page (Japanese) signed in and in the waiting room; and every socket URL it opens."""
        pupil = self.open_pupil_page(**options)
        sockets: list[str] = []
        pupil.on("websocket", lambda socket: sockets.append(socket.url))
        enter_the_waiting_room(pupil, self.examinee)
        # From here on, only the test's pages: the home page before had its inbox socket.
        sockets.clear()
        pupil.reload()
        expect(pupil.locator("#connection-status")).to_have_attribute("data-state", "connected")
        return pupil, sockets

    def assert_nothing_leads_out(self, pupil: Page, sockets: list[str]) -> None:
        assert links_out(pupil) == []
        expect(pupil.locator("form[action]")).to_have_count(1 if ATTEMPT_URL.search(pupil.url) else 0)  # hand-in
        expect(pupil.get_by_role("button", name="サインアウト")).to_have_count(0)
        expect(pupil.locator("#language-select, #inbox-link, #unread-badge")).to_have_count(0)
        expect(pupil.get_by_role("button", name="先生を呼ぶ")).to_be_visible()
        assert sockets, "the exam socket"
        assert all("/ws/exam/" in url for url in sockets), sockets  # no inbox socket: messages wait

    def test_no_way_out_text_size_and_the_bar_on_a_phone(self):
        pupil, sockets = self.pupil_in_the_waiting_room()
        self.assert_nothing_leads_out(pupil, sockets)

        # The text size: 大 makes the text bigger, and the page root says so.
        medium = font_size(pupil, ".waiting-big")
        large_button = pupil.get_by_role("button", name="大", exact=True)
        expect(pupil.get_by_role("button", name="中", exact=True)).to_have_attribute("aria-pressed", "true")
        large_button.click()
        expect(large_button).to_have_attribute("aria-pressed", "true")
        expect(pupil.get_by_role("button", name="中", exact=True)).to_have_attribute("aria-pressed", "false")
        expect(pupil.locator("html")).to_have_class(re.compile(r"\btext-size-large\b"))
        assert font_size(pupil, ".waiting-big") > medium * 1.2

        # The test starts: the attempt page remembers the size and leads nowhere either.
        self.start_the_test()
        expect(pupil).to_have_url(ATTEMPT_URL)
        expect(pupil.locator("#question .question")).to_be_visible()
        self.assert_nothing_leads_out(pupil, sockets)
        expect(pupil.get_by_role("button", name="大", exact=True)).to_have_attribute("aria-pressed", "true")
        large = font_size(pupil, ".prompt")
        pupil.get_by_role("button", name="小", exact=True).click()
        expect(pupil.locator("html")).to_have_class(re.compile(r"\btext-size-small\b"))
        assert font_size(pupil, ".prompt") < large / 1.3
        assert font_size(pupil, ".exam-title") == font_size(pupil, ".exam-title")  # the bar keeps its size
        # Furigana: ruby on the page, the notation gone.
        expect(pupil.locator(".passage ruby").first).to_be_visible()
        expect(pupil.locator(".passage")).not_to_contain_text("{")
        pupil.get_by_role("button", name="中", exact=True).click()

        # The bar on a school tablet and on a phone: one line, nothing in it wraps.
        shoot = os.environ.get("KANTOKU_SCREENSHOTS") == "1"
        for width, height in ((1024, 768), (390, 844)):
            pupil.set_viewport_size({"width": width, "height": height})
            pupil.evaluate("window.scrollTo(0, 0)")
            self.assert_one_line(pupil)
            if shoot:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                pupil.screenshot(path=str(SCREENSHOTS / f"attempt-{width}.png"))

    def assert_one_line(self, pupil: Page) -> None:
        """Every item of the bar sits on one line, in one row; the tools row's items (text size,
        furigana, full screen) may wrap as wholes on a phone, each on one line and all on screen.
        """
        width = pupil.viewport_size["width"]
        for row in (".exam-header-inner", ".exam-tools"):
            boxes = pupil.locator(f"{row} > :not([hidden])").evaluate_all(
                """items => items.map(item => {
                    const box = item.getBoundingClientRect();
                    const style = getComputedStyle(item);
                    return {name: item.className, top: box.top, bottom: box.bottom, height: box.height,
                            left: box.left, right: box.right,
                            lineHeight: parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.6,
                            scrolls: item.scrollWidth > item.clientWidth + 1 && style.textOverflow !== "ellipsis"};
                })"""
            )
            if row == ".exam-header-inner":
                centre = [(box["top"] + box["bottom"]) / 2 for box in boxes]
                assert max(centre) - min(centre) < 8, (row, boxes)  # one row
            for box in boxes:
                assert not box["scrolls"], (row, box)
                assert box["left"] >= 0, (row, box)  # nothing cut off
                assert box["right"] <= width, (row, box)
        selectors = (".help-button", ".exam-title", ".timer-value", ".text-size-button", ".text-size-label")
        for selector in (*selectors, "#fullscreen-button"):
            for item in pupil.locator(selector).all():
                lines = item.evaluate(
                    """element => {
                        const range = document.createRange();
                        range.selectNodeContents(element);
                        const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
                        return tops.size;
                    }"""
                )
                assert lines <= 1, (selector, lines)

    def test_the_help_button_and_the_teachers_announcements(self):
        wire = Wire(self.open_pupil_page().context.pages[0], "**/ws/exam/**")
        pupil = wire.page
        enter_the_waiting_room(pupil, self.examinee)
        socket = wire.live()
        help_button = pupil.locator("#help-button")
        status = pupil.locator("#help-status")

        # 先生を呼ぶ sends `hand`, with no text. A server without `hand` answers with an error (until the
        # proctoring side takes it): the button comes back and the pupil is asked to raise a hand.
        help_button.click()
        eventually(pupil, lambda: [frame for frame in socket.sent if frame["type"] == "hand"], "a hand frame")
        assert [frame for frame in socket.sent if frame["type"] == "hand"] == [{"type": "hand", "delivered": True}]
        expect(help_button).not_to_have_attribute("data-state", "sending")
        if any(frame["type"] == "error" for frame in socket.received):
            expect(help_button).to_have_attribute("aria-disabled", "false")
            expect(status).to_have_text("ここからは先生に知らせられませんでした。手をあげて先生に知らせてください。")
            # The server's confirmation, as the contract has it:
            socket.page_end.send(json.dumps({"type": "hand", "raised": True}))
        expect(help_button).to_have_attribute("data-state", "raised")
        expect(help_button).to_have_attribute("aria-disabled", "true")
        expect(help_button).to_have_accessible_name("先生に知らせました")
        expect(status).to_have_text("先生に知らせました。席で待っていてください。")
        pupil.set_viewport_size({"width": 390, "height": 844})
        self.assert_one_line(pupil)  # the longer label still fits a phone's bar
        help_button.click(force=True)  # raised (aria-disabled): pressing again sends nothing
        pupil.wait_for_timeout(300)
        assert len([frame for frame in socket.sent if frame["type"] == "hand"]) == 1

        # The teacher acknowledges: the hand comes down.
        socket.page_end.send(json.dumps({"type": "hand", "raised": False}))
        expect(help_button).to_have_attribute("data-state", "idle")
        expect(help_button).to_have_accessible_name("先生を呼ぶ")
        expect(status).to_have_text("先生が気づきました。")

        # An announcement: a banner in a status region, the text as text.
        banner = pupil.locator("#announcement-banner")
        expect(banner).to_be_hidden()
        socket.page_end.send(json.dumps({"type": "announcement", "text": "<b>あと5分</b>です。見直しましょう"}))
        expect(banner).to_be_visible()
        expect(pupil.locator("#announcement-text")).to_have_text("<b>あと5分</b>です。見直しましょう")
        expect(pupil.locator("#announcement-banner b")).to_have_count(0)
        expect(pupil.get_by_role("status").filter(has=banner)).to_have_count(1)
        banner.get_by_role("button", name="OK").click()
        expect(banner).to_be_hidden()

        # The same on the attempt page, where the other frames still work.
        self.start_the_test()
        expect(pupil).to_have_url(ATTEMPT_URL)
        socket = wire.live()
        socket.page_end.send(json.dumps({"type": "announcement", "text": "鉛筆を置きましょう"}))
        expect(pupil.locator("#announcement-text")).to_have_text("鉛筆を置きましょう")
        expect(pupil.locator("#announcement-banner")).to_be_visible()
        socket.page_end.send(json.dumps({"type": "warning", "text": "前を向きましょう"}))
        expect(pupil.locator("#warning-text")).to_have_text("前を向きましょう")
