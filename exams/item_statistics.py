"""Item statistics: how each question behaved over a set of results (docs/design.md §3).

Pure arithmetic on plain rows, no database and no Django: the class results page, the school's
page across classes and the operator's page across schools feed it the same `Response` rows:
per response what was given (None: no answer) and the item score between 0 and 1 it earned
(exams/scoring.py, partial credit included). What "given" is depends on the question's kind:

- single choice: the chosen option's id;
- multiple choice: a frozenset of the ticked options' ids (empty: answered, nothing ticked);
- short answer: the normalized text (`exams.scoring.normalize_answer`); the options passed are the
  accepted answers (id: their normalized form), and the options counted are the `TOP_ANSWERS` most
  frequent answers given (accepted ones marked), the rest grouped as `OTHER`;
- ordering: `RIGHT_ORDER` or `OTHER_ORDER` (the options passed are those two).

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
- `choices`: how often each option was picked (multiple choice: ticked; a share of the respondents,
  so they may add up past 100 %), in the question's own order, and `unanswered`.
- `flags`, only with at least `FLAG_MIN_RESPONSES` responses, and only those that mean something for
  the kind: negative discrimination (r < 0, every kind); single choice: a wrong option picked more
  often than the (most picked) key; multiple choice: a wrong option ticked more often than a key (the
  least ticked one); short answer: a wrong answer typed more often than right answers were (an
  accepted answer may be missing); and for both choice kinds, with at least `UNUSED_MIN_RESPONSES`,
  a wrong option nobody picked (with few pupils nobody picking an option says little).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

UPPER_LOWER_SHARE = 0.27
FLAG_MIN_RESPONSES = 5
UNUSED_MIN_RESPONSES = 10
TOP_ANSWERS = 5  # short answer: the most frequent answers shown one by one; the rest are "other"

SINGLE, MULTIPLE, SHORT, ORDERING = "single", "multiple", "short", "ordering"  # as exams.models.Question.Kind
RIGHT_ORDER, OTHER_ORDER = "right", "other"  # what an ordering response gave
OTHER = ("other",)  # the short answers given less often than the top ones, together (no text is a tuple)

NEGATIVE_DISCRIMINATION = "negative_discrimination"
UNUSED_DISTRACTOR = "unused_distractor"
DISTRACTOR_BEATS_KEY = "distractor_beats_key"
WRONG_TICKED_OVER_KEY = "wrong_ticked_over_key"
WRONG_ANSWER_BEATS_KEY = "wrong_answer_beats_key"


@dataclass(frozen=True)
class Option:
    """One option of a question, as the author wrote it: an id, its text, whether it is (a) key."""

    id: Hashable
    text: str
    is_key: bool


@dataclass(frozen=True)
class Response:
    """One pupil's answer to one question: what was given (per kind, see the module; None: no answer) and
    the item score (0–1).
    """

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
    kind: str
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


def item_statistics(
    responses: Iterable[Response],
    options: dict[Hashable, list[Option]],
    kinds: dict[Hashable, str] | None = None,
    *,
    least_shown: int = 1,
) -> list[ItemStatistics]:
    """Statistics of every question in `options` (in its order) that has at least one response.

    `kinds` gives each question's kind (single choice when absent). A pupil's total is the sum of their
    item scores over the responses given here. A short answer given fewer than `least_shown` times is
    counted with the other answers, never shown by itself (the operator's page: docs/design.md §3).
    """
    responses = list(responses)
    totals: dict[Hashable, float] = {}
    by_question: dict[Hashable, list[Response]] = {}
    for response in responses:
        totals[response.attempt] = totals.get(response.attempt, 0.0) + response.score
        by_question.setdefault(response.question, []).append(response)
    kinds = kinds or {}
    return [
        _one(question, kinds.get(question, SINGLE), by_question[question], question_options, totals, least_shown)
        for question, question_options in options.items()
        if question in by_question
    ]


def _picks(kind: str, responses: list[Response]) -> dict[Hashable, int]:
    """How often each thing was given: an option id, or (multiple choice) each ticked id; None: no answer."""
    picked: dict[Hashable, int] = {}
    for response in responses:
        given = response.chosen
        ticked = given if kind == MULTIPLE and given is not None else [given]
        for each in ticked:
            picked[each] = picked.get(each, 0) + 1
    return picked


def short_answer_options(picked: dict[Hashable, int], accepted: list[Option], least_shown: int = 1) -> list[Option]:
    """The answers a short-answer question shows: the `TOP_ANSWERS` most given (ties in text order),
    accepted ones marked with their author's wording, then `OTHER` when any answer is left over. A pupil's
    own wording given fewer than `least_shown` times is left to `OTHER`; an accepted answer (the author's
    words) may be shown whatever its count.
    """
    wording = {option.id: option.text for option in accepted}
    given = sorted(((count, text) for text, count in picked.items() if text is not None), key=lambda p: (-p[0], p[1]))
    top = [text for count, text in given if count >= least_shown or text in wording][:TOP_ANSWERS]
    options = [Option(text, wording.get(text, text), text in wording) for text in top]
    if len(top) < len(given):
        options.append(Option(OTHER, "", False))
    return options


def _counted(kind: str, picked: dict[Hashable, int], options: list[Option], least_shown: int) -> list[Option]:
    if kind != SHORT:
        return options
    shown = short_answer_options(picked, options, least_shown)
    ids = {option.id for option in shown}
    picked[OTHER] = sum(count for text, count in picked.items() if text is not None and text not in ids)
    return shown


def _one(question, kind: str, responses: list[Response], options: list[Option], totals, least_shown) -> ItemStatistics:
    n = len(responses)
    scores = [response.score for response in responses]
    rest = [totals[response.attempt] - response.score for response in responses]
    picked = _picks(kind, responses)
    options = _counted(kind, picked, options, least_shown)
    choices = [
        OptionCount(option=option, count=picked.get(option.id, 0), share=picked.get(option.id, 0) / n)
        for option in options
    ]
    statistics = ItemStatistics(
        question=question,
        kind=kind,
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
    wrong = [choice for choice in statistics.choices if not choice.option.is_key]
    if statistics.kind == SINGLE:
        flags.extend(Flag(DISTRACTOR_BEATS_KEY, c.option) for c in wrong if c.count > max(keys, default=0))
    elif statistics.kind == MULTIPLE:
        flags.extend(Flag(WRONG_TICKED_OVER_KEY, c.option) for c in wrong if c.count > min(keys, default=0))
    elif statistics.kind == SHORT:
        typed = [choice for choice in wrong if choice.option.id != OTHER]
        flags.extend(Flag(WRONG_ANSWER_BEATS_KEY, c.option) for c in typed if c.count > statistics.correct)
    if statistics.kind in (SINGLE, MULTIPLE) and statistics.n >= UNUSED_MIN_RESPONSES:
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
