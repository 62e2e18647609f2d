"""Item statistics of every question kind against a class of six computed by hand (docs/design.md §3)."""

from __future__ import annotations

import math

import pytest

from exams.item_statistics import (
    MULTIPLE,
    ORDERING,
    OTHER,
    OTHER_ORDER,
    RIGHT_ORDER,
    SHORT,
    SINGLE,
    TOP_ANSWERS,
    UNUSED_DISTRACTOR,
    WRONG_ANSWER_BEATS_KEY,
    WRONG_TICKED_OVER_KEY,
    Option,
    Response,
    item_statistics,
)

# Six pupils P1–P6, one question of each kind:
#   s single (key A):            A    A    B    A    C    -        scores 1 1 0 1 0 0
#   m multiple, partial credit   K1K2 K1   K1W1 W1   -    K1K2W1   scores 1 .5 0 0 0 .5
#     (keys K1 K2; (right − wrong) / 2, never below 0)
#   t short (accepted とうきょう): とうきょう ×2, きょうと ×3, -       scores 1 1 0 0 0 0
#   o ordering:                  right other right - other right   scores 1 0 1 0 0 1
#   totals: P1 4, P2 2.5, P3 1, P4 1, P5 0, P6 1.5
S = ["A", "A", "B", "A", "C", None]
M = [{"K1", "K2"}, {"K1"}, {"K1", "W1"}, {"W1"}, None, {"K1", "K2", "W1"}]
M_SCORES = [1, 0.5, 0, 0, 0, 0.5]
T = ["とうきょう", "とうきょう", "きょうと", "きょうと", "きょうと", None]
ORDERS = [RIGHT_ORDER, OTHER_ORDER, RIGHT_ORDER, None, OTHER_ORDER, RIGHT_ORDER]

OPTIONS = {
    "s": [Option(letter, letter, letter == "A") for letter in "ABCD"],
    "m": [Option(name, name, name.startswith("K")) for name in ("K1", "K2", "W1", "W2")],
    "t": [Option("とうきょう", "東京(とうきょう)", True)],
    "o": [Option(RIGHT_ORDER, "", True), Option(OTHER_ORDER, "", False)],
}
KINDS = {"s": SINGLE, "m": MULTIPLE, "t": SHORT, "o": ORDERING}


def class_of_six() -> list[Response]:
    rows = []
    for pupil in range(6):
        attempt = f"P{pupil + 1}"
        rows.append(Response(attempt, "s", S[pupil], 1.0 if S[pupil] == "A" else 0.0))
        rows.append(Response(attempt, "m", None if M[pupil] is None else frozenset(M[pupil]), M_SCORES[pupil]))
        rows.append(Response(attempt, "t", T[pupil], 1.0 if T[pupil] == "とうきょう" else 0.0))
        rows.append(Response(attempt, "o", ORDERS[pupil], 1.0 if ORDERS[pupil] == RIGHT_ORDER else 0.0))
    return rows


@pytest.fixture
def stats():
    return {item.question: item for item in item_statistics(class_of_six(), OPTIONS, KINDS)}


def test_single_choice_counts_each_choice_and_no_answer(stats):
    s = stats["s"]
    assert (s.kind, s.n, s.correct, s.unanswered) == (SINGLE, 6, 3, 1)
    assert [choice.count for choice in s.choices] == [3, 1, 1, 0]
    # x = 1 1 0 1 0 0, rest = 3 1.5 1 0 0 1.5: Sxy = 1, Sxx = 1.5, Syy = 19/3 → r = 1 / √9.5
    assert s.point_biserial == pytest.approx(1 / math.sqrt(9.5))
    assert s.flags == []  # no distractor beats the key; "nobody picked D" needs 10 answers


def test_multiple_choice_counts_ticks_as_a_share_of_respondents_and_partial_credit(stats):
    m = stats["m"]
    assert (m.kind, m.n, m.unanswered) == (MULTIPLE, 6, 1)
    assert m.correct == pytest.approx(2.0)  # 1 + .5 + .5
    assert m.p == pytest.approx(1 / 3)
    assert [choice.count for choice in m.choices] == [4, 2, 3, 0]  # K1, K2, W1, W2 ticked
    assert [round(choice.share, 3) for choice in m.choices] == [0.667, 0.333, 0.5, 0.0]
    # x = 1 .5 0 0 0 .5, rest = 3 2 1 1 0 1: Sxy = 11/6, Sxx = 5/6, Syy = 16/3 → r = 11 / (4√10)
    assert m.point_biserial == pytest.approx(11 / (4 * math.sqrt(10)))
    # groups of 2: top P1 (4), P2 (2.5): .75; bottom up to 1, ties in: P3, P4, P5: 0
    assert m.upper_lower == pytest.approx(0.75)
    # W1 (3) was ticked more often than the key K2 (2); "a distractor beats the key" is single choice's
    assert [(flag.code, flag.option.id) for flag in m.flags] == [(WRONG_TICKED_OVER_KEY, "W1")]


