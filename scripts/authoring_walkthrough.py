"""Issue 13's walk-through of a fresh `make run`, in real browsers (Debian's Chromium), in Japanese.

    SQLITE_PATH=/tmp/walk13.sqlite3 make run ADDR=127.0.0.1:8043      # in another shell: a demo database
    SQLITE_PATH=/tmp/walk13.sqlite3 KANTOKU_URL=http://127.0.0.1:8043 .venv/bin/python scripts/authoring_walkthrough.py

A Japanese teacher (sakura-teacher, class 5年1組) writes a 5-question passage quiz with furigana in the
editor (a passage and one question of each kind, and a second single choice), previews it as a pupil
(ruby drawn, the page marked as a preview), publishes it, opens a session for 5年1組, and three demo
pupils (three browser contexts) enter, answer and are handed in when the teacher ends the test from the
dashboard; the teacher reads the version's item analysis (rows, rate bars, choice bars, flags). Then the
operator (password, then a one-time code from `manage.py addstatictoken operator`: run the script with
the environment of `make run`, e.g. the same SQLITE_PATH) imports a certification test from a JSON file
in the browser, publishes it, and the teacher finds it on the start screen as 【運営】… and gets 404 on
its editor, preview and export. Each step is printed with its time; any failure exits non-zero. It
changes the database it runs against: use a demo one. Screenshots go to KANTOKU_SHOTS.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright
from walks import BASE, DEMO_PASSWORD, Step, browser_page, operator_signs_in, plain, pupil_enters, say, sign_in

SHOTS = Path(os.environ.get("KANTOKU_SHOTS", tempfile.gettempdir()))
PUPILS = ["sakura-pupil1", "sakura-pupil2", "sakura-pupil3"]
STAMP = time.strftime("%H%M%S")
TITLE = f"｜春《はる》の読解 {STAMP}"
PLAIN_TITLE = f"春の読解 {STAMP}"
CERT_TITLE = f"漢字検定 模擬 {STAMP}"


# --- The teacher writes the quiz ------------------------------------------------------------------

PASSAGE = (
    "春になると、｜桜《さくら》の花が｜咲《さ》きます。\n"
    "学校の｜校庭《こうてい》には大きな桜の木があり、子どもたちは木の下で｜弁当《べんとう》を食べます。"
)
QUESTIONS = [
    ("single", "春に咲く花はどれですか。", [("桜", True), ("ひまわり", False), ("コスモス", False)]),
    (
        "multiple",
        "校庭の桜の木の下ですることを、すべて選びなさい。",
        [("弁当を食べる", True), ("桜を見る", True), ("泳ぐ", False)],
    ),
    ("short", "「｜校庭《こうてい》」の読みをひらがなで書きなさい。", "こうてい"),
    ("ordering", "季節を春から順に並べなさい。", ["春", "夏", "秋", "冬"]),
    ("single", "この文章の季節はいつですか。", [("春", True), ("冬", False)]),
]
KIND_LABELS = {"single": "択一問題", "multiple": "複数選択問題", "short": "記述(短答)問題", "ordering": "並べ替え問題"}


def navigate(page: Page, button) -> None:
    """Click a button that posts its form the ordinary way (it waits for an autosave still on its way)."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()


def write_question(page: Page, number: int, kind: str, prompt: str, answer) -> None:
    passage = page.locator(".editor-passage").first
    passage.get_by_label("この本文に問題を追加").select_option(label=KIND_LABELS[kind])
    navigate(page, passage.get_by_role("button", name="追加", exact=True))
    question = page.locator(".editor-question").nth(number - 1)
    expect(question.locator("h3")).to_contain_text(KIND_LABELS[kind])
    question.locator("textarea[name=prompt]").fill(prompt)
    if kind in ("single", "multiple"):
        for index, (text, correct) in enumerate(answer):
            if question.locator("input[name=choice_text]").count() <= index:
                navigate(page, question.get_by_role("button", name="選択肢を追加"))
                question = page.locator(".editor-question").nth(number - 1)
            question.locator("input[name=choice_text]").nth(index).fill(text)
            if correct:
                question.locator("input[name=correct]").nth(index).check()
    elif kind == "short":
        question.locator("textarea[name=accepted]").fill(answer)
    else:
        for index, text in enumerate(answer):
            if question.locator("input[name=choice_text]").count() <= index:
                navigate(page, question.get_by_role("button", name="項目を追加"))
                question = page.locator(".editor-question").nth(number - 1)
            question.locator("input[name=choice_text]").nth(index).fill(text)
    navigate(page, question.get_by_role("button", name="保存", exact=True))
    expect(page.locator(".editor-question").nth(number - 1).locator(".editor-read")).to_contain_text(plain(prompt)[-8:])


