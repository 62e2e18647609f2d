"""Issue 15's Done-when, walked in Japanese browsers against `make run`: a badge issued, checked and revoked.

A demo teacher opens a session of the operator's sample 春の読み取りテスト for
5年1組; a pupil answers every question right (the right choices are read from
the sample file, as a pupil who knows them would pick them); the teacher ends
the test. On the result page the pupil downloads the badge as JSON and as a
baked PNG, and `manage.py verify_badge` accepts both. The teacher revokes the
result from the test report; the same two files are now refused with the
reason "revoked", the pupil's card says so, and so does the public page.

    SQLITE_PATH=/tmp/walk15.sqlite3 make run ADDR=127.0.0.1:8044    # in the background, a fresh database
    SQLITE_PATH=/tmp/walk15.sqlite3 KANTOKU_URL=http://127.0.0.1:8044 .venv/bin/python scripts/badge_walkthrough.py

Each step is printed with its time; any failure prints the traceback and exits 1.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright
from walks import BASE, DEMO_PASSWORD, Step, browser_page, plain, pupil_enters, say, sign_in

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = json.loads((ROOT / "exams" / "samples" / "reading-spring.json").read_text(encoding="utf-8"))
PUPIL = "sakura-pupil1"
REASON = "試験中に他の人の答えを見ていたことを確認したため"
DOWNLOADS = Path(tempfile.mkdtemp(prefix="walk15-"))
# The text of an element as a pupil reads it, without the furigana's readings.
TEXT_WITHOUT_RUBY = (
    "el => { const c = el.cloneNode(true); c.querySelectorAll('rt, rp').forEach(n => n.remove());"
    " return c.textContent.replace(/\\s+/g, ''); }"
)


def confirm(page: Page) -> None:
    dialog = page.locator("#confirm-dialog")
    if dialog.is_visible():
        dialog.locator('[data-slot="yes"]').click()


def teacher_opens_session(page: Page) -> str:
    with Step("the teacher opens a session of the operator's sample test for 5年1組"):
        sign_in(page, "sakura-teacher", DEMO_PASSWORD)
        page.get_by_role("link", name="マイクラス").first.click()
        page.get_by_role("link", name="5年1組").first.click()
        page.get_by_role("link", name="テストを始める").first.click()
        select = page.get_by_label("テスト", exact=True)
        label = next(text.strip() for text in select.locator("option").all_inner_texts() if SAMPLE["title"] in text)
        say("  chosen:", label)
        select.select_option(label=label)
        page.get_by_role("button", name="待機室を開く").click()
        page.wait_for_url(re.compile(r"/proctor/sessions/\d+/$"))
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "live")
        return page.url


def pupil_passes(browser: Browser, teacher: Page) -> Page:
    with Step(f"{PUPIL} enters; the teacher starts the test"):
        pupil = pupil_enters(browser, PUPIL)
        expect(teacher.locator('.tile[data-online="yes"]')).to_have_count(1)
        teacher.get_by_role("button", name="テストを開始").click()
        confirm(teacher)
        expect(pupil.locator("#question .question")).to_be_visible()
    with Step("the pupil answers every question right"):
        # A choice question's right choice, or a short answer's first accepted answer, by prompt.
        keys = {plain(question["prompt"]).replace(" ", ""): question for question in SAMPLE["questions"]}
        for position in range(SAMPLE["questions_per_attempt"]):
            question = pupil.locator(f'#question .question[data-position="{position}"]')
            expect(question).to_be_visible()
            prompt = question.locator(".prompt").evaluate(TEXT_WITHOUT_RUBY)
            written = keys[prompt]
            if written["type"] == "short":
                field = question.locator('input[name="text"]')
                field.fill(written["accepted"][0])
                field.blur()
            else:
                right = plain(next(choice["text"] for choice in written["choices"] if choice.get("correct")))
                choices = question.locator(".choice")
                texts = [choices.nth(i).evaluate(TEXT_WITHOUT_RUBY) for i in range(choices.count())]
                choices.nth(next(i for i, text in enumerate(texts) if text.endswith(right.replace(" ", "")))).click()
            expect(pupil.locator(f'.question-nav button[data-position="{position}"]')).to_have_class(
                re.compile(r"\banswered\b")
            )
            if position < SAMPLE["questions_per_attempt"] - 1:
                question.locator(".step-next").click()
    with Step("the teacher ends the test; the pupil's result says 合格 and offers the badge"):
        teacher.get_by_role("button", name="テストを終了").click()
        confirm(teacher)
        pupil.wait_for_url(re.compile(r"/result/"), timeout=30_000)
        say("  result:", " ".join(pupil.locator("main h1").inner_text().split()))
        card = pupil.locator(".badge-card")
        expect(card).to_be_visible()
        say("  card:", " ".join(card.locator(".badge-card-body").inner_text().split()))
    return pupil


def pupil_downloads(pupil: Page) -> list[Path]:
    files = []
    with Step("the pupil downloads the badge as JSON and as a baked PNG"):
        for name in ("バッジをダウンロード（JSON）", "バッジをダウンロード（画像）"):
            with pupil.expect_download() as download:
                pupil.get_by_role("link", name=name).click()
            path = DOWNLOADS / download.value.suggested_filename
            download.value.save_as(path)
            say("  saved:", path, f"({path.stat().st_size} bytes)")
            files.append(path)
    return files


def verify_badge(path: Path) -> tuple[int, str]:
    """The command as the service's operator runs it: with the service's settings, so its own address
    (PUBLIC_BASE_URL, which `make run` sets to the address it serves) is the one its badges name.
    """
    command = [sys.executable, str(ROOT / "manage.py"), "verify_badge", str(path)]
    environment = {**os.environ, "PUBLIC_BASE_URL": BASE}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)  # noqa: S603
    return done.returncode, (done.stdout + done.stderr).strip()


def files_verify(files: list[Path], expected_status: int, expected_words: str) -> None:
    for path in files:
        status, output = verify_badge(path)
        say(f"  manage.py verify_badge {path.name} → exit {status}")
        for line in output.splitlines():
            say("    |", line)
        if status != expected_status or expected_words not in output:
            wanted = f"{expected_status} {expected_words!r}"
            raise AssertionError(f"verify_badge {path.name}: exit {status}, wanted {wanted}")


def teacher_revokes(teacher: Page, session_url: str) -> None:
    with Step("the teacher revokes the pupil's result from the test report"):
        teacher.goto(session_url + "report/")
        teacher.get_by_role("link", name=re.compile("結果を取り消す")).first.click()
        teacher.get_by_label("理由").fill(REASON)
        teacher.get_by_role("button", name="結果を取り消す").click()
        confirm(teacher)
        expect(teacher.locator(".notice-once, [role=status]").first).to_be_visible()
        say("  now:", " ".join(teacher.locator("main").inner_text().split())[:160])


def main() -> int:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            teacher = browser_page(browser)
            session_url = teacher_opens_session(teacher)
            pupil = pupil_passes(browser, teacher)
            files = pupil_downloads(pupil)
            with Step("manage.py verify_badge accepts both files"):
                files_verify(files, 0, "有効")
            share = pupil.locator("#badge-share-url").input_value()
            teacher_revokes(teacher, session_url)
            with Step("the same files are refused now, with the reason 'revoked'"):
                files_verify(files, 1, "revoked")
            with Step("the pupil's card and the public page say the badge was revoked"):
                pupil.reload()
                expect(pupil.locator(".badge-card .verdict")).to_contain_text("取り消されました")
                say("  card:", " ".join(pupil.locator(".badge-card").inner_text().split()))
                pupil.goto(share)
                say("  public page:", " ".join(pupil.locator("main").inner_text().split())[:200])
                if REASON in pupil.locator("main").inner_text():
                    raise AssertionError("the public page shows the revocation's reason")
        except Exception:  # noqa: BLE001 - the walk-through says what failed and exits non-zero
            traceback.print_exc()
            return 1
        finally:
            browser.close()
    say("done: the badge was issued, verified offline, revoked, and refused as revoked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
