"""A teacher writes a test in the browser and a pupil sits it (docs/design.md §3, "The editor").

Playwright drives Debian's Chromium against the live server of tests/browser/conftest.py: the teacher
creates a test from the Tests page, writes a passage with two questions (single choice, short answer)
through the editor's forms (the passage saved by itself as it is typed, the questions with the Save
button), previews it as a pupil (nothing recorded), publishes it, opens a session of it for the class through the existing pages, and the pupil
answers both questions and hands in.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from classrooms.models import User
from exams.models import Attempt, Exam, ExamVersion
from tests.browser.conftest import ATTEMPT_URL, RESULT_URL, BrowserTestCase
from tests.browser.test_accessibility import violations as axe_violations
from tests.browser.test_csp import CspWatch
from tests.conftest import enroll, make_class, make_organization, make_user

pytestmark = pytest.mark.browser

EDITOR_URL = re.compile(r"/exam/write/\d+/(#.*)?$")


class TestAuthoring(BrowserTestCase):
    def setUp(self):
        organization = make_organization("sakura", "さくら小学校")
        self.teacher = make_user("sakura-teacher", User.Role.TEACHER, organization, name="山田 先生")
        school_class = make_class(organization, self.teacher, "5年1組")
        self.pupil = make_user(
            "sakura-pupil", User.Role.EXAMINEE, organization, name="鈴木 一郎", must_change_password=False
        )
        enroll(school_class, self.pupil, number=1)

    def test_a_teacher_writes_publishes_and_a_pupil_sits_the_test(self):
        teacher = self.open_page()
        csp = CspWatch(teacher)  # the editor's pages, their autosaves and swaps run under the policy
        self.sign_in(teacher, self.teacher)

        # A new test from the Tests page: no code to invent.
        teacher.get_by_role("link", name="Tests").click()
        teacher.get_by_label("Title").fill("都道府県テスト")
        teacher.get_by_label("Time limit (minutes)").fill("10")
        teacher.get_by_label("Pass mark (%)").fill("50")
        teacher.get_by_label("Questions drawn for each pupil").fill("2")
        teacher.get_by_role("button", name="Create the test").click()
        expect(teacher).to_have_url(EDITOR_URL)
        expect(teacher.get_by_text("Version 1, draft")).to_be_visible()
        expect(teacher.locator("#version-problems")).to_contain_text("The test has no questions.")

        # A passage, saved as it is typed: its read view shows the furigana once the server has it.
        teacher.get_by_role("button", name="Add a passage").click()
        passage = teacher.locator(".editor-passage")
        passage.get_by_label("Passage title").fill("日本の首都")
        passage.get_by_label("Passage text").fill("日本の｜首都《しゅと》は東京です。")
        expect(passage.locator(".editor-read ruby")).to_have_text(re.compile("首都"))
        expect(passage.locator(".save-state")).to_contain_text("Saved at")
        # The list of problems follows each save by itself.
        expect(teacher.locator("#version-problems")).to_contain_text("Passage “日本の首都” has no questions.")

        # A single-choice question on the passage, saved with its button.
        passage.get_by_label("New question on this passage").select_option(label="Single choice")
        passage.get_by_role("button", name="Add", exact=True).click()
        first = teacher.locator(".editor-question").nth(0)
        first.get_by_label("Question text").fill("日本の首都はどこですか。")
        first.get_by_label("Choice 1", exact=True).fill("大阪")
        # A refused save (two choices alike) says why, and what was typed stays.
        first.get_by_label("Choice 2", exact=True).fill("大阪")
        expect(first.locator(".save-state")).to_contain_text("Not saved: Two choices or items have the same text.")
        expect(first.get_by_label("Choice 2", exact=True)).to_have_value("大阪")
        first.get_by_label("Choice 2", exact=True).fill("東京")
        expect(first.locator(".save-state")).to_contain_text("Saved at")
        first.get_by_label("Correct (choice 2)").check()
        first.get_by_role("button", name="Save", exact=True).click()
        # The form waits for the save still on its way, then reloads the editor: a fresh, empty save state.
        expect(teacher.locator(".editor-question").nth(0).locator(".save-state")).to_have_text("")
        expect(teacher.locator(".editor-question").nth(0).get_by_label("Choice 2", exact=True)).to_have_value("東京")

        # A short answer on the same passage; its accepted answers are normalized (shown to the author).
        passage = teacher.locator(".editor-passage")
        passage.get_by_label("New question on this passage").select_option(label="Short answer")
        passage.get_by_role("button", name="Add", exact=True).click()
        second = teacher.locator(".editor-question").nth(1)
        expect(second).to_contain_text("katakana counts as hiragana")
        second.get_by_label("Question text").fill("首都の読みをひらがなで書きなさい。")
        second.get_by_label("Accepted answers (one a line)").fill("とうきょう")
        second.get_by_role("button", name="Save", exact=True).click()
        expect(teacher.locator(".editor-question").nth(1).locator(".save-state")).to_have_text("")
        expect(teacher.locator("#version-problems")).to_contain_text("Nothing stands in the way")
        assert axe_violations(teacher) == []
        assert csp.settle() == []

        # Preview as a pupil, in a new tab: the pupils' page, marked as a preview, a draw of the version;
        # the would-be score at the hand-in, and nothing recorded.
        with teacher.context.expect_page() as opened:
            teacher.get_by_role("link", name="Preview as a pupil").click()
        preview = opened.value
        preview.on("dialog", lambda dialog: dialog.accept())  # "1 question unanswered: hand in now?"
        expect(preview.locator(".exam-banner-preview")).to_be_visible()
        expect(preview.locator("#question .passage")).to_contain_text("東京です")
        preview.locator('#question .question[data-position="0"] .choice', has_text="東京").click()
        preview.get_by_role("button", name="Hand in my answers").click()
        expect(preview.locator("#preview-score")).to_contain_text("1 out of 2")
        preview.close()
        assert not Attempt.objects.exists()

        # Publish (the confirmation is accepted): the version is read-only now.
        teacher.get_by_role("button", name="Publish version 1").click()
        expect(teacher.get_by_text("Version 1, published")).to_be_visible()
        expect(teacher.get_by_role("button", name="Edit (starts version 2 as a draft)")).to_be_visible()
        exam = Exam.objects.get(title="都道府県テスト")
        assert exam.versions.get().status == ExamVersion.Status.PUBLISHED

        # The teacher opens a session of it for the class, through the existing pages.
        teacher.get_by_role("link", name="My classes").click()
        teacher.get_by_role("link", name="5年1組").click()
        teacher.get_by_role("link", name="Start a test").click()
        teacher.get_by_label("Test").select_option(label="[school's test] 都道府県テスト (10 min, pass mark 50%)")
        teacher.get_by_role("button", name="Open the waiting room").click()
        expect(teacher).to_have_url(re.compile(r"/proctor/sessions/\d+/$"))

        pupil = self.open_page()
        self.sign_in(pupil, self.pupil)
        self.enter_waiting_room(pupil)
        expect(teacher.locator(f"#tile-{self.pupil.pk}")).to_have_attribute("data-state", "waiting")
        teacher.get_by_role("button", name="Start the test").click()
        expect(pupil).to_have_url(ATTEMPT_URL)

        # The passage's questions come together, in their order: the single choice, then the short answer.
        question = pupil.locator('#question .question[data-position="0"]')
        expect(question).to_contain_text("日本の首都はどこですか。")
        expect(pupil.locator("#question .passage")).to_contain_text("東京です")
        question.locator(".choice", has_text="東京").click()
        nav = pupil.locator('.question-nav button[data-position="0"]')
        expect(nav).to_have_class(re.compile(r"\banswered\b"))
        expect(nav).not_to_have_class(re.compile(r"\bpending\b"))
        pupil.locator('.question-nav button[data-position="1"]').click()
        short = pupil.locator('#question .question[data-position="1"]')
        short.get_by_label("Your answer").fill("トウキョウ")
        short.get_by_label("Your answer").blur()
        nav = pupil.locator('.question-nav button[data-position="1"]')
        expect(nav).to_have_class(re.compile(r"\banswered\b"))
        expect(nav).not_to_have_class(re.compile(r"\bpending\b"))
        pupil.get_by_role("button", name="Hand in my answers").click()
        expect(pupil).to_have_url(RESULT_URL)
        expect(pupil.get_by_text("2 out of 2")).to_be_visible()
        assert Attempt.objects.get(examinee=self.pupil).score == 2
