"""Exam text on the page: furigana becomes ruby (docs/exam-format.md, "Furigana").

Authors write a reading the way Japanese teachers know it: `｜漢字《かんじ》` (a bar, full-width
or half-width, marks where the word starts), `漢字《かんじ》` (the reading goes on the run of
kanji just before `《`), and the older `{漢字|かんじ}` still works. `｜《` is a literal `《`.

Exam text comes from the catalog and is treated like user text (docs/design.md §9): the text is
cut into notation and plain pieces, every piece the author wrote is escaped, and the only tags in
the output are the filter's own `<ruby>`, `<rp>` and `<rt>`, so nothing in a passage, a prompt or
a choice can ever become HTML. Notation that does not follow the rules stays as the text it was.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The longest base and reading of the new notation; a longer one is a mistake left as text.
MAX_RUBY = 20

# "Kanji" for `漢字《かんじ》`: the CJK Unified Ideographs (U+4E00–U+9FFF), extension A
# (U+3400–U+4DBF), the supplementary planes' ideographs (extensions B and on, U+20000–U+3FFFF,
# e.g. 𠮟), the compatibility ideographs (U+F900–U+FAFF, U+2F800–U+2FA1F, e.g. 﨑), and the
# marks written inside kanji words: 々 (U+3005), 〆 (U+3006), 〇 (U+3007), ヵ (U+30F5), ヶ (U+30F6).
KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff\u3005\u3006\u3007\u30f5\u30f6"

# A part of the new notation: on one line, without bars or double angle brackets of its own.
_PART = rf"[^|｜《》\n\r]{{1,{MAX_RUBY}}}"

NOTATION = re.compile(
    # `｜《` (or `|《`): a literal 《.
    r"(?P<escape>[|｜]《)"
    # `｜base《reading》`: the bar says where the base starts.
    rf"|[|｜](?P<base>{_PART})《(?P<reading>{_PART})》"
    # `漢字《reading》`: the whole run of kanji before 《 (a run longer than MAX_RUBY is no base).
    rf"|(?<![{KANJI}])(?P<kanji>[{KANJI}]{{1,{MAX_RUBY}}})《(?P<kanji_reading>{_PART})》"
    # `{base|reading}`, the first notation, kept for existing files: no braces or bars inside.
    r"|\{(?P<old_base>[^{}|\n]+)\|(?P<old_reading>[^{}|\n]+)\}"
)


def _pieces(text: str):
    """(text, reading, written) for each piece of `text` in order: plain text has reading None;
    `written` is True for text shown as the author wrote it, False for a reading and for `｜《`'s 《.
    """
    position = 0
    for match in NOTATION.finditer(text):
        if match.start() > position:
            yield text[position : match.start()], None, True
        position = match.end()
        if match["escape"]:
            yield "《", None, False
            continue
        base = match["base"] or match["kanji"] or match["old_base"]
        reading = match["reading"] or match["kanji_reading"] or match["old_reading"]
        if base.strip() and reading.strip():
            yield base, reading, False
        else:  # a blank base or reading is no notation: shown as written
            yield match.group(0), None, True
    if position < len(text):
        yield text[position:], None, True


# What looks like notation the author meant but that is shown as written (see `unread_notation`).
_LOOKS_LIKE_NOTATION = re.compile(r"[^\s《》]{0,8}《[^\n《》]{0,21}》?|\{[^{}\n]*\|[^{}\n]*\}")


@register.filter(is_safe=True)
def ruby(value) -> SafeString:
    """The text escaped, with each reading as `<ruby>漢字<rp>（</rp><rt>かんじ</rt><rp>）</rp></ruby>`.

    The `<rp>` parentheses show only where ruby is not rendered (漢字（かんじ）). Safe to chain
    before `linebreaks` and `linebreaksbr`, which keep safe input as it is.
    """
    html = []
    for base, reading, _written in _pieces(str(value)):
        if reading is None:
            html.append(escape(base))
        else:
            html.append(f"<ruby>{escape(base)}<rp>（</rp><rt>{escape(reading)}</rt><rp>）</rp></ruby>")
    return mark_safe("".join(html))  # noqa: S308 - every piece escaped; only <ruby>, <rp> and <rt> added


@register.filter
def without_ruby(value) -> str:
    """The text with the notation taken out and only the bases kept (`漢字《かんじ》を` → `漢字を`).

    For places that show exam text in one line or outside the page (a results table, a CSV);
    the result is plain text and is escaped like any other.
    """
    return "".join(base for base, _reading, _written in _pieces(str(value)))


def unread_notation(value) -> list[str]:
    """The bits of `value` that look like furigana but are shown as written, for an author to fix.

    A `《` left in the text (no kanji or bar before it, an empty or too long reading, an unclosed
    bracket) and a `{…|…}` that is no pair, each with a few characters around it as the author
    wrote them; `[]` when every reading is read. A literal `｜《` and a lone `》` are not reported.
    For an editor's list of problems before publishing; rendering never needs it.
    """
    found = []
    for text, reading, written in _pieces(str(value)):
        if reading is None and written:
            found += [match.group(0) for match in _LOOKS_LIKE_NOTATION.finditer(text)]
    return found