def teacher_writes(page: Page) -> str:
    with Step("teacher signs in (sakura-teacher) and opens テスト作成"):
        sign_in(page, "sakura-teacher", DEMO_PASSWORD)
        page.get_by_role("link", name="テスト作成").first.click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        say("  list page heading:", page.locator("h1").inner_text())
    with Step("a new test: title with furigana, 10 min, pass mark 60%, 3 questions a pupil (changed later)"):
        page.get_by_label("タイトル").fill(TITLE)
        page.get_by_label("制限時間（分）").fill("10")
        page.get_by_label("合格点（%）").fill("60")
        page.get_by_label("一人あたりの出題数").fill("3")
        page.get_by_role("button", name="テストを作成").click()
        page.wait_for_url(re.compile(r"/exam/write/\d+/"))
        exam_url = page.url.split("#")[0]
        expect(page.locator("h1 ruby")).to_contain_text("春")
        say("  editor:", exam_url, "|", page.locator(".editor-version").inner_text())
    with Step("a passage with furigana, saved by itself as it is typed"):
        page.get_by_role("button", name="本文を追加").click()
        passage = page.locator(".editor-passage").first
        passage.get_by_label("本文のタイトル").fill("｜春《はる》の校庭")
        passage.locator("textarea[name=text]").fill(PASSAGE)
        expect(passage.locator(".editor-read ruby").first).to_contain_text("桜")
        expect(passage.locator(".save-state")).to_contain_text("保存")
        say("  save state:", passage.locator(".save-state").inner_text())
    for number, (kind, prompt, answer) in enumerate(QUESTIONS, start=1):
        with Step(f"question {number}: {KIND_LABELS[kind]}"):
            write_question(page, number, kind, prompt, answer)
    with Step("the problems panel: a passage of 5 is never drawn in 3; 5 a pupil in the settings clears it"):
        problems = page.locator("#version-problems")
        expect(problems).to_contain_text("出題されません")
        say("  panel:", " ".join(problems.inner_text().split()))
        settings = page.locator("#settings")
        settings.get_by_label("一人あたりの出題数").fill("5")
        expect(settings.locator(".save-state")).to_contain_text("保存しました")
        expect(problems).to_contain_text("問題はありません")
        say("  panel:", " ".join(problems.inner_text().split()))
        if page.locator("#version-problems li").count():
            raise AssertionError("problems left: " + problems.inner_text())
    page.screenshot(path=SHOTS / "walk13-editor.png", full_page=True)
    return exam_url


def teacher_previews(page: Page) -> None:
    with Step("preview as a pupil (new tab): marked as a preview, ruby drawn, the would-be score"):
        with page.context.expect_page() as opened:
            page.get_by_role("link", name=re.compile("の画面でプレビュー")).click()
        preview = opened.value
        preview.on("dialog", lambda dialog: dialog.accept())
        expect(preview.locator(".exam-banner-preview")).to_be_visible()
        say("  banner:", " ".join(preview.locator(".exam-banner-preview").inner_text().split()))
        expect(preview.locator("#question .passage ruby").first).to_be_visible()
        rubies = preview.locator("#question ruby rt").all_inner_texts()
        say("  ruby readings on the first question:", ", ".join(rubies))
        if "さくら" not in rubies:
            raise AssertionError("the passage's furigana is not drawn")
        preview.screenshot(path=SHOTS / "walk13-preview.png", full_page=True)
        preview.get_by_role("button", name="回答を提出する").click()
        expect(preview.locator("#preview-score")).to_be_visible()
        say("  hand-in:", " ".join(preview.locator("#preview-score").inner_text().split()))
        preview.close()


def teacher_publishes(page: Page) -> None:
    with Step("publish version 1 (confirmed)"):
        page.get_by_role("button", name="第1版を公開").first.click()
        expect(page.locator(".editor-version")).to_contain_text("公開")
        say("  now:", page.locator(".editor-version").inner_text())


def teacher_opens_session(page: Page) -> None:
    with Step("open a session for 5年1組 from マイクラス"):
        page.get_by_role("link", name="マイクラス").first.click()
        page.get_by_role("link", name="5年1組").first.click()
        page.get_by_role("link", name="テストを始める").first.click()
        if page.locator(".notice-once").count():  # a session of an earlier run is still open: end it first
            say("  the class has an open session:", " ".join(page.locator(".notice-once p").first.inner_text().split()))
            page.get_by_role("link", name="試験監督画面へ").click()
            expect(page.locator("#connection-status")).to_have_attribute("data-state", "live")
            page.get_by_role("button", name="テストを終了").click()
            expect(page.get_by_role("button", name="テストを終了")).to_be_hidden()
            page.go_back()
            page.reload()
        select = page.get_by_label("テスト", exact=True)
        labels = select.locator("option").all_inner_texts()
        say("  start screen offers:", " / ".join(label.strip() for label in labels if label.strip()))
        wanted = next((label for label in labels if PLAIN_TITLE in label), None)
        if wanted is None:
            raise AssertionError(f"{PLAIN_TITLE} is not on the start screen")
        if not re.fullmatch(r"【学校】.+（10分・合格 60%）", wanted.strip()):
            raise AssertionError(f"unexpected label: {wanted!r}")
        select.select_option(label=wanted.strip())
        page.get_by_role("button", name="待機室を開く").click()
        page.wait_for_url(re.compile(r"/proctor/sessions/\d+/$"))
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "live")


