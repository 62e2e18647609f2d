"""Scoring one answer of each question kind (docs/design.md §3).

Pure functions of the key and the answer, so regrading and item analysis can
call them too. Every function returns the points earned as a Fraction from 0
to 1 (one point per question).

- single choice: 1 if the chosen choice is the correct one.
- multiple choice, all or nothing: 1 if the chosen set is exactly the correct set.
- multiple choice, partial credit: (correct chosen − wrong chosen) / correct, never below 0.
- short answer: 1 if `normalize_answer` of the text equals that of an accepted answer.
- ordering: 1 if every item is in its place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

ZERO, ONE = Fraction(0), Fraction(1)

_SPACES = re.compile(r"\s+")
_KATAKANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}  # ァ..ヶ -> ぁ..ゖ


SCORE_STEP = Decimal("0.01")  # Attempt.score keeps two decimals


def attempt_score(points: Iterable[Fraction]) -> Decimal:
    """An attempt's score: the sum of its questions' points, kept to two decimals and rounded down, so
    a score never shows more than was earned (two thirds of a point count 0.66).
    """
    total = sum(points, ZERO)
    return (Decimal(total.numerator) / Decimal(total.denominator)).quantize(SCORE_STEP, rounding=ROUND_DOWN)


def points_text(value) -> str:
    """A score as people write it: 7, 7.5, 7.25 (no trailing zeros); "" for None."""
    if value is None:
        return ""
    text = format(Decimal(value).quantize(SCORE_STEP, rounding=ROUND_DOWN), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def normalize_answer(text: str) -> str:
    """The form short answers are compared in: NFKC (full-width letters and digits become half-width,
    half-width katakana full-width), lower case, katakana folded to hiragana, white space trimmed and
    collapsed to one space.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_KATAKANA).casefold()
    return _SPACES.sub(" ", text).strip()


def chosen_choice(choice_order: Sequence[int], answer: int | None) -> int | None:
    """The choice id a single-choice answer picked: `answer` is an index into the examinee's choice order."""
    return choice_order[answer] if answer is not None and answer < len(choice_order) else None


def picked_choices(choice_order: Sequence[int], response) -> list[int] | None:
    """The choice ids a multiple-choice or ordering answer gave: `response` is a list of indexes into the
    examinee's choice order. None when the response is not such a list (not answered, or not this kind).
    """
    if not isinstance(response, list) or not all(type(i) is int and 0 <= i < len(choice_order) for i in response):
        return None
    return [choice_order[index] for index in response]


def score_single(*, correct_ids: Iterable[int], chosen_id: int | None) -> Fraction:
    return ONE if chosen_id is not None and chosen_id in set(correct_ids) else ZERO


def score_multiple(*, correct_ids: Iterable[int], chosen_ids: Iterable[int], partial: bool) -> Fraction:
    correct, chosen = set(correct_ids), set(chosen_ids)
    if not correct:
        return ZERO
    if not partial:
        return ONE if chosen == correct else ZERO
    earned = len(chosen & correct) - len(chosen - correct)
    return max(Fraction(earned, len(correct)), ZERO)


def score_short(*, accepted: Iterable[str], text: str | None) -> Fraction:
    if text is None or not normalize_answer(text):
        return ZERO
    given = normalize_answer(text)
    return ONE if any(normalize_answer(answer) == given for answer in accepted) else ZERO


def score_ordering(*, right_order: Sequence[int], given_order: Sequence[int] | None) -> Fraction:
    return ONE if given_order is not None and list(given_order) == list(right_order) else ZERO
