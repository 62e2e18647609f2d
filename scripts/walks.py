"""What the walkthrough scripts share: the demo's passwords, a Japanese browser page, signing in (the
operator's way in too), timed steps, and a pupil entering the waiting room.

The scripts run as `python scripts/<name>.py`, so this folder is on their path
and they `import walks`. They drive a `make run` server (KANTOKU_URL) whose
database they can reach with manage.py in the same environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

BASE = os.environ.get("KANTOKU_URL", "http://127.0.0.1:8000")
expect.set_options(timeout=20_000)
STARTED = time.monotonic()
OPERATOR_PASSWORD = "kantoku-operator"  # noqa: S105 - the demo's, printed by make run
DEMO_PASSWORD = "kantoku-demo"  # noqa: S105


def one_time_code(login_id: str) -> str:
    """A recovery code from django-otp's own command, on the database `make run` serves (same environment)."""
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    command = [sys.executable, str(manage), "addstatictoken", login_id]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()  # noqa: S603


def operator_signs_in(page: Page) -> None:
    """The demo operator opens the console: password, then a one-time code; the app's setup is left for later."""
    page.goto("/operator/")  # the console sends to the site's sign-in, then to the second factor
    page.locator("#id_username").fill("operator")
    page.locator("#id_password").fill(OPERATOR_PASSWORD)
    page.locator('main form button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/two-factor/"))
    page.locator("#id_code").fill(one_time_code("operator"))
    page.locator('main form button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/two-factor/setup/|/operator/$"))
    if "/two-factor/setup/" in page.url:  # a recovery code was used: an app is offered, for later
        page.get_by_role("link", name=re.compile("あとで設定する")).click()
    page.wait_for_url(re.compile(r"/operator/$"))


def say(*words) -> None:
    sys.stdout.write(f"[{time.monotonic() - STARTED:6.1f} s] " + " ".join(str(word) for word in words) + "\n")
    sys.stdout.flush()


class Step:
    """`with Step("…"):` prints the step, its duration, and what went wrong."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self):
        self.began = time.monotonic()
        say("▶", self.name)
        return self

    def __exit__(self, kind, error, trace):
        took = time.monotonic() - self.began
        say("✔" if kind is None else "✘", self.name, f"({took:.1f} s)")
        return False


def browser_page(browser: Browser, width: int = 1280, height: int = 900) -> Page:
    context = browser.new_context(
        base_url=BASE,
        locale="ja-JP",
        extra_http_headers={"Accept-Language": "ja-JP,ja;q=0.9"},
        timezone_id="Asia/Tokyo",
        viewport={"width": width, "height": height},
    )
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # 公開しますか? / 全員のテストを終了しますか?
    page.on("pageerror", lambda error: say("page error:", error))
    return page


def sign_in(page: Page, login_id: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("利用者ID").fill(login_id)
    page.get_by_label("パスワード").fill(password)
    page.locator('main form button[type="submit"]').click()
    page.wait_for_load_state()
    if page.locator('input[name="new_password1"]').count():  # a first sign-in: choose a password
        page.locator('input[name="new_password1"]').fill(password)
        page.locator('input[name="new_password2"]').fill(password)
        page.locator('main form button[type="submit"]').last.click()
        page.wait_for_load_state()


def plain(text: str) -> str:
    """The text without its furigana notation."""
    return re.sub(r"《[^》]*》|｜", "", text)


def pupil_enters(browser: Browser, login_id: str) -> Page:
    pupil = browser_page(browser, 390, 844)
    sign_in(pupil, login_id, DEMO_PASSWORD)
    pupil.goto("/")
    pupil.get_by_role("button", name="入室する").click()
    expect(pupil.locator("#help-button")).to_be_visible()
    return pupil