def order_items(question, right: list[str]) -> None:
    """Move the items into `right` with the up buttons, as a pupil does."""
    rows = question.locator(".ordering li")
    for target, text in enumerate(right):
        texts = [t.strip() for t in rows.locator(".choice-text").all_inner_texts()]
        at = texts.index(text)
        for position in range(at, target, -1):
            rows.nth(position).locator(".move-up").click()
            expect(rows.nth(position - 1).locator(".choice-text")).to_have_text(text)


def answer_all(pupil: Page, wrong: set[int]) -> None:
    """Answer every question; the numbers in `wrong` (1-based, as written) get a wrong answer."""
    for position in range(5):
        question = pupil.locator(f'#question .question[data-position="{position}"]')
        expect(question).to_be_visible()
        prompt = question.locator(".prompt").inner_text()
        prompt = prompt.replace("\n", "")
        number = next(i for i, (_k, text, _a) in enumerate(QUESTIONS, 1) if plain(text)[-8:] in prompt)
        kind, _text, answer = QUESTIONS[number - 1]
        is_wrong = number in wrong
        if kind == "single":
            text = next(t for t, correct in answer if correct != is_wrong)
            question.locator(".choice", has_text=text).click()
        elif kind == "multiple":
            for text, correct in answer:
                if correct != is_wrong:
                    question.locator(".choice", has_text=text).click()
        elif kind == "short":
            field = question.locator('input[name="text"]')
            field.fill("こうえん" if is_wrong else "コウテイ")
            field.blur()
        elif is_wrong:
            question.get_by_role("button", name="この順番で答える").click()
        else:
            order_items(question, answer)
        nav = pupil.locator(f'.question-nav button[data-position="{position}"]')
        expect(nav).to_have_class(re.compile(r"\banswered\b"))
        if position < 4:
            question.locator(".step-next").click()


def proctor_and_sit(browser: Browser, teacher: Page) -> None:
    with Step("three pupils sign in (phones, three browser contexts) and enter the waiting room"):
        pupils = [pupil_enters(browser, login_id) for login_id in PUPILS]
        expect(teacher.locator('.tile[data-online="yes"]')).to_have_count(3)
    with Step("the teacher starts the test from the dashboard"):
        teacher.get_by_role("button", name="テストを開始").click()
        dialog = teacher.locator("#confirm-dialog")
        if dialog.is_visible():
            say("  asked first:", " ".join(dialog.locator('[data-slot="text"]').inner_text().split()))
            dialog.locator('[data-slot="yes"]').click()
        for pupil in pupils:
            expect(pupil.locator("#question .question")).to_be_visible()
        rubies = pupils[0].locator("#question .passage ruby rt").all_inner_texts()
        say("  pupil 1 reads the passage with furigana:", ", ".join(rubies))
    wrongs = [set(), {3, 4}, {2, 4, 5}]
    for index, (pupil, wrong) in enumerate(zip(pupils, wrongs, strict=True), start=1):
        with Step(f"pupil {index} answers all five (wrong on {sorted(wrong) or 'none'})"):
            answer_all(pupil, wrong)
    pupils[0].screenshot(path=SHOTS / "walk13-pupil.png", full_page=True)
    with Step("the teacher ends the test from the dashboard; every pupil gets a result"):
        teacher.get_by_role("button", name="テストを終了").click()
        dialog = teacher.locator("#confirm-dialog")
        if dialog.is_visible():
            dialog.locator('[data-slot="yes"]').click()
        for index, pupil in enumerate(pupils, start=1):
            pupil.wait_for_url(re.compile(r"/result/"), timeout=30_000)
            say(f"  pupil {index}:", " ".join(pupil.locator("main").inner_text().split())[:120])
        teacher.screenshot(path=SHOTS / "walk13-dashboard.png", full_page=True)
    for pupil in pupils:
        pupil.context.close()


