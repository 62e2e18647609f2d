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
<form id="counted" method="post" action="{ORIGIN}/imported" enctype="multipart/form-data"
      data-busy="Importing… about 15 seconds" data-busy-count-text="importing" data-busy-seconds-each="0.3">
  <input type="file" name="file"><button type="submit">Import</button><p data-busy-status hidden></p>
</form>
<script id="i18n" type="application/json">{{"importing": "%(count)s examinees: about %(seconds)s seconds"}}</script>
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


@pytest.mark.parametrize(
    ("pupils", "words"), [(10, "10 examinees: about 5 seconds"), (40, "40 examinees: about 15 seconds")]
)
def test_the_busy_words_count_the_rows_of_the_chosen_file(page, pupils, words):
    rows = "".join(f"{number},児童 {number},じどう,\r\n" for number in range(1, pupils + 1))
    data = ("番号,氏名,ふりがな,利用者ID\r\n" + rows + "\r\n").encode("cp932")  # a blank line at the end
    page.set_input_files("#counted input", files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": data}])
    page.wait_for_function("document.getElementById('counted').dataset.busyCount !== undefined")
    status = page.evaluate(
        """() => {
        const form = document.getElementById("counted");
        form.requestSubmit();
        return form.querySelector("[data-busy-status]").textContent;
    }"""
    )
    assert status == words
