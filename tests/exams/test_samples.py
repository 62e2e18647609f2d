"""The two sample tests in exams/samples (docs/exam-format.md): what they hold, how they score, and
that export → import gives back the same document; a format 1 question's own passage survives export.
"""

from __future__ import annotations

import json
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

import exams
from exams import scoring
from exams.catalog import export_exam_document, load_exam_document, parse_exam_document
from exams.models import Question
from exams.services import draw_questions

pytestmark = pytest.mark.django_db

SAMPLES = Path(exams.__file__).parent / "samples"
FORMAT1 = Path(__file__).parent / "data" / "reading-format1.json"


def sample(code: str) -> dict:
    return json.loads((SAMPLES / f"{code}.json").read_text(encoding="utf-8"))


def imported(code: str):
    return load_exam_document(sample(code)).published_version()


def question(version, key: str) -> Question:
    return version.questions.prefetch_related("choices").get(key=key)


# --- What each sample holds ---------------------------------------------------------


def test_both_samples_are_format_2():
    assert {path.name: json.loads(path.read_text("utf-8"))["format"] for path in SAMPLES.glob("*.json")} == {
        "mixed-quiz.json": "kantoku-exam/2",
        "reading-spring.json": "kantoku-exam/2",
    }


def test_the_reading_test_is_three_passages_with_two_to_four_questions_each():
    version = imported("reading-spring")
    passages = list(version.passages.all())
    assert [passage.key for passage in passages] == ["tsukushi", "tsubame", "annai"]  # story, explanation, notice
    assert all(passage.title and passage.text for passage in passages)
    assert all(2 <= passage.questions.count() <= 4 for passage in passages)
    assert not version.questions.filter(group=None).exists()
    kinds = Counter(version.questions.values_list("kind", flat=True))
    assert kinds["multiple"] >= 1
    assert kinds["short"] >= 1
    assert kinds["single"] > sum(kinds.values()) / 2  # mostly single choice
    assert set(kinds) <= {"single", "multiple", "short"}


def test_every_draw_of_the_reading_test_is_whole_passages_and_full():
    version = imported("reading-spring")
    questions = list(version.questions.all())
    sizes = {passage.questions.count() for passage in version.passages.all()}
    # Passages of one size that the draw count is a multiple of: no draw can fall short (docs/design.md §3).
    assert len(sizes) == 1
    assert version.questions_per_attempt % sizes.pop() == 0
    for _ in range(30):
        drawn = draw_questions(questions, version.questions_per_attempt)
        assert len(drawn) == version.questions_per_attempt
        groups = Counter(question.group_id for question in drawn)
        assert all(count == version.questions.filter(group_id=group).count() for group, count in groups.items())


def test_the_mixed_quiz_has_every_kind_standalone_questions_and_one_short_passage():
    version = imported("mixed-quiz")
    questions = list(version.questions.prefetch_related("choices"))
    kinds = Counter(question.kind for question in questions)
    assert set(kinds) == {"single", "multiple", "short", "ordering"}
    multiple = [question for question in questions if question.kind == "multiple"]
    assert {question.credit for question in multiple} == {"all", "partial"}
    for question in multiple:  # the prompt says how it is scored
        assert ("だけ正解" if question.credit == "all" else "点が引かれ") in question.prompt
    ordering = [question for question in questions if question.kind == "ordering"]
    assert all(3 <= question.choices.count() <= 6 for question in ordering)
    short = [question for question in questions if question.kind == "short"]
    assert all(len(question.accepted_answers) >= 2 for question in short)
    assert len([question for question in questions if question.group_id is None]) >= 3
    [passage] = version.passages.all()
    assert passage.questions.count() >= 2
    assert len(passage.text) < 600
    # Every attempt draws the whole quiz, so every kind is in every attempt.
    assert version.questions_per_attempt == len(questions)
    assert len(draw_questions(questions, version.questions_per_attempt)) == len(questions)