def test_short_answer_counts_the_answers_given_and_marks_the_accepted_ones(stats):
    t = stats["t"]
    assert (t.kind, t.n, t.correct, t.unanswered) == (SHORT, 6, 2, 1)
    # most given first; the accepted one in its author's wording
    assert [(c.option.text, c.option.is_key, c.count) for c in t.choices] == [
        ("きょうと", False, 3),
        ("東京(とうきょう)", True, 2),
    ]
    assert [(flag.code, flag.option.id) for flag in t.flags] == [(WRONG_ANSWER_BEATS_KEY, "きょうと")]


def test_ordering_counts_the_right_order_another_order_and_no_answer(stats):
    o = stats["o"]
    assert (o.kind, o.n, o.correct, o.unanswered) == (ORDERING, 6, 3, 1)
    assert [(choice.option.id, choice.count) for choice in o.choices] == [(RIGHT_ORDER, 3), (OTHER_ORDER, 2)]
    # x = 1 0 1 0 0 1, rest = 3 2.5 0 1 0 .5: Sxy = ½ (11 − 8 − 7 + 1 + 7 − 4) / 6 = 0
    assert o.point_biserial == pytest.approx(0.0)
    assert o.flags == []  # "another order beats the right one" would only say the question is hard


def test_totals_sum_every_kind():
    """The upper−lower groups of s come from totals over all four kinds (P1 4, P2 2.5 on top)."""
    s = {item.question: item for item in item_statistics(class_of_six(), OPTIONS, KINDS)}["s"]
    # top P1, P2: both right (1); bottom P3, P4 (1) and P5 (0): 0, 1, 0 → 1/3
    assert s.upper_lower == pytest.approx(1 - 1 / 3)


def short_responses(answers: list[str]) -> list[Response]:
    return [Response(f"P{i}", "t", text, 1.0 if text == "a" else 0.0) for i, text in enumerate(answers)]


def test_short_answers_past_the_top_five_are_grouped_as_other():
    answers = ["a"] * 4 + ["b"] * 3 + ["c"] * 2 + ["d", "e", "f", "g"]
    (t,) = item_statistics(short_responses(answers), {"t": [Option("a", "a", True)]}, {"t": SHORT})
    assert TOP_ANSWERS == 5
    # ties in text order: d, e shown; f, g together as other
    assert [(choice.option.id, choice.count) for choice in t.choices] == [
        ("a", 4),
        ("b", 3),
        ("c", 2),
        ("d", 1),
        ("e", 1),
        (OTHER, 2),
    ]
    assert t.flags == []  # b (3) was not typed more often than the right answer (4)


def test_short_answers_given_by_few_are_never_shown_alone_when_asked():
    answers = ["a"] * 5 + ["b"] * 5 + ["secret name"]
    (t,) = item_statistics(short_responses(answers), {"t": [Option("a", "a", True)]}, {"t": SHORT}, least_shown=5)
    assert [(choice.option.id, choice.count) for choice in t.choices] == [("a", 5), ("b", 5), (OTHER, 1)]


def test_an_unticked_wrong_choice_is_flagged_from_ten_answers_for_multiple_choice():
    rows = [Response(f"P{i}", "m", frozenset({"K1"}), 1.0) for i in range(10)]
    options = {"m": [Option("K1", "K1", True), Option("W1", "W1", False)]}
    (m,) = item_statistics(rows, options, {"m": MULTIPLE})
    assert [(flag.code, flag.option.id) for flag in m.flags] == [(UNUSED_DISTRACTOR, "W1")]
    (o,) = item_statistics(
        [Response(f"P{i}", "o", RIGHT_ORDER, 1.0) for i in range(10)],
        {"o": [Option(RIGHT_ORDER, "", True), Option(OTHER_ORDER, "", False)]},
        {"o": ORDERING},
    )
    assert o.flags == []  # nobody giving another order is no unused distractor
