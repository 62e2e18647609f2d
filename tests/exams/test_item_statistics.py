"""Item statistics against a class computed by hand, and their edge cases (docs/design.md §3)."""

from __future__ import annotations

import math

import pytest

from exams.item_statistics import (
    DISTRACTOR_BEATS_KEY,
    NEGATIVE_DISCRIMINATION,
    UNUSED_DISTRACTOR,
    Option,
    Response,
    cells_to_hide,
    item_statistics,
    upper_lower_index,
)

LETTERS = "ABCD"  # A is the key of every question


def options_of(*questions: str) -> dict[str, list[Option]]:
    return {
        question: [Option(f"{question}{letter}", letter, letter == "A") for letter in LETTERS] for question in questions
    }


def responses(answers: dict[str, str]) -> list[Response]:
    """One string per question, one letter per pupil (pupil i is the i-th letter); "-" is no answer."""
    rows = []
    for question, letters in answers.items():
        for pupil, letter in enumerate(letters, start=1):
            chosen = None if letter == "-" else f"{question}{letter}"
            rows.append(Response(f"P{pupil}", question, chosen, 1.0 if letter == "A" else 0.0))
    return rows


# Six pupils P1–P6, three questions, key A:
#        P1 P2 P3 P4 P5 P6
#   q1:  A  A  A  B  A  C     right: 1 1 1 0 1 0
#   q2:  B  B  A  B  B  A     right: 0 0 1 0 0 1
#   q3:  A  A  B  C  -  D     right: 1 1 0 0 0 0
#   total 2  2  2  0  1  1
CLASS = {"q1": "AAABAC", "q2": "BBABBA", "q3": "AABC-D"}


@pytest.fixture
def stats():
    return {item.question: item for item in item_statistics(responses(CLASS), options_of("q1", "q2", "q3"))}


def test_the_correct_rate_and_choice_counts_match_the_hand_count(stats):
    q1, q2, q3 = stats["q1"], stats["q2"], stats["q3"]
    assert (q1.n, q1.correct, q1.p) == (6, 4, pytest.approx(4 / 6))
    assert [choice.count for choice in q1.choices] == [4, 1, 1, 0]
    assert [choice.count for choice in q2.choices] == [2, 4, 0, 0]
    assert [choice.count for choice in q3.choices] == [2, 1, 1, 1]
    assert q3.unanswered == 1
    assert q2.choices[1].share == pytest.approx(4 / 6)


def test_the_point_biserial_is_against_the_rest_of_the_test(stats):
    # q1: x = 1 1 1 0 1 0 (mean 2/3); rest = total − x = 1 1 1 0 0 1 (mean 2/3)
    #     Sxy = Σxy − n·x̄·ȳ = 3 − 6·(2/3)·(2/3) = 1/3; Sxx = 4 − 6·4/9 = 4/3; Syy = 4 − 8/3 = 4/3
    #     r = (1/3) / √(4/3 · 4/3) = 1/4
    assert stats["q1"].point_biserial == pytest.approx(0.25)
    # q2: x = 0 0 1 0 0 1 (mean 1/3); rest = 2 2 1 0 1 0 (mean 1)
    #     Sxy = 1 − 6·(1/3)·1 = −1; Sxx = 2 − 6/9 = 4/3; Syy = 10 − 6 = 4
    #     r = −1 / √(16/3) = −√3/4 ≈ −0.433
    assert stats["q2"].point_biserial == pytest.approx(-math.sqrt(3) / 4)
    # q3: x = 1 1 0 0 0 0 (mean 1/3); rest = 1 1 2 0 1 1 (mean 1)
    #     Sxy = 2 − 6·(1/3)·1 = 0 → r = 0
    assert stats["q3"].point_biserial == pytest.approx(0.0)


def test_the_upper_lower_index_keeps_tied_pupils_together(stats):
    # 27 % of 6 = 1.62 → groups of 2. Totals ranked 2 2 2 1 1 0: the second place has 2, and all three with 2
    # are the upper group (P1 P2 P3); the fifth place has 1, so the lower group is everyone with ≤ 1 (P4 P5 P6).
    # q1: upper 3/3, lower 1/3 → 2/3.  q2: upper 1/3, lower 1/3 → 0.  q3: upper 2/3, lower 0/3 → 2/3.
    assert stats["q1"].upper_lower == pytest.approx(2 / 3)
    assert stats["q2"].upper_lower == pytest.approx(0.0)
    assert stats["q3"].upper_lower == pytest.approx(2 / 3)


