"""Each question kind scored by exams/scoring.py (docs/design.md §3)."""

from fractions import Fraction

import pytest

from exams.scoring import normalize_answer, score_multiple, score_ordering, score_short, score_single


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ＡＢＣ１２３", "abc123"),  # full-width letters and digits
        ("ｶﾀｶﾅ", "かたかな"),  # half-width katakana
        ("カタカナ", "かたかな"),  # katakana folded to hiragana
        ("ヴァイオリン", "ゔぁいおりん"),
        ("  東京　 タワー  ", "東京 たわー"),  # ideographic and repeated spaces collapse, ends trimmed
        ("Tokyo", "tokyo"),
        ("㍻", "平成"),  # NFKC compatibility characters
        ("ｶﾞｯｺｳ", "がっこう"),  # half-width voiced mark joins its letter
        ("", ""),
    ],
)
def test_normalize_answer_folding_table(given, expected):
    assert normalize_answer(given) == expected


def test_single_choice():
    assert score_single(correct_ids=[3], chosen_id=3) == 1
    assert score_single(correct_ids=[3], chosen_id=4) == 0
    assert score_single(correct_ids=[3], chosen_id=None) == 0


def test_multiple_choice_all_or_nothing():
    assert score_multiple(correct_ids=[1, 2], chosen_ids=[2, 1], partial=False) == 1
    assert score_multiple(correct_ids=[1, 2], chosen_ids=[1], partial=False) == 0
    assert score_multiple(correct_ids=[1, 2], chosen_ids=[1, 2, 3], partial=False) == 0


def test_multiple_choice_partial_credit():
    correct = [1, 2, 3]
    assert score_multiple(correct_ids=correct, chosen_ids=[1, 2, 3], partial=True) == 1
    assert score_multiple(correct_ids=correct, chosen_ids=[1, 2], partial=True) == Fraction(2, 3)
    assert score_multiple(correct_ids=correct, chosen_ids=[1, 2, 9], partial=True) == Fraction(1, 3)
    assert score_multiple(correct_ids=correct, chosen_ids=[1, 8, 9], partial=True) == 0  # floored at 0
    assert score_multiple(correct_ids=correct, chosen_ids=[], partial=True) == 0


def test_short_answer_accepts_folded_forms_only():
    accepted = ["とうきょう", "東京"]
    assert score_short(accepted=accepted, text=" トウキョウ ") == 1
    assert score_short(accepted=accepted, text="ﾄｳｷｮｳ") == 1
    assert score_short(accepted=accepted, text="東京") == 1
    assert score_short(accepted=accepted, text="京都") == 0
    assert score_short(accepted=accepted, text="   ") == 0
    assert score_short(accepted=accepted, text=None) == 0


def test_ordering_is_all_or_nothing():
    assert score_ordering(right_order=[5, 6, 7], given_order=[5, 6, 7]) == 1
    assert score_ordering(right_order=[5, 6, 7], given_order=[5, 7, 6]) == 0
    assert score_ordering(right_order=[5, 6, 7], given_order=None) == 0
