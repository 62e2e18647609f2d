"""The classroom walk-through of a fresh `make run`, in real browsers (Debian's Chromium).

    make run                                     # in another shell, on a fresh demo database
    .venv/bin/python scripts/walkthrough.py      # KANTOKU_URL=http://127.0.0.1:8021 after make run ADDR=…

sakura-teacher3 creates a class and imports the 40 pupils of classrooms/samples/demo-roster-40.csv
(cp932); three of them sign in on phones (390×844), choose a password and enter; the teacher, on
a 1024×768 tablet, starts with 37 missing (asked first), sees a pupil's call, pauses and resumes
everyone, ends the test and opens the results. It says what it saw, step by step, and leaves
screenshots in KANTOKU_SHOTS (default: the system's temporary folder). It changes the database
it runs against: use a demo one.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

BASE = os.environ.get("KANTOKU_URL", "http://127.0.0.1:8000")
CSV = Path(__file__).resolve().parent.parent / "classrooms" / "samples" / "demo-roster-40.csv"
SHOTS = Path(os.environ.get("KANTOKU_SHOTS", tempfile.gettempdir()))
NEW_PASSWORD = "sakura-new-pass-9"  # noqa: S105 - a demo pupil's chosen password
expect.set_options(timeout=15_000)


def say(*words) -> None:
    sys.stdout.write(" ".join(str(word) for word in words) + "\n")


def browser_page(browser: Browser, width: int = 1024, height: int = 768) -> Page:
    context = browser.new_context(
        base_url=BASE, locale="en-US", timezone_id="Asia/Tokyo", viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "End the test for everyone?"
    page.on("pageerror", lambda error: say("page error:", error))
    return page


def sign_in(page: Page, login_id: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Login id").fill(login_id)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def import_the_class(teacher: Page) -> tuple[str, list[tuple[str, str]]]:
    """A new class with the 40 pupils of the demo CSV: its id and the first three login cards."""
    teacher.goto("/teacher/classes/new/")
    teacher.get_by_label("Class name").fill(f"6年{int(time.time()) % 1000}組")
    teacher.locator('main form button[type="submit"]').click()
    teacher.wait_for_url(re.compile(r"/teacher/classes/\d+/$"))
    class_id = re.search(r"/classes/(\d+)/", teacher.url).group(1)
    teacher.goto(f"/teacher/classes/{class_id}/import/")
    teacher.set_input_files('input[type="file"]', str(CSV))
    started = time.monotonic()
    teacher.get_by_role("button", name="Import").click()
    expect(teacher.locator(".login-card").first).to_be_visible(timeout=120_000)
    say(f"import: {teacher.locator('.login-card').count()} login cards in {time.monotonic() - started:.1f} s")
    teacher.screenshot(path=SHOTS / "login-cards.png")
    cells = teacher.locator(".login-card dd.password").all_inner_texts()  # login id, password, login id, …
    return class_id, [(cells[index], cells[index + 1]) for index in range(0, 6, 2)]


def open_the_waiting_room(teacher: Page, class_id: str) -> None:
    teacher.goto(f"/proctor/classes/{class_id}/sessions/new/")
    teacher.locator('select[name="exam"]').select_option(index=1)
    teacher.get_by_role("button", name="Open the waiting room").click()
    teacher.wait_for_url(re.compile(r"/proctor/sessions/\d+/$"))
    expect(teacher.locator("#connection-status")).to_have_attribute("data-state", "live")


def pupil_enters(browser: Browser, login_id: str, password: str) -> Page:
    pupil = browser_page(browser, 390, 844)
    sign_in(pupil, login_id, password)
    pupil.locator('input[name="new_password1"]').fill(NEW_PASSWORD)
    pupil.locator('input[name="new_password2"]').fill(NEW_PASSWORD)
    pupil.locator('form button[type="submit"]').last.click()
    pupil.goto("/")
    pupil.get_by_role("button", name="Enter").click()
    expect(pupil.locator("#help-button")).to_be_visible()
    return pupil


def answer_the_first_question(pupil: Page) -> None:
    """Whatever its kind: the demo's tests mix single and multiple choice, short answers and ordering."""
    question = pupil.locator("#question .question")
    if question.locator(".choice").count():
        question.locator(".choice").first.click()
    elif question.locator('input[name="text"]').count():
        question.locator('input[name="text"]').fill("こたえ")
    else:
        question.locator(".move-down").first.click()


def confirm(teacher: Page, button: str, **options) -> None:
    teacher.get_by_role("button", name=button, **options).click()
    teacher.locator("#confirm-dialog").get_by_role("button", name=button, **options).click()


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        teacher = browser_page(browser)
        sign_in(teacher, "sakura-teacher3", "kantoku-demo")
        class_id, cards = import_the_class(teacher)
        open_the_waiting_room(teacher, class_id)
        pupils = [pupil_enters(browser, login_id, password) for login_id, password in cards]
        expect(teacher.locator('.tile[data-online="yes"]')).to_have_count(3)
        height = teacher.evaluate("document.scrollingElement.scrollHeight")
        say(f"dashboard: {teacher.locator('#tiles > .tile').count()} tiles, page {height} px high on a 768 px screen")

        teacher.get_by_role("button", name="Start the test").click()
        say("asked before starting:", teacher.locator('#confirm-dialog [data-slot="text"]').inner_text())
        teacher.locator("#confirm-dialog").get_by_role("button", name="Start", exact=True).click()
        for pupil in pupils:
            expect(pupil.locator("#question .question")).to_be_visible(timeout=20_000)
        answer_the_first_question(pupils[0])
        pupils[1].locator("#help-button").click()
        expect(teacher.locator('.tile[data-hand="yes"]')).to_have_count(1)
        say("a pupil's call shows on one tile")

        confirm(teacher, "Pause everyone")
        for pupil in pupils:
            expect(pupil.locator("text=/paused/i").first).to_be_visible()
        say("paused: every pupil's page says so")
        teacher.screenshot(path=SHOTS / "dashboard-paused.png")
        pupils[0].screenshot(path=SHOTS / "pupil-paused.png")
        confirm(teacher, "Resume everyone")
        for pupil in pupils:
            expect(pupil.locator("#question .question")).to_be_visible()

        teacher.get_by_role("button", name="End the test").click()
        for pupil in pupils:
            pupil.wait_for_url(re.compile(r"/result/"), timeout=20_000)
        teacher.goto(f"/exam/classes/{class_id}/results/")
        teacher.screenshot(path=SHOTS / "results.png", full_page=True)
        rows = teacher.locator(".results-table tbody tr").count()
        say(f"results: {rows} rows;", teacher.locator("#absentees-heading").inner_text())
        browser.close()
    say("walk-through done; screenshots in", SHOTS)


if __name__ == "__main__":
    main()
