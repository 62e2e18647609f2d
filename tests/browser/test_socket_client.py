"""The pages' one websocket client (static/js/socket.js) in a real browser.

The pages' sockets go through Playwright's websocket routing to the live server, so the test
holds the wire: it closes the page's end with the codes a server sends (1012 restart, 4408 idle,
4429 too slow, 4403 not allowed), cuts the way to the server (what the page sends is lost, as on
a network that dropped it), takes the browser offline, and reads every frame both ways. Nothing
in the pages is there for the tests. Signing out elsewhere is the real server's 4401.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser.conftest import ATTEMPT_URL, TIMEOUT_MS, BrowserTestCase
from tests.conftest import make_exam

pytestmark = pytest.mark.browser

BASE_MS = 1000
CAP_MS = 30000
SAMPLES = 400


@dataclass
class Socket:
    """One websocket the page opened, as the wire saw it."""

    number: int
    page_end: WebSocketRoute
    server_end: WebSocketRoute | None = None
    sent: list[dict] = field(default_factory=list)  # from the page, "delivered": whether it reached the server
    received: list[dict] = field(default_factory=list)  # from the server
    closed: bool = False  # by either end, or by the page going away


class Wire:
    """Every websocket of the page's browser context whose URL matches `pattern`, passed to the
    live server through Playwright, with a hand on it.
    """

    def __init__(self, page: Page, pattern: str):
        self.page = page
        self.sockets: list[Socket] = []
        self.upstream_cut = False  # frames from the page are dropped, as by a network that lost them
        self.lost_downstream: Callable[[dict], bool] = lambda frame: False  # frames from the server to drop
        page.context.route_web_socket(pattern, self._route)

    def _route(self, page_end: WebSocketRoute) -> None:
        socket = Socket(len(self.sockets), page_end)
        self.sockets.append(socket)
        server_end = page_end.connect_to_server()
        socket.server_end = server_end

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            socket.sent.append({**frame, "delivered": not self.upstream_cut})
            if not self.upstream_cut:
                server_end.send(message)

        def from_server(message: str | bytes) -> None:
            frame = json.loads(message)
            socket.received.append(frame)
            if not self.lost_downstream(frame):
                page_end.send(message)

        page_end.on_message(from_page)
        server_end.on_message(from_server)

        def page_closed(code: int | None, reason: str | None) -> None:  # also when the page goes away
            socket.closed = True
            server_end.close(code=code, reason=reason)

        def server_closed(code: int | None, reason: str | None) -> None:
            socket.closed = True
            page_end.close(code=code, reason=reason)

        page_end.on_close(page_closed)
        server_end.on_close(server_closed)

    def open(self) -> list[Socket]:
        return [socket for socket in self.sockets if not socket.closed]

    def live(self) -> Socket:
        """The one socket not closed, once there is one (and only one): call it when the page says it is
        connected (a failed attempt is closed soon after it starts, by its server end).
        """
        try:
            eventually(self.page, lambda: len(self.open()) == 1, "one open socket")
        except AssertionError as error:
            seen = [
                (socket.number, socket.closed, [frame["type"] for frame in socket.received]) for socket in self.sockets
            ]
            raise AssertionError(f"{error}; sockets (number, closed, received): {seen}") from None
        return self.open()[0]

    def drop(self, code: int) -> Socket:
        """The server closes the open socket with `code`: the page sees the code, the server the close."""
        socket = self.live()
        socket.closed = True
        socket.page_end.close(code=code, reason="closed by the test")
        socket.server_end.close()
        return socket

    def sent(self, type_: str) -> list[tuple[int, dict]]:
        return [(socket.number, frame) for socket in self.sockets for frame in socket.sent if frame["type"] == type_]

    def received(self, type_: str) -> list[tuple[int, dict]]:
        return [
            (socket.number, frame) for socket in self.sockets for frame in socket.received if frame["type"] == type_
        ]


def eventually(page: Page, condition: Callable[[], object], what: str) -> None:
    """Wait until `condition()` is true, letting Playwright deliver its events meanwhile."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        page.wait_for_timeout(50)