# --- Scoring (exams/scoring.py) ------------------------------------------------------

RIGHT, WRONG = scoring.ONE, scoring.ZERO
SHORT_ANSWERS = [
    ("reading-spring", "tsukushi-dish", "たまごとじ", RIGHT),
    ("reading-spring", "tsukushi-dish", "タマゴトジ", RIGHT),  # katakana folds to hiragana
    ("reading-spring", "tsukushi-dish", "ﾀﾏｺﾞﾄｼﾞ", RIGHT),  # half-width katakana
    ("reading-spring", "tsukushi-dish", "  たまごとじ　", RIGHT),  # spaces, full-width too, trimmed
    ("reading-spring", "tsukushi-dish", "卵とじ", RIGHT),
    ("reading-spring", "tsukushi-dish", "玉子とじ", RIGHT),
    ("reading-spring", "tsukushi-dish", "たまご", WRONG),
    ("reading-spring", "annai-limit", "10", RIGHT),
    ("reading-spring", "annai-limit", "１０", RIGHT),  # full-width digits
    ("reading-spring", "annai-limit", "10さつ", RIGHT),
    ("reading-spring", "annai-limit", "１０サツ", RIGHT),
    ("reading-spring", "annai-limit", "10冊", RIGHT),
    ("reading-spring", "annai-limit", "十", WRONG),  # kanji and digits are not converted
    ("reading-spring", "annai-limit", "2", WRONG),
    ("mixed-quiz", "fuji", "富士山", RIGHT),
    ("mixed-quiz", "fuji", "ふじさん", RIGHT),
    ("mixed-quiz", "fuji", "フジサン", RIGHT),
    ("mixed-quiz", "fuji", "ﾌｼﾞｻﾝ", RIGHT),
    ("mixed-quiz", "fuji", "富士", WRONG),
    ("mixed-quiz", "fuji", "ふじ さん", WRONG),  # a space inside stays
    ("mixed-quiz", "thank-you", "thank you", RIGHT),
    ("mixed-quiz", "thank-you", "Thank you", RIGHT),  # upper and lower case alike
    ("mixed-quiz", "thank-you", "THANK  YOU", RIGHT),  # a run of spaces is one
    ("mixed-quiz", "thank-you", "ｔｈａｎｋ　ｙｏｕ", RIGHT),  # full-width letters and space
    ("mixed-quiz", "thank-you", "thanks", RIGHT),
    ("mixed-quiz", "thank-you", "Thanks", RIGHT),
    ("mixed-quiz", "thank-you", "thankyou", WRONG),
    ("mixed-quiz", "uchimizu-word", "蒸発", RIGHT),
    ("mixed-quiz", "uchimizu-word", "じょうはつ", RIGHT),
    ("mixed-quiz", "uchimizu-word", "ジョウハツ", RIGHT),
    ("mixed-quiz", "uchimizu-word", "水蒸気", WRONG),
]


@pytest.mark.parametrize(("code", "key", "typed", "points"), SHORT_ANSWERS, ids=lambda value: str(value))
def test_short_answer_variants_score_through_the_scoring_module(code, key, typed, points):
    accepted = question(imported(code), key).accepted_answers
    assert scoring.score_short(accepted=accepted, text=typed) == points


def test_every_short_answer_and_every_accepted_answer_of_the_samples_is_in_the_table():
    covered = {(code, key, typed) for code, key, typed, points in SHORT_ANSWERS if points == RIGHT}
    for code in ("reading-spring", "mixed-quiz"):
        for given in sample(code)["questions"]:
            if given["type"] == "short":
                assert all((code, given["key"], answer) in covered for answer in given["accepted"]), given["key"]
                # and at least one variant the folding makes equal, besides the accepted answers themselves
                variants = {typed for c, k, typed in covered if (c, k) == (code, given["key"])}
                assert variants - set(given["accepted"]), given["key"]


