"""Exam text on the page: furigana written `{漢字|かんじ}` becomes ruby (docs/exam-format.md, "Furigana").

Exam text comes from the catalog and is treated like user text (docs/design.md §9):
`ruby` escapes all of it first, then turns only the notation into `<ruby>` markup,
so nothing else in a passage, a prompt or a choice can ever become HTML.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# One `{base|reading}`: both parts non-empty, on one line, without braces or bars of their own.
# Matched in the escaped text, where `<`, `>`, `&`, `"` and `'` are entities already, so a
# part can hold no markup. Anything that does not match (an unclosed brace, a nested pair's
# outer braces, an empty part) stays as the text it was written as.
RUBY = re.compile(r"\{([^{}|\n]+)\|([^{}|\n]+)\}")


def _ruby(match: re.Match) -> str:
    base, reading = match.group(1), match.group(2)
    if not base.strip() or not reading.strip():
        return match.group(0)
    return f"<ruby>{base}<rt>{reading}</rt></ruby>"


@register.filter(is_safe=True)
def ruby(value) -> SafeString:
    """The text escaped, with `{漢字|かんじ}` as `<ruby>漢字<rt>かんじ</rt></ruby>`.

    Safe to chain before `linebreaks` and `linebreaksbr`, which keep safe input as it is.
    """
    return mark_safe(RUBY.sub(_ruby, escape(str(value))))  # noqa: S308 - escaped first; only <ruby> and <rt> added
