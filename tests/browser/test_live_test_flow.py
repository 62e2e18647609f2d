"""A whole proctored test in real browsers (docs/design.md §3, §4).

Playwright drives Debian's Chromium against a live daphne server: a teacher and
three examinees, each in a browser context of their own, sign in through the
real form and go through the waiting room, the start, answers, a lost focus,
a hand-in, the end and the results. A second test records everything an
examinee's browser receives during a test and looks for the correct answers in it.

The live server and the browser are tests/browser/conftest.py's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response, WebSocket, expect

from classrooms.models import User
from exams.models import Choice, Exam, Question
from tests.browser.conftest import ATTEMPT_URL, RESULT_URL, BrowserTestCase
from tests.conftest import enroll, make_class, make_exam, make_organization, make_user

pytestmark = pytest.mark.browser


class TestWholeTest(BrowserTestCase):
    def setUp(self):
        organization = make_organization("sakura", "さくら小学校")
        self.teacher = make_user("sakura-teacher", User.Role.TEACHER, organization, name="山田 先生")
        self.school_class = make_class(organization, self.teacher, "5年1組")
        self.examinees = []
        for number, name in enumerate(["鈴木 一郎", "田中 花子", "佐藤 三郎"], start=1):
            user = make_user(
                f"sakura-pupil{number}", User.Role.EXAMINEE, organization, name=name, must_change_password=False
            )
            enroll(self.school_class, user, number=number)
            self.examinees.append(user)
        self.exam = make_exam(questions=6, per_attempt=5, minutes=10)  # pass mark 60 %: 3 of 5

    def test_it_runs_a_whole_test_with_a_teacher_and_three_examinees(self):
        first, second, third = self.examinees
        teacher = self.open_page()
        pages = {examinee.pk: self.open_page() for examinee in self.examinees}

        # The teacher opens the waiting room from the class's roster.
        self.sign_in(teacher, self.teacher)
        teacher.get_by_role("link", name="5年1組").click()
        teacher.get_by_role("link", name="Start a test").click()
        teacher.get_by_label("Test").select_option(label=f"[operator's test] {self.exam.title} (10 min, pass mark 60%)")
        teacher.get_by_role("button", name="Open the waiting room").click()
        expect(teacher).to_have_url(re.compile(r"/proctor/sessions/\d+/$"))
        expect(teacher.locator("#connection-status")).to_have_attribute("data-state", "live")
        expect(teacher.locator("#session-status")).to_have_attribute("data-status", "open")
        tiles = {examinee.pk: teacher.locator(f"#tile-{examinee.pk}") for examinee in self.examinees}
        for tile in tiles.values():
            expect(tile).to_have_attribute("data-state", "absent")

        # The examinees sign in, enter from their home page and wait; the teacher sees them arrive.
        for examinee in self.examinees:
            page = pages[examinee.pk]
            self.sign_in(page, examinee)
            expect(page.get_by_text(self.exam.title)).to_be_visible()
            self.enter_waiting_room(page)
        for tile in tiles.values():
            expect(tile).to_have_attribute("data-online", "yes")
            expect(tile).to_have_attribute("data-state", "waiting")
            expect(tile.locator(".tile-presence")).to_contain_text("Online")
        expect(teacher.locator("#summary")).to_contain_text("Online 3 / 3")

        # Start: every examinee present gets an attempt and is taken to it.
        teacher.get_by_role("button", name="Start the test").click()
        expect(teacher.locator("#session-status")).to_have_attribute("data-status", "running")
        for examinee in self.examinees:
            page = pages[examinee.pk]
            expect(page).to_have_url(ATTEMPT_URL)
            expect(page.locator("#question .question")).to_be_visible()
            expect(tiles[examinee.pk]).to_have_attribute("data-state", "answering")
            expect(tiles[examinee.pk].locator(".tile-answered")).to_have_text("0 / 5")

        # Answers: #1 all correct, #2 one right and one wrong, #3 three right. The dashboard counts them.
        right = {examinee.pk: self.correct_indexes(examinee) for examinee in self.examinees}
        plans = {  # (position, choice index) in the order given
            first.pk: list(enumerate(right[first.pk])),
            second.pk: [(0, right[second.pk][0]), (1, (right[second.pk][1] + 1) % 4)],
            third.pk: list(enumerate(right[third.pk][:3])),
        }
        for examinee in self.examinees:
            for answered, (position, index) in enumerate(plans[examinee.pk], start=1):
                self.answer(pages[examinee.pk], position, index)
                expect(tiles[examinee.pk].locator(".tile-answered")).to_have_text(f"{answered} / 5")

        # #2 looks away from the test window and comes back: the teacher sees it on #2's tile only.
        pages[second.pk].evaluate("window.dispatchEvent(new Event('blur'))")
        pages[second.pk].evaluate("window.dispatchEvent(new Event('focus'))")
        flags = tiles[second.pk].locator(".tile-flags .flag")
        expect(flags.filter(has_text="Left the test window")).to_have_text("Left the test window ×1")
        expect(flags.filter(has_text="Came back to the test window")).to_have_text("Came back to the test window ×1")
        expect(tiles[second.pk]).to_have_attribute("data-flagged", "yes")
        for examinee in (first, third):
            expect(tiles[examinee.pk].locator(".flag", has_text="Left the test window")).to_have_count(0)

        # #1 hands in (the confirm dialog is accepted) and sees the result.
        pages[first.pk].get_by_role("button", name="Hand in my answers").click()
        expect(pages[first.pk]).to_have_url(RESULT_URL)
        expect(tiles[first.pk]).to_have_attribute("data-state", "submitted")

        # The teacher ends the test: #2 and #3 are handed in and taken to their results.
        teacher.get_by_role("button", name="End the test").click()
        expect(teacher.locator("#session-status")).to_have_attribute("data-status", "ended")
        for examinee in (second, third):
            expect(pages[examinee.pk]).to_have_url(RESULT_URL)
            expect(tiles[examinee.pk]).to_have_attribute("data-state", "submitted")
        expect(teacher.get_by_role("button", name="Start the test")).to_be_hidden()
        expect(teacher.get_by_role("button", name="End the test")).to_be_hidden()

        # Each examinee sees their own result.
        expected = {
            first.pk: ("5 out of 5", "You passed. Well done!", "You handed in your answers yourself."),
            second.pk: ("1 out of 5", "You did not pass this time.", "Your teacher ended the test"),
            third.pk: ("3 out of 5", "You passed. Well done!", "Your teacher ended the test"),
        }
        for examinee in self.examinees:
            page = pages[examinee.pk]
            score, verdict, reason = expected[examinee.pk]
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Your result: {self.exam.title}")
            expect(page.locator(".summary")).to_contain_text(score)
            expect(page.locator("#verdict")).to_contain_text(verdict)
            expect(page.get_by_text(reason)).to_be_visible()
            assert page.url.endswith(f"/exam/attempts/{self.attempt_of(examinee).pk}/result/")

        # The teacher opens the class's results from the roster: three results.
        teacher.get_by_role("link", name="My classes").click()
        teacher.get_by_role("link", name="5年1組").click()
        teacher.get_by_role("link", name="Test results").click()
        rows = teacher.locator(".results-table tbody tr")
        expect(rows).to_have_count(3)
        for examinee, score, verdict in [
            (first, "5 / 5", "Passed"),
            (second, "1 / 5", "Not passed"),
            (third, "3 / 5", "Passed"),
        ]:
            row = rows.filter(has_text=examinee.name)
            expect(row).to_contain_text(score)
            expect(row.locator(".badge")).to_have_text(verdict)
        expect(teacher.get_by_text("Pass rate 66.7%: 2 of 3 passed.")).to_be_visible()


# --- The correct answers never reach the browser -----------------------------------------

CHOICE_ID_BASE = 7_310_000  # far from any number a page shows for another reason, so any occurrence is an id
LEAKY_KEY = re.compile(r"correct|solution|answer_?key|right_?answer", re.IGNORECASE)
LEAKY_MARKUP = re.compile(r"<[^>]*(correct|solution|answer-key|right-answer)[^>]*>", re.IGNORECASE)
JSON_SCRIPT = re.compile(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', re.S)
LABEL = re.compile(r"<label\b.*?</label>", re.S | re.IGNORECASE)  # whatever its attributes


def make_exam_with_telltale_ids(questions: int = 5) -> Exam:
    """An exam whose choice ids and texts are unmistakable wherever they would turn up."""
    exam = Exam.objects.create(
        code="secret-test",
        title="秘密のテスト",
        time_limit_minutes=10,
        questions_per_attempt=questions,
        pass_mark_percent=60,
    )
    for number in range(questions):
        question = Question.objects.create(exam=exam, key=f"q{number}", prompt=f"問{number}: どれ?", position=number)
        for choice in range(4):
            Choice.objects.create(
                pk=CHOICE_ID_BASE + number * 10 + choice,
                question=question,
                text=f"答え-{number}-{choice}-{'甲乙丙丁'[choice]}",
                is_correct=choice == (number % 4),
                position=choice,
            )
    return exam


@dataclass
class Received:
    """Everything one page received: HTTP response bodies (by URL) and websocket frames."""

    bodies: list[tuple[str, str, str]] = field(default_factory=list)  # url, content type, text
    unreadable: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)

    def record_response(self, response: Response) -> None:
        if 300 <= response.status < 400:
            return  # a redirect has no body to read
        try:
            body = response.body()
        except PlaywrightError:
            # A static file (the favicon, say) can be gone from the browser's memory once the page moved
            # on; static files are the same for everyone and are not read below (`dynamic`).
            if "/static/" not in response.url:
                self.unreadable.append(response.url)
            return
        content_type = response.headers.get("content-type", "")
        self.bodies.append((response.url, content_type, body.decode("utf-8", errors="replace")))

    def record_websocket(self, websocket: WebSocket) -> None:
        websocket.on("framereceived", self.record_frame)

    def record_frame(self, payload: str | bytes) -> None:
        self.frames.append(payload if isinstance(payload, str) else payload.decode("utf-8", errors="replace"))

    def dynamic(self) -> list[tuple[str, str, str]]:
        return [(url, kind, text) for url, kind, text in self.bodies if "/static/" not in url]

    def readable(self) -> list[tuple[str, str]]:
        r"""(url or "websocket", text) of every dynamic body and frame, with JSON's \u escapes undone
        (JSON responses and pages' json_script blocks spell Japanese that way).
        """
        texts = [(url, text) for url, content_type, text in self.dynamic() if "application/json" not in content_type]
        texts += [(url, json.dumps(document, ensure_ascii=False)) for url, document in self.json_documents()]
        return texts

    def json_documents(self) -> Iterator[tuple[str, object]]:
        """Every JSON document received: JSON responses, JSON embedded in pages, websocket frames."""
        for url, content_type, text in self.dynamic():
            if "application/json" in content_type:
                yield url, json.loads(text)
            elif "text/html" in content_type:
                for embedded in JSON_SCRIPT.findall(text):
                    yield url, json.loads(embedded)
        for frame in self.frames:
            yield "websocket", json.loads(frame)


def keys_of(document: object) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield key
            yield from keys_of(value)
    elif isinstance(document, list):
        for item in document:
            yield from keys_of(item)


class TestCorrectAnswersStayOnTheServer(BrowserTestCase):
    def setUp(self):
        self.exam = make_exam_with_telltale_ids()
        self.one_pupil_in_a_session(self.exam)

    def test_no_response_or_frame_tells_which_choice_is_correct(self):
        received = Received()
        pupil = self.open_page()
        pupil.on("response", received.record_response)
        pupil.on("websocket", received.record_websocket)
        teacher = self.open_page()

        self.start_with_the_pupil_waiting(pupil, teacher)

        # Every question once, the first two right and the others wrong, then hand in.
        correct = self.correct_indexes(self.examinee)
        given = [correct[0], correct[1], *((index + 1) % 4 for index in correct[2:])]
        for position, index in enumerate(given):
            self.answer(pupil, position, index)
        pupil.get_by_role("button", name="Hand in my answers").click()
        expect(pupil).to_have_url(RESULT_URL)
        expect(pupil.locator("#verdict")).to_be_visible()

        attempt = self.attempt_of(self.examinee)
        rows = list(attempt.questions.order_by("position"))
        choices = {choice.pk: choice for choice in Choice.objects.filter(question__exam=self.exam)}
        fragments = {
            int(match.group(1)): text
            for url, _kind, text in received.dynamic()
            if (match := re.search(rf"/exam/attempts/{attempt.pk}/questions/(\d+)/$", url))
        }

        # The recording saw what there is to see; otherwise nothing below could fail.
        assert received.unreadable == []
        assert sorted(fragments) == [0, 1, 2, 3, 4]
        assert any(json.loads(frame).get("type") == "state" for frame in received.frames)
        saves = [
            json.loads(text)
            for url, _kind, text in received.dynamic()
            if url.endswith(f"/attempts/{attempt.pk}/answers/")
        ]
        assert [save["position"] for save in saves] == [0, 1, 2, 3, 4]

        # A right and a wrong answer get the same reply, whatever its fields are called.
        replies = [{key: value for key, value in save.items() if key not in ("position", "seq")} for save in saves]
        assert all(reply == replies[0] for reply in replies), replies

        # No choice id anywhere: neither in pages, fragments, JSON, frames nor static files.
        everything = [text for _url, _kind, text in received.bodies] + received.frames
        for choice_id in choices:
            pattern = re.compile(rf"(?<!\d){choice_id}(?!\d)")
            assert not any(pattern.search(text) for text in everything), f"choice id {choice_id} reached the browser"

        # No key that could say "correct" in any JSON document, nor in any tag of a page.
        for url, document in received.json_documents():
            leaky = [key for key in keys_of(document) if LEAKY_KEY.search(key)]
            assert leaky == [], f"{url}: {leaky}"
        for url, _kind, text in received.dynamic():
            assert not LEAKY_MARKUP.search(text), f"{url}: {LEAKY_MARKUP.search(text).group(0)}"

        # In each question, the correct choice is marked up exactly like the others, and the
        # choices' words appear nowhere but in the fragment of their own question.
        for row in rows:
            fragment = fragments[row.position]
            labels = LABEL.findall(fragment)
            assert len(labels) == len(row.choice_order) == 4
            shapes = set()
            for index, (label, choice_id) in enumerate(zip(labels, row.choice_order, strict=True)):
                text = choices[choice_id].text
                assert label.count(text) == 1, label
                shape = label.replace(text, "TEXT").replace(" checked", "")
                shape = shape.replace(f'value="{index}"', 'value="N"').replace(f">{index + 1}<", ">M<")
                shapes.add(shape)
            assert len(shapes) == 1, shapes
            own_texts = {choices[choice_id].text for choice_id in row.choice_order}  # nothing in them to escape
            own_url = f"/exam/attempts/{attempt.pk}/questions/{row.position}/"
            for url, text in received.readable():
                if not url.endswith(own_url):
                    assert not any(own in text for own in own_texts), f"{url} shows choices of question {row.position}"
