"""The author's preview in a real browser (docs/design.md §3): the pupils' attempt page, marked as a
preview, where every kind is answered, furigana switch, and the hand-in shows the would-be score; no
attempt, answer or result is written, and no websocket is opened.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from classrooms.models import User
from exams.models import Attempt, AttemptQuestion, Choice, Passage, Question
from exams.versions import version_publish
from tests.browser.conftest import BrowserTestCase
from tests.conftest import make_organization, make_user
from tests.exams.conftest import new_draft

pytestmark = pytest.mark.browser

ORDER = ["一", "二", "三"]


class TestPreview(BrowserTestCase):
    def setUp(self):
        organization = make_organization("sakura", "さくら小学校")
        self.teacher = make_user("sakura-teacher", User.Role.TEACHER, organization, name="山田 先生")
        exam, draft = new_draft(
            organization, self.teacher, code="mixed", title="いろいろな問題", questions_per_attempt=4
        )
        passage = Passage.objects.create(version=draft, key="p", title="春の本文", text="｜土手《どて》を歩いた。")
        for position, (kind, choices, accepted) in enumerate(
            [
                ("single", [("正", True), ("誤", False)], []),
                ("multiple", [("春", True), ("夏", True), ("犬", False)], []),
                ("short", [], ["とうきょう"]),
                ("ordering", [(text, False) for text in ORDER], []),
            ]
        ):
            question = Question.objects.create(
                exam=exam,
                version=draft,
                group=passage if position == 0 else None,
                key=kind,
                kind=kind,
                prompt=f"{kind}の問題",
                position=position,
                accepted_answers=accepted,
            )
            for index, (text, correct) in enumerate(choices):
                Choice.objects.create(question=question, text=text, is_correct=correct, position=index)
        version_publish(version=draft, by=self.teacher)
        self.url = f"/exam/write/{exam.pk}/v1/preview/"

    def answer_the_question_shown(self, page: Page) -> None:
        question = page.locator("#question .question")
        expect(question).to_be_visible()
        kind = question.locator(".answer-form").get_attribute("data-kind")
        if kind == "single":
            question.locator(".choice", has_text="正").click()
        elif kind == "multiple":
            question.locator(".choice", has_text="春").click()
            question.locator(".choice", has_text="夏").click()
        elif kind == "short":
            question.locator('input[name="text"]').fill("トウキョウ")
            question.locator('input[name="text"]').blur()
        else:
            for place, text in enumerate(ORDER):
                while True:
                    items = question.locator(".ordering li .choice-text").all_inner_texts()
                    if items.index(text) == place:
                        break
                    question.locator(".ordering li", has_text=text).locator(".move-up").click()
        position = question.get_attribute("data-position")
        expect(page.locator(f'.question-nav button[data-position="{position}"]')).to_have_class(re.compile("answered"))

    def test_the_author_answers_every_kind_and_sees_the_would_be_score(self):
        page = self.open_page()
        self.sign_in(page, self.teacher)
        sockets = []
        page.on("websocket", lambda socket: sockets.append(socket))
        answer_posts = []
        page.on("request", lambda request: answer_posts.append(request.url) if request.method == "POST" else None)
        page.goto(self.url)
        expect(page.locator(".exam-banner-preview")).to_be_visible()
        expect(page).to_have_title(re.compile("Preview"))
        expect(page.locator("#help-button")).to_have_count(0)
        for position in range(4):
            page.locator(f'.question-nav button[data-position="{position}"]').click()
            expect(page.locator(f'#question .question[data-position="{position}"]')).to_be_visible()
            self.answer_the_question_shown(page)
        # Back to a question answered before: the page shows the answer it keeps.
        page.locator('.question-nav button[data-position="0"]').click()
        expect(page.locator('#question .question[data-position="0"]')).to_be_visible()
        kind = page.locator("#question .answer-form").get_attribute("data-kind")
        if kind == "short":
            expect(page.locator('#question input[name="text"]')).to_have_value("トウキョウ")
        elif kind in ("single", "multiple"):
            expect(page.locator("#question input:checked").first).to_be_checked()
        # Furigana switch off and on, as on the pupils' page.
        page.get_by_role("button", name="Hide", exact=True).click()
        expect(page.locator("html")).to_have_class(re.compile("furigana-hidden"))
        page.get_by_role("button", name="Show", exact=True).click()
        expect(page.locator("html")).not_to_have_class(re.compile("furigana-hidden"))

        page.get_by_role("button", name="Hand in my answers").click()
        expect(page.locator("#preview-score")).to_contain_text("4 out of 4")
        assert answer_posts == [page.url]  # one POST: the hand-in; no answer was sent while answering
        assert [socket.url for socket in sockets if "/ws/exam/" in socket.url] == []
        assert not Attempt.objects.exists()
        assert not AttemptQuestion.objects.exists()