def test_a_question_the_weaker_pupils_get_right_is_flagged(stats):
    assert [flag.code for flag in stats["q2"].flags] == [NEGATIVE_DISCRIMINATION, DISTRACTOR_BEATS_KEY]
    assert stats["q2"].flags[1].option.text == "B"  # picked 4 times, the key 2
    assert stats["q1"].flags == []
    assert stats["q3"].flags == []


def test_no_unused_distractor_flag_in_a_class_of_six(stats):
    # q1's D and q2's C and D were never picked, but six pupils say little about an option (UNUSED_MIN_RESPONSES)
    assert all(flag.code != UNUSED_DISTRACTOR for item in stats.values() for flag in item.flags)


def test_a_distractor_nobody_picks_is_flagged_from_ten_responses():
    # ten pupils on one question, with a second question so totals vary: D is never picked
    stats = item_statistics(
        responses({"q1": "AAAAABBBCC", "q2": "AAAABAAABB"}),
        options_of("q1", "q2"),
    )
    q1 = stats[0]
    assert [(flag.code, flag.option.text) for flag in q1.flags] == [(UNUSED_DISTRACTOR, "D")]


def test_everyone_right_leaves_discrimination_undefined():
    stats = item_statistics(responses({"q1": "AAAAAA", "q2": "AABBCA"}), options_of("q1", "q2"))
    q1 = stats[0]
    assert (q1.p, q1.point_biserial) == (1.0, None)
    assert q1.upper_lower == pytest.approx(0.0)  # the totals still split the class; both groups got it right


def test_everyone_wrong_and_one_question_leave_both_indices_undefined():
    (q1,) = item_statistics(responses({"q1": "BBCCD-"}), options_of("q1"))
    # every total is 0: no rest score to correlate with and no upper or lower group
    assert (q1.p, q1.point_biserial, q1.upper_lower) == (0.0, None, None)
    # the key was picked by nobody: each wrong option picked at all was picked more often than it
    assert [(flag.code, flag.option.text) for flag in q1.flags] == [(DISTRACTOR_BEATS_KEY, text) for text in "BCD"]


def test_a_single_response_has_a_rate_but_no_discrimination_and_no_flags():
    (q1,) = item_statistics(responses({"q1": "B"}), options_of("q1"))
    assert (q1.n, q1.p, q1.point_biserial, q1.upper_lower, q1.flags) == (1, 0.0, None, None, [])


def test_questions_nobody_drew_are_left_out_and_order_is_the_authors():
    stats = item_statistics(responses({"q2": "AB", "q1": "BA"}), options_of("q1", "q2", "q3"))
    assert [item.question for item in stats] == ["q1", "q2"]


def test_the_groups_are_27_percent_when_there_are_no_ties():
    # 11 pupils with totals 10…0: round(2.97) = 3 in each group; the top three right, the bottom three wrong
    pairs = [(total, 1.0 if total >= 8 else 0.0) for total in range(10, -1, -1)]
    assert upper_lower_index(pairs) == pytest.approx(1.0)
    # a fourth pupil tied with the third joins the upper group: 3 of 4 right
    assert upper_lower_index([*pairs, (8, 0.0)]) == pytest.approx(3 / 4)


@pytest.mark.parametrize(
    ("counts", "small", "besides"),
    [
        ([7, 1, 1, 0, 0], {1, 2}, set()),  # two hidden: only their sum (2) can be worked out
        ([5, 4, 0, 0, 0], {1}, {0}),  # 4 alone would be the total minus 5: the 5 is hidden besides
        ([9, 6, 3], {2}, {1}),  # the smallest other count goes
        ([6, 0, 0, 0], set(), set()),  # zeros stay
        ([5, 5], set(), set()),
    ],
)
def test_cells_to_hide_leave_no_small_count_to_subtract(counts, small, besides):
    assert cells_to_hide(counts, 5) == (small, besides)
