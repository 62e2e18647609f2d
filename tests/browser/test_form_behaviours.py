"""kantoku.js's form behaviours in Chromium: confirm only a valid form; a busy form sends once (§9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

ORIGIN = "http://kantoku.test"
SCRIPT = (Path(__file__).resolve().parents[2] / "static" / "js" / "kantoku.js").read_text()

PAGE = f"""<!doctype html><html><head><script src="{ORIGIN}/kantoku.js" defer></script></head><body>
<form id="confirming" method="post" action="{ORIGIN}/confirmed" novalidate data-confirm="Really?">
  <input name="name" required><button type="submit">Send</button>
</form>
<form id="busy" method="post" action="{ORIGIN}/imported" data-busy="Importing… about 15 seconds">
  <button type="submit">Import</button><p data-busy-status hidden></p>
</form>
</body></html>"""


@pytest.fixture
def page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.posts = []

        def serve(route):
            request = route.request
            if request.url.endswith("/kantoku.js"):
                route.fulfill(body=SCRIPT, content_type="text/javascript")
            elif request.method == "POST":
                page.posts.append(request.url)
                route.fulfill(body="<p>done</p>", content_type="text/html")
            else:
                route.fulfill(body=PAGE, content_type="text/html; charset=utf-8")

        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/form")
        page.wait_for_function("window.KantokuI18n !== undefined")
        yield page
        browser.close()


def test_an_invalid_form_is_sent_without_asking(page):
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("#confirming button")
    page.wait_for_url(f"{ORIGIN}/confirmed")
    assert questions == []
    assert page.posts == [f"{ORIGIN}/confirmed"]


def test_a_valid_form_asks_first_and_a_no_sends_nothing(page):
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.fill("#confirming input", "山田")
    page.click("#confirming button")
    page.wait_for_timeout(200)
    assert questions == ["Really?"]
    assert page.posts == []


def test_a_busy_form_disables_its_button_says_so_and_sends_once(page):
    state = page.evaluate(
        """() => {
        const form = document.getElementById("busy");
        form.requestSubmit();
        form.requestSubmit();
        return {
          disabled: form.querySelector("button").disabled,
          status: form.querySelector("[data-busy-status]").textContent,
          hidden: form.querySelector("[data-busy-status]").hidden,
        };
    }"""
    )
    assert state == {"disabled": True, "status": "Importing… about 15 seconds", "hidden": False}
    page.wait_for_url(f"{ORIGIN}/imported")
    assert page.posts == [f"{ORIGIN}/imported"]
