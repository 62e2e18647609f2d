"""The operations walk-through of a fresh `make run`, in a real browser (Debian's Chromium), in Japanese.

    make run                                               # in another shell, on a fresh demo database
    .venv/bin/python scripts/operations_walkthrough.py     # KANTOKU_URL=http://127.0.0.1:8031 after make run ADDR=…

The operator signs in (password, then a one-time code from `manage.py addstatictoken operator`: run
the script with the environment of `make run`, e.g. the same SQLITE_PATH), opens the console's
overview, approves the pending ひかり高等学校 through its contract page (a date, then a
confirmation that says what will happen), and sees the overview change; the
org admin of さくら小学校 asks for the school's data export, watches it finish and downloads the ZIP.
It says what it saw, step by step, and leaves screenshots in KANTOKU_SHOTS (default: the system's
temporary folder). It changes the database it runs against: use a demo one.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright
from walks import DEMO_PASSWORD, operator_signs_in

BASE = os.environ.get("KANTOKU_URL", "http://127.0.0.1:8000")
SHOTS = Path(os.environ.get("KANTOKU_SHOTS", tempfile.gettempdir()))
expect.set_options(timeout=20_000)


def say(*words) -> None:
    sys.stdout.write(" ".join(str(word) for word in words) + "\n")


def browser_page(browser: Browser) -> Page:
    context = browser.new_context(
        base_url=BASE, locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.on("pageerror", lambda error: say("page error:", error))
    return page


def overview_text(page: Page) -> str:
    return " ".join(page.locator(".console-overview").inner_text().split())


def operator_approves_hikari(browser: Browser) -> None:
    page = browser_page(browser)
    operator_signs_in(page)
    say("overview before:", overview_text(page))
    page.screenshot(path=SHOTS / "operations-overview.png", full_page=True)

    page.goto("/operator/classrooms/organization/?q=hikari")
    page.get_by_role("link", name=re.compile("ひかり高等学校")).first.click()
    page.get_by_role("link", name="承認").first.click()
    page.locator('input[type="submit"]').click()  # the first day: today, as offered
    consequences = " ".join(page.locator(".contract-consequences").inner_text().split())
    say("approve asks first:", consequences)
    page.screenshot(path=SHOTS / "operations-approve-confirm.png", full_page=True)
    page.locator('input[name="confirmed"] ~ input[type="submit"]').click()
    page.wait_for_url(re.compile(r"/operator/classrooms/organization/\d+/change/$"))
    say("after approval:", " ".join(page.locator(".messagelist").inner_text().split()))
    page.screenshot(path=SHOTS / "operations-contract.png", full_page=True)
    page.goto("/operator/")
    say("overview after:", overview_text(page))


def org_admin_exports(browser: Browser) -> None:
    page = browser_page(browser)
    page.goto("/login/")
    page.locator("#id_username").fill("sakura-admin")
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator('main form button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/org/"))
    page.get_by_role("link", name="データの書き出し").first.click()
    started = time.monotonic()
    page.locator('form[action$="/org/export/new/"] button, main form.actions button').first.click()
    link = page.get_by_role("link", name=re.compile("ダウンロード"))
    expect(link).to_be_visible()
    ready_after = time.monotonic() - started
    say(f"export ready after {ready_after:.1f} s:", " ".join(page.locator("main table").inner_text().split()))
    page.screenshot(path=SHOTS / "operations-export.png", full_page=True)
    with page.expect_download() as download_info:
        link.first.click()
    path = SHOTS / "operations-export.zip"
    download_info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        say(f"downloaded {path.stat().st_size} bytes:", ", ".join(archive.namelist()))


def main() -> int:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            operator_approves_hikari(browser)
            org_admin_exports(browser)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