def teacher_reads_analysis(page: Page, exam_url: str) -> None:
    with Step("item analysis from the editor's versions card"):
        page.goto(exam_url)
        page.get_by_role("link", name="設問分析").first.click()
        page.wait_for_url(re.compile(r"/analysis/"))
        say("  heading:", page.locator("h1").inner_text())
        say("  summary:", " ".join(page.locator(".summary").inner_text().split()))
        rows = page.locator(".item-table > tbody > tr")
        expect(rows).to_have_count(5)
        meters = page.locator(".item-table meter").count()
        bars = page.locator(".item-table table").count()
        flags = page.locator(".item-table .item-flag").count()
        say(f"  {rows.count()} rows, {meters} rate meters, {bars} choice-bar tables")
        for row in rows.all():
            say("   ·", " ".join(row.inner_text().split())[:150])
        pending = page.locator(".item-table .item-flag-pending").count()
        say(f"  flags column: {flags} flagged, {pending} 'not checked yet' (flags need 5 answers; 3 pupils sat)")
        if meters < 1 or bars < 1:
            raise AssertionError("the analysis shows no bars")
        if flags + pending != rows.count():
            raise AssertionError("the flags column says nothing on some rows")
        page.screenshot(path=SHOTS / "walk13-analysis.png", full_page=True)


# --- The operator's certification test ------------------------------------------------------------


def certification_file() -> Path:
    sample = Path(__file__).resolve().parent.parent / "exams" / "samples"
    data = json.loads(next(iter(sorted(sample.glob("*.json")))).read_text(encoding="utf-8"))
    data["code"] = f"kanken-{STAMP}"
    data["title"] = CERT_TITLE
    data["time_limit_minutes"] = 15
    data["pass_mark_percent"] = 70
    path = Path(tempfile.gettempdir()) / f"walk13-certification-{STAMP}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def operator_publishes(browser: Browser) -> str:
    page = browser_page(browser)
    with Step("operator signs in at /operator/ (password, one-time code)"):
        operator_signs_in(page)
    with Step("operator imports a certification test from a JSON file in the browser"):
        section = page.locator(".console-tests")  # the console's way to the operator's catalog
        say("  console offers:", " / ".join(section.get_by_role("link").all_inner_texts()))
        section.get_by_role("link", name="ファイルからテストを取り込む").click()
        page.wait_for_url(re.compile(r"/exam/write/import/$"))
        say("  import page says:", " ".join(page.locator("main > p").nth(1).inner_text().split()))
        page.set_input_files('input[type="file"]', str(certification_file()))
        page.locator('main form button[type="submit"]').click()
        page.wait_for_url(re.compile(r"/exam/write/\d+/"))
        exam_url = page.url.split("#")[0]
        say("  imported:", exam_url, "|", page.locator(".editor-version").inner_text())
    with Step("operator publishes it"):
        page.get_by_role("button", name=re.compile("公開")).first.click()
        expect(page.locator(".editor-version")).to_contain_text("公開")
        say("  now:", page.locator(".editor-version").inner_text())
    page.context.close()
    return exam_url


def teacher_cannot_read(page: Page, exam_url: str) -> None:
    with Step("the teacher sees it on the start screen as 【運営】…, and cannot read it"):
        page.goto("/")
        page.get_by_role("link", name="マイクラス").first.click()
        page.get_by_role("link", name="5年1組").first.click()
        page.get_by_role("link", name="テストを始める").first.click()
        options = page.get_by_label("テスト", exact=True).locator("option")
        labels = [label.strip() for label in options.all_inner_texts()]
        wanted = next((label for label in labels if CERT_TITLE in label), None)
        say("  start screen:", wanted)
        if wanted != f"【運営】{CERT_TITLE}（15分・合格 70%）":
            raise AssertionError(f"unexpected label: {wanted!r}")
        exam_path = exam_url.removeprefix(BASE)
        for path in (exam_path, f"{exam_path}v1/preview/", f"{exam_path}v1/export.json"):
            response = page.request.get(path)
            say(f"  GET {path} → {response.status}")
            if response.status != 404:
                raise AssertionError(f"{path} answered {response.status}")


def main() -> int:
    failed = False
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            teacher = browser_page(browser)
            exam_url = teacher_writes(teacher)
            teacher_previews(teacher)
            teacher_publishes(teacher)
            teacher_opens_session(teacher)
            proctor_and_sit(browser, teacher)
            teacher_reads_analysis(teacher, exam_url)
            certification_url = operator_publishes(browser)
            teacher_cannot_read(teacher, certification_url)
        except Exception:  # noqa: BLE001 - the walk-through says what failed and exits non-zero
            traceback.print_exc()
            failed = True
        finally:
            browser.close()
    say("walk-through", "FAILED" if failed else "done", "; screenshots in", SHOTS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