def test_the_multiple_choice_questions_score_as_their_prompts_say():
    version = imported("mixed-quiz")
    mammals, nanakusa = question(version, "mammals"), question(version, "nanakusa")

    def ids(question, *texts):
        return [choice.id for choice in question.choices.all() if choice.text in texts]

    correct = ids(mammals, "クジラ", "コウモリ", "イルカ")
    two_of_three = ids(mammals, "クジラ", "イルカ")
    assert scoring.score_multiple(correct_ids=correct, chosen_ids=correct, partial=False) == RIGHT
    assert scoring.score_multiple(correct_ids=correct, chosen_ids=two_of_three, partial=False) == WRONG
    correct = ids(nanakusa, "せり", "なずな", "すずしろ")
    two_and_a_wrong = ids(nanakusa, "せり", "なずな", "ひまわり")
    assert scoring.score_multiple(correct_ids=correct, chosen_ids=two_and_a_wrong, partial=True) == Fraction(1, 3)


def test_the_ordering_question_is_right_only_in_the_order_of_the_file():
    growth = question(imported("mixed-quiz"), "morning-glory")
    items = list(growth.choices.all())
    assert [item.text for item in items] == sample("mixed-quiz")["questions"][6]["items"]
    right = [item.id for item in items]
    assert scoring.score_ordering(right_order=right, given_order=right) == RIGHT
    assert scoring.score_ordering(right_order=right, given_order=right[1:] + right[:1]) == WRONG


# --- Export → import ----------------------------------------------------------------


@pytest.mark.parametrize("code", ["reading-spring", "mixed-quiz"])
def test_a_sample_exports_as_exactly_its_file_and_imports_back(code):
    exported = export_exam_document(imported(code))
    assert exported == sample(code)

    again = load_exam_document(json.loads(json.dumps(exported, ensure_ascii=False)))  # replaces the unused exam
    assert export_exam_document(again.published_version()) == sample(code)


def test_a_format_1_question_keeps_its_passage_through_export_and_import():
    original = json.loads(FORMAT1.read_text(encoding="utf-8"))
    version = load_exam_document(original).published_version()

    exported = export_exam_document(version)

    passages = {passage["key"]: passage["text"] for passage in exported["passages"]}
    for given, written in zip(original["questions"], exported["questions"], strict=True):
        if given.get("passage"):
            assert passages[written["passage"]] == given["passage"]
        else:
            assert "passage" not in written
    # One passage per question: as in format 1, each question is still drawn on its own.
    used = Counter(written.get("passage") for written in exported["questions"])
    assert all(count == 1 for key, count in used.items() if key)
    parse_exam_document(exported)  # a valid format 2 document

    again = load_exam_document(exported).published_version()
    for given in original["questions"]:
        shown = question(again, given["key"])
        assert (shown.group.text if shown.group else shown.passage) == given.get("passage", "")
    assert export_exam_document(again) == exported


def test_an_own_passage_key_never_repeats_a_passage_key_and_stays_a_slug():
    long_key = "k" * 40
    document = {
        "format": "kantoku-exam/2",
        "code": "keys",
        "title": "鍵",
        "time_limit_minutes": 5,
        "questions_per_attempt": 1,
        "pass_mark_percent": 50,
        "passages": [{"key": "q-text", "text": "本文です。"}],
        "questions": [
            {"key": key, "prompt": "?", "choices": [{"text": "a", "correct": True}, {"text": "b"}]}
            for key in ("q", long_key, "grouped")
        ],
    }
    document["questions"][2]["passage"] = "q-text"
    version = load_exam_document(document).published_version()
    version.questions.filter(key__in=["q", long_key]).update(passage="昔のファイルの本文。")

    exported = export_exam_document(version)

    keys = [passage["key"] for passage in exported["passages"]]
    assert keys == ["q-text", "q-text2", "k" * 35 + "-text"]
    assert [written.get("passage") for written in exported["questions"]] == ["q-text2", "k" * 35 + "-text", "q-text"]
    parse_exam_document(exported)
