"""Item statistics: how each question behaved over a set of results (docs/design.md §3).

Pure arithmetic on plain rows, no database and no Django: the class results page and the
operator's page across schools feed it the same `Response` rows, and a new question type
plugs in by saying, per response, which option was chosen (or None) and the item score
between 0 and 1 it earned.

The numbers (each over the results that drew the question: every pupil has their own draw):

- `p`: the correct rate, the mean item score.
- `point_biserial`: the corrected item-total correlation, Pearson's r between the item score
  and the pupil's score on the REST of their questions (their total minus this item), so
  the item does not correlate with itself. Undefined (None, shown as —) with fewer than two
  responses, or when the item score or the rest score does not vary (everyone right, everyone
  wrong, everyone the same rest score).
- `upper_lower`: the share right in the top 27 % by total score minus the share right in
  the bottom 27 %. A group is round(27 % of n) pupils, at least one. Ties: everyone whose
  total equals the group's last place is in the group too (a group may grow past 27 %, so
  two pupils with the same total are never split by chance); when ties make the two groups
  overlap, the index is undefined (None).
- `choices`: how often each option was picked, in the question's own order, and `unanswered`.
- `flags`, only with at least `FLAG_MIN_RESPONSES` responses: negative discrimination
  (r < 0), a wrong option picked more often than the (most picked) key; and, with at least
  `UNUSED_MIN_RESPONSES`, a wrong option nobody picked (with few pupils nobody picking an
  option says little).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

UPPER_LOWER_SHARE = 0.27
FLAG_MIN_RESPONSES = 5
UNUSED_MIN_RESPONSES = 10

NEGATIVE_DISCRIMINATION = "negative_discrimination"
UNUSED_DISTRACTOR = "unused_distractor"
DISTRACTOR_BEATS_KEY = "distractor_beats_key"


@dataclass(frozen=True)
class Option:
    """One option of a question, as the author wrote it: an id, its text, whether it is (a) key."""

    id: Hashable
    text: str
    is_key: bool


@dataclass(frozen=True)
class Response:
    """One pupil's answer to one question: which option (None: no answer) and the item score (0–1)."""

    attempt: Hashable
    question: Hashable
    chosen: Hashable | None
    score: float


@dataclass(frozen=True)
class OptionCount:
    option: Option
    count: int
    share: float  # of the responses to the question, 0–1


@dataclass(frozen=True)
class Flag:
    code: str
    option: Option | None = None  # the distractor a flag is about


@dataclass(frozen=True)
class ItemStatistics:
    question: Hashable
    n: int
    correct: float  # the sum of item scores: the number right for 0/1 items
    p: float | None
    point_biserial: float | None
    upper_lower: float | None
    choices: list[OptionCount]
    unanswered: int
    flags: list[Flag] = field(default_factory=list)


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r of two equally long lists; None when there are fewer than two or either does not vary."""
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def upper_lower_index(pairs: list[tuple[float, float]]) -> float | None:
    """(total, item score) pairs → share right in the top 27 % minus in the bottom 27 % (ties as the module says)."""
    n = len(pairs)
    if n < 2:
        return None
    size = max(1, round(UPPER_LOWER_SHARE * n))
    ranked = sorted(pairs, key=lambda pair: pair[0], reverse=True)
    top_cut, bottom_cut = ranked[size - 1][0], ranked[n - size][0]
    if top_cut <= bottom_cut:  # the groups would share pupils: no honest split
        return None
    upper = [score for total, score in ranked if total >= top_cut]
    lower = [score for total, score in ranked if total <= bottom_cut]
    return sum(upper) / len(upper) - sum(lower) / len(lower)


def item_statistics(responses: Iterable[Response], options: dict[Hashable, list[Option]]) -> list[ItemStatistics]:
    """Statistics of every question in `options` (in its order) that has at least one response.

    A pupil's total is the sum of their item scores over the responses given here.
    """
    responses = list(responses)
    totals: dict[Hashable, float] = {}
    by_question: dict[Hashable, list[Response]] = {}
    for response in responses:
        totals[response.attempt] = totals.get(response.attempt, 0.0) + response.score
        by_question.setdefault(response.question, []).append(response)
    return [
        _one(question, by_question[question], question_options, totals)
        for question, question_options in options.items()
        if question in by_question
    ]


def _one(question, responses: list[Response], options: list[Option], totals) -> ItemStatistics:
    n = len(responses)
    scores = [response.score for response in responses]
    rest = [totals[response.attempt] - response.score for response in responses]
    picked: dict[Hashable, int] = {}
    for response in responses:
        picked[response.chosen] = picked.get(response.chosen, 0) + 1
    choices = [
        OptionCount(option=option, count=picked.get(option.id, 0), share=picked.get(option.id, 0) / n)
        for option in options
    ]
    statistics = ItemStatistics(
        question=question,
        n=n,
        correct=sum(scores),
        p=sum(scores) / n,
        point_biserial=pearson(scores, rest),
        upper_lower=upper_lower_index([(totals[r.attempt], r.score) for r in responses]),
        choices=choices,
        unanswered=picked.get(None, 0),
    )
    statistics.flags.extend(flags_of(statistics))
    return statistics


def flags_of(statistics: ItemStatistics) -> list[Flag]:
    """What a reviewer should look at in a question (the rules in the module docstring)."""
    if statistics.n < FLAG_MIN_RESPONSES:
        return []
    flags = []
    if statistics.point_biserial is not None and statistics.point_biserial < 0:
        flags.append(Flag(NEGATIVE_DISCRIMINATION))
    keys = [choice.count for choice in statistics.choices if choice.option.is_key]
    key_count = max(keys, default=0)
    wrong = [choice for choice in statistics.choices if not choice.option.is_key]
    flags.extend(Flag(DISTRACTOR_BEATS_KEY, choice.option) for choice in wrong if choice.count > key_count)
    if statistics.n >= UNUSED_MIN_RESPONSES:
        flags.extend(Flag(UNUSED_DISTRACTOR, choice.option) for choice in wrong if choice.count == 0)
    return flags


def cells_to_hide(counts: list[int], below: int) -> tuple[set[int], set[int]]:
    """Which counts of a set that adds up to a shown total to hide, by index: (under `below`, hidden besides).

    Every count from 1 to below − 1 is hidden (a zero describes no pupil and stays). When that hides a single
    count, it could be worked out as the total minus the others, so the smallest other non-zero count is hidden
    besides.
    """
    small = {index for index, count in enumerate(counts) if 0 < count < below}
    besides = set()
    if len(small) == 1:
        others = [(count, index) for index, count in enumerate(counts) if count and index not in small]
        if others:
            besides.add(min(others)[1])
    return small, besides
