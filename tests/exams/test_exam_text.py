"""Furigana in exam text (docs/exam-format.md, "Furigana"): the `ruby` filter escapes everything,
then turns only `{漢字|かんじ}` into ruby; whatever else is written stays text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

import exams
from exams.templatetags.exam_text import ruby


def test_a_pair_becomes_ruby():
    assert ruby("{漢字|かんじ}を読む") == "<ruby>漢字<rt>かんじ</rt></ruby>を読む"
    assert isinstance(ruby("x"), SafeString)


def test_several_pairs_and_plain_text_around_them():
    assert ruby("春の{土手|どて}で{筆|ふで}を見た。") == (
        "春の<ruby>土手<rt>どて</rt></ruby>で<ruby>筆<rt>ふで</rt></ruby>を見た。"
    )


def test_text_without_the_notation_is_only_escaped():
    assert ruby("三月から四月ごろ") == "三月から四月ごろ"
    assert ruby("a < b & c > \"d\" 'e'") == "a &lt; b &amp; c &gt; &quot;d&quot; &#x27;e&#x27;"


def test_markup_never_becomes_html_inside_or_outside_a_pair():
    html = ruby("<script>alert(1)</script>{<b>|x}{y|<i>z</i>}")
    assert "<script" not in html
    assert "<b>" not in html
    assert "<i>" not in html
    assert html == (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        "<ruby>&lt;b&gt;<rt>x</rt></ruby>"
        "<ruby>y<rt>&lt;i&gt;z&lt;/i&gt;</rt></ruby>"
    )
    # The only tags in the output are the filter's own.
    assert set(re.findall(r"</?([a-z]+)", html)) == {"ruby", "rt"}


def test_an_attribute_cannot_be_smuggled_in():
    html = ruby('{a" onclick="x|b}')
    assert 'onclick="' not in html
    assert html == "<ruby>a&quot; onclick=&quot;x<rt>b</rt></ruby>"


@pytest.mark.parametrize(
    "text",
    [
        "{漢字",  # not closed
        "漢字|かんじ}",  # not opened
        "{漢字}",  # no reading
        "{漢字|}",  # empty reading
        "{|かんじ}",  # empty word
        "{ |かんじ}",  # a word of blanks
        "{漢字|か|んじ}",  # two bars
        "{漢字\n|かんじ}",  # across lines
        "{}",
        "{|}",
    ],
)
def test_malformed_markup_stays_as_written(text):
    assert ruby(text) == text
    assert "<ruby>" not in ruby(text)


def test_pairs_do_not_nest_only_the_inner_well_formed_pair_is_ruby():
    assert ruby("{{漢|かん}字|かんじ}") == "{<ruby>漢<rt>かん</rt></ruby>字|かんじ}"


def test_it_chains_with_linebreaks_without_escaping_twice():
    rendered = Template("{% load exam_text %}{{ text|ruby|linebreaks }}|{{ text|ruby|linebreaksbr }}").render(
        Context({"text": "{胞子|ほうし}と<b>\n二行目\n\n次の段落"})
    )
    paragraphs, lines = rendered.split("|", 1)[0], rendered.split("|", 1)[1]
    assert paragraphs == ("<p><ruby>胞子<rt>ほうし</rt></ruby>と&lt;b&gt;<br>二行目</p>\n\n<p>次の段落</p>")
    assert lines == "<ruby>胞子<rt>ほうし</rt></ruby>と&lt;b&gt;<br>二行目<br><br>次の段落"


def test_a_sample_exam_uses_the_notation():
    sample = json.loads((Path(exams.__file__).parent / "samples" / "reading-spring.json").read_text("utf-8"))
    texts = [q.get("passage", "") for q in sample["questions"]] + [
        choice["text"] for q in sample["questions"] for choice in q["choices"]
    ]
    assert any("{胞子|ほうし}" in text for text in texts)
    assert any("<ruby>" in ruby(text) for text in texts if text.startswith("山の上"))