class TestSocketClient(BrowserTestCase):
    def setUp(self):
        self.one_pupil_in_a_session(make_exam(questions=6, per_attempt=5, minutes=10))

    def dashboard(self) -> Page:
        teacher = self.open_page()
        self.sign_in(teacher, self.teacher)
        teacher.goto(f"/proctor/sessions/{self.session.pk}/")
        expect(teacher.locator("#connection-status")).to_have_attribute("data-state", "live")
        return teacher

    def test_the_delay_is_exponential_with_full_jitter(self):
        page = self.open_page()
        page.goto("/login/")  # every page loads socket.js
        samples = page.evaluate(
            """([samples, base, cap]) => Array.from({ length: 11 }, (_, attempt) => ({
                standard: Array.from({ length: samples }, () => KantokuSocket.delay(attempt)),
                custom: Array.from({ length: samples }, () => KantokuSocket.delay(attempt, base, cap)),
            }))""",
            [SAMPLES, 250, 4000],
        )
        for attempt, drawn in enumerate(samples):
            for delays, base, cap in [(drawn["standard"], BASE_MS, CAP_MS), (drawn["custom"], 250, 4000)]:
                ceiling = min(cap, base * 2**attempt)
                assert all(0 <= delay <= ceiling for delay in delays), (attempt, ceiling, max(delays))
                # Spread over the whole window, not bunched at its end (as with "equal jitter",
                # whose delays never go below half the ceiling) nor at one value.
                assert min(delays) < ceiling / 4, (attempt, ceiling, min(delays))
                assert max(delays) > ceiling * 3 / 4, (attempt, ceiling, max(delays))
                assert len(set(delays)) > SAMPLES * 0.9
        assert page.evaluate("[KantokuSocket.CLOSE.SIGNED_OUT, KantokuSocket.CLOSE.NOT_ALLOWED]") == [4401, 4403]

    def test_unacknowledged_frames_are_kept_in_storage_the_newest_500(self):
        page = self.open_page()
        page.goto("/login/")
        stored = page.evaluate(
            """() => {
                const key = "test.reliable";
                const socket = KantokuSocket.connect({ path: "/ws/nowhere/", storageKey: key }); // never opens
                for (let n = 0; n < 600; n++) socket.sendReliable({ type: "signal", id: `id-${n}` });
                socket.sendReliable({ type: "signal", id: "ID-100" }); // an id again goes to the end
                const kept = JSON.parse(localStorage.getItem(key)).map((frame) => frame.id);
                socket.forgetReliable();
                socket.close();
                return { kept, afterForget: localStorage.getItem(key) };
            }"""
        )
        assert stored["kept"] == [f"id-{n}" for n in range(101, 600)] + ["ID-100"]
        assert stored["afterForget"] is None

    def test_the_waiting_room_reconnects_after_a_close_and_says_so_while_down(self):
        teacher = self.dashboard()
        tile = teacher.locator(f"#tile-{self.examinee.pk}")
        pupil = self.open_page()
        wire = Wire(pupil, "**/ws/exam/**")
        status = pupil.locator("#connection-status")
        self.sign_in(pupil, self.examinee)
        self.enter_waiting_room(pupil)
        expect(tile).to_have_attribute("data-online", "yes")

        # A restart, an idle socket, a socket that fell behind, a server error: each time the page
        # says it is reconnecting for as long as it cannot (offline here), then comes back by itself.
        for code in (1012, 4408, 4429, 1011):
            pupil.context.set_offline(True)
            dropped = wire.drop(code)
            expect(status).to_have_attribute("data-state", "reconnecting")
            expect(status).to_have_text("The connection was lost. Trying again…")
            expect(tile).to_have_attribute("data-online", "no")
            pupil.context.set_offline(False)
            expect(status).to_have_attribute("data-state", "connected")
            expect(tile).to_have_attribute("data-online", "yes")
            assert wire.live().number > dropped.number

        # 4403: not allowed. The page reloads once to show why (here it may stay, and connects again)...
        with pupil.expect_navigation():
            wire.drop(4403)
        expect(status).to_have_attribute("data-state", "connected")
        # ...but not twice in a minute: it says it cannot join, and stops trying.
        wire.drop(4403)
        expect(status).to_have_attribute("data-state", "refused")
        expect(status).to_have_text("You cannot join this test. Ask your teacher.")
        tried = len(wire.sockets)
        pupil.wait_for_timeout(2500)  # a retry would come within 1 s (attempt 0 of a fresh page)
        assert len(wire.sockets) == tried

    def test_a_heartbeat_without_an_ack_drops_the_socket_and_the_page_connects_again(self):
        pupil = self.open_page()
        pupil.clock.install()  # time flows as usual, and the test can make it run faster
        wire = Wire(pupil, "**/ws/exam/**")
        status = pupil.locator("#connection-status")
        self.sign_in(pupil, self.examinee)
        self.enter_waiting_room(pupil)
        first = wire.live()

        # Acknowledged heartbeats every 15 s keep the socket.
        for beat in range(1, 4):
            pupil.clock.run_for(15_000)
            eventually(pupil, lambda n=beat: len(wire.received("ack")) == n, f"the ack of heartbeat {beat}")
            pupil.wait_for_timeout(100)  # for the ack, passed on by the wire, to reach the page
        assert [frame["id"] for frame in first.sent] == ["hb-1", "hb-2", "hb-3"]
        assert [frame["type"] for frame in first.sent] == ["heartbeat"] * 3
        assert wire.live() is first

        # The acks get lost from now on: the next heartbeat is sent, and when the one after it is due,
        # the page gives up on this socket and opens another.
        wire.lost_downstream = lambda frame: frame["type"] == "ack"
        pupil.clock.run_for(15_000)
        eventually(pupil, lambda: len(first.sent) == 4, "heartbeat 4")
        assert not first.closed
        pupil.clock.run_for(15_000)
        eventually(pupil, lambda: first.closed, "the page to close the socket")
        expect(status).to_have_attribute("data-state", "reconnecting")
        wire.lost_downstream = lambda frame: False
        pupil.clock.run_for(1_000)  # the first retry comes within a second
        expect(status).to_have_attribute("data-state", "connected")
        assert wire.live().number > first.number

    def test_the_backoff_doubles_while_down_and_going_online_starts_it_again(self):
        pupil = self.open_page()
        pupil.clock.install()
        wire = Wire(pupil, "**/ws/exam/**")
        status = pupil.locator("#connection-status")
        self.sign_in(pupil, self.examinee)
        self.enter_waiting_room(pupil)
        first = wire.live()
        pupil.evaluate("Math.random = () => 0.999")  # every jittered delay at the top of its window
        pupil.clock.pause_at(pupil.evaluate("Date.now() + 10") / 1000)  # page time moves only when told

        # Offline: each attempt fails, and the next waits twice as long (up to the 30 s cap).
        pupil.context.set_offline(True)
        wire.drop(1012)
        for ceiling in (1_000, 2_000, 4_000, 8_000, 16_000):
            delay = int(ceiling * 0.999)
            tried = len(wire.sockets)
            pupil.clock.run_for(delay - 20)
            pupil.wait_for_timeout(300)
            assert len(wire.sockets) == tried, f"an attempt before {delay} ms"
            pupil.clock.run_for(40)
            eventually(pupil, lambda n=tried: len(wire.sockets) == n + 1, f"an attempt after {delay} ms")
            eventually(pupil, lambda: wire.sockets[-1].closed, "the attempt to fail")
        expect(status).to_have_attribute("data-state", "reconnecting")

        # The next one is 30 s away; back online, the page tries within a second (jittered).
        pupil.context.set_offline(False)
        pupil.clock.run_for(1_000)
        expect(status).to_have_attribute("data-state", "connected")
        assert wire.live().number > first.number

    def test_the_attempt_page_sends_signals_the_server_missed_again_after_reconnecting(self):
        teacher = self.dashboard()
        tile = teacher.locator(f"#tile-{self.examinee.pk}")
        pupil = self.open_page()
        wire = Wire(pupil, "**/ws/exam/**")
        self.sign_in(pupil, self.examinee)
        self.enter_waiting_room(pupil)
        teacher.get_by_role("button", name="Start the test").click()
        expect(pupil).to_have_url(ATTEMPT_URL)
        expect(pupil.locator("#question .question")).to_be_visible()
        expect(tile).to_have_attribute("data-state", "answering")
        attempt = self.attempt_of(self.examinee)
        queue_key = f"kantoku.exam.{attempt.pk}.signals"
        queued = f"JSON.parse(localStorage.getItem({json.dumps(queue_key)}) || '[]').map((frame) => frame.id)"

        # The pupil leaves the window and comes back while what the page sends gets lost on the way.
        wire.upstream_cut = True
        pupil.evaluate("window.dispatchEvent(new Event('blur'))")
        pupil.evaluate("window.dispatchEvent(new Event('focus'))")
        eventually(pupil, lambda: len(wire.sent("signal")) == 2, "the two signals to be sent")
        lost = [frame for _, frame in wire.sent("signal")]
        assert [frame["kind"] for frame in lost] == ["focus_lost", "focus_returned"]
        assert not any(frame["delivered"] for frame in lost)
        ids = [frame["id"] for frame in lost]
        assert pupil.evaluate(queued) == ids  # kept until acknowledged, across a reload too

        # The server drops the socket as idle (4408); the network is gone for a moment.
        pupil.context.set_offline(True)
        lost_on = wire.drop(4408).number
        expect(pupil.locator("#offline-banner")).to_be_visible()  # answers would wait on the device
        wire.upstream_cut = False
        pupil.context.set_offline(False)  # `online`: the page tries again at once

        # Reconnected: the same signals go again, the server stores and acknowledges them, the queue empties.
        assert wire.live().number > lost_on
        eventually(pupil, lambda: {frame["id"] for _, frame in wire.received("ack")} >= set(ids), "the acks")
        resent = [(number, frame) for number, frame in wire.sent("signal") if frame["delivered"]]
        assert sorted(frame["id"] for _, frame in resent) == sorted(ids)
        assert all(number > lost_on for number, _ in resent)
        eventually(pupil, lambda: pupil.evaluate(queued) == [], "the queue to empty")
        flags = tile.locator(".tile-flags .flag")
        expect(flags.filter(has_text="Left the test window")).to_have_text("Left the test window ×1")
        expect(flags.filter(has_text="Came back to the test window")).to_have_text("Came back to the test window ×1")
        expect(pupil.locator("#offline-banner")).to_be_hidden()

        # A signal the server never got outlives the page: after a reload, the new page sends it.
        wire.upstream_cut = True
        pupil.evaluate("document.dispatchEvent(new Event('copy'))")
        eventually(pupil, lambda: [frame["kind"] for _, frame in wire.sent("signal")][-1:] == ["copy"], "the copy")
        copied = wire.sent("signal")[-1][1]["id"]
        assert pupil.evaluate(queued) == [copied]
        before_reload = wire.live().number
        wire.upstream_cut = False
        pupil.reload()
        eventually(pupil, lambda: copied in {frame["id"] for _, frame in wire.received("ack")}, "the copy's ack")
        assert all(
            number > before_reload
            for number, frame in wire.sent("signal")
            if frame["id"] == copied and frame["delivered"]
        )
        eventually(pupil, lambda: pupil.evaluate(queued) == [], "the queue to empty")
        expect(flags.filter(has_text="Copy")).to_have_text("Copy ×1")

    def test_the_dashboard_takes_the_snapshot_on_reconnect_as_the_truth(self):
        teacher = self.open_page()
        wire = Wire(teacher, "**/ws/proctor/**")
        self.sign_in(teacher, self.teacher)
        teacher.goto(f"/proctor/sessions/{self.session.pk}/")
        status = teacher.locator("#connection-status")
        tile = teacher.locator(f"#tile-{self.examinee.pk}")
        start = teacher.get_by_role("button", name="Start the test")
        expect(status).to_have_attribute("data-state", "live")
        expect(tile).to_have_attribute("data-state", "absent")
        expect(start).to_be_enabled()

        # The dashboard is cut off (a server restart) while the pupil comes in: it misses the event.
        teacher.context.set_offline(True)
        wire.drop(1012)
        expect(status).to_have_attribute("data-state", "retrying")
        expect(status).to_have_text(re.compile(r"^Connection lost\. Trying again in \d+ s…$"))
        expect(start).to_be_disabled()
        pupil = self.open_page()
        self.sign_in(pupil, self.examinee)
        self.enter_waiting_room(pupil)
        expect(tile).to_have_attribute("data-state", "absent")

        # Back: the snapshot the server sends on connect brings the pupil in.
        teacher.context.set_offline(False)
        expect(status).to_have_attribute("data-state", "live")
        expect(tile).to_have_attribute("data-state", "waiting")
        expect(tile).to_have_attribute("data-online", "yes")
        expect(start).to_be_enabled()
        reconnected = wire.live()
        assert reconnected.number > 0
        eventually(teacher, lambda: [frame["type"] for frame in reconnected.received][:1] == ["snapshot"], "a snapshot")

    def test_signing_out_elsewhere_closes_with_4401_and_the_waiting_room_goes_to_sign_in(self):
        pupil = self.open_page()
        self.sign_in(pupil, self.examinee)
        self.enter_waiting_room(pupil)
        sockets = []
        pupil.on("websocket", lambda socket: sockets.append(socket))  # any socket opened from now on

        other_tab = pupil.context.new_page()
        other_tab.goto("/")
        other_tab.get_by_role("button", name="Sign out").click()

        expect(pupil).to_have_url(re.compile(r"/login/"))
        expect(pupil.get_by_label("Login id")).to_be_visible()
        pupil.wait_for_timeout(1500)
        assert [socket.url for socket in sockets] == []  # neither the exam nor the inbox socket tried again
