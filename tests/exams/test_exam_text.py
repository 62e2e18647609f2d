"""Furigana in exam text (docs/exam-format.md, "Furigana"): the `ruby` filter escapes everything,
then turns only the notation (`｜漢字《かんじ》`, `漢字《かんじ》`, the older `{漢字|かんじ}`) into
ruby; whatever else is written stays text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

import exams
from exams.templatetags.exam_text import MAX_RUBY, ruby, unread_notation, without_ruby


def r(base: str, reading: str) -> str:
    """The markup the filter writes for one reading."""
    return f"<ruby>{base}<rp>（</rp><rt>{reading}</rt><rp>）</rp></ruby>"


# --- The notation Japanese teachers write (青空文庫 style) ---


def test_a_bar_marks_where_the_base_starts():
    assert ruby("｜漢字《かんじ》を読む") == r("漢字", "かんじ") + "を読む"
    assert ruby("|漢字《かんじ》を読む") == r("漢字", "かんじ") + "を読む"  # a half-width bar too
    assert isinstance(ruby("x"), SafeString)


def test_a_bar_can_put_the_reading_on_kana_and_mixed_words():
    # Without the bar only kanji take a reading; with it any word does.
    assert ruby("｜東京スカイツリー《とうきょうスカイツリー》") == r("東京スカイツリー", "とうきょうスカイツリー")
    assert ruby("｜お母さん《おかあさん》") == r("お母さん", "おかあさん")
    # Or only part of a run of kanji.
    assert ruby("日本｜語学《ごがく》") == "日本" + r("語学", "ごがく")


def test_without_a_bar_the_reading_goes_on_the_run_of_kanji_before_it():
    assert ruby("漢字《かんじ》を読む") == r("漢字", "かんじ") + "を読む"
    assert ruby("春の土手《どて》") == "春の" + r("土手", "どて")


def test_a_kanji_run_after_kana_starts_after_the_kana():
    assert ruby("ひらがな漢字《かんじ》") == "ひらがな" + r("漢字", "かんじ")
    assert ruby("カタカナ漢字《かんじ》") == "カタカナ" + r("漢字", "かんじ")
    # Punctuation and spaces end a run too.
    assert ruby("春、夏秋《なつあき》") == "春、" + r("夏秋", "なつあき")
    assert ruby("春 夏《なつ》") == "春 " + r("夏", "なつ")


@pytest.mark.parametrize(
    ("word", "reading"),
    [
        ("人々", "ひとびと"),  # 々
        ("〆切", "しめきり"),  # 〆
        ("霞ヶ関", "かすみがせき"),  # ヶ
        ("一ヵ月", "いっかげつ"),  # ヵ
        ("二〇二六", "にせんにじゅうろく"),  # 〇
        ("㐂", "き"),  # extension A (U+3402)
        ("𠮟", "しか"),  # extension B (U+20B9F), a jōyō kanji
        ("﨑", "さき"),  # a compatibility ideograph (U+FA11)
    ],
)
def test_what_counts_as_kanji(word, reading):
    assert ruby(f"あ{word}《{reading}》") == "あ" + r(word, reading)


def test_several_on_one_line_and_every_notation_together():
    assert ruby("春の土手《どて》で｜つくし《土筆》と{筆|ふで}を見た。") == (
        "春の" + r("土手", "どて") + "で" + r("つくし", "土筆") + "と" + r("筆", "ふで") + "を見た。"
    )


def test_the_reading_is_on_one_line():
    assert ruby("一行目\n漢字《かんじ》") == "一行目\n" + r("漢字", "かんじ")
    assert ruby("漢字《かん\nじ》") == "漢字《かん\nじ》"
    assert ruby("｜漢\n字《かんじ》") == "｜漢\n" + r("字", "かんじ")


# --- Escapes and what stays text ---


def test_a_bar_before_the_bracket_is_a_literal_bracket():
    assert ruby("｜《注》を見よ") == "《注》を見よ"
    assert ruby("本文｜《注》") == "本文《注》"  # kanji before it take no reading
    assert ruby("|《注》") == "《注》"
    assert without_ruby("本文｜《注》") == "本文《注》"


@pytest.mark.parametrize(
    "text",
    [
        "漢字《かんじ",  # not closed
        "漢字かんじ》",  # not opened
        "漢字《》",  # empty reading
        "漢字《 》",  # a reading of blanks
        "漢字《　》",  # a full-width blank
        "｜《》",  # escape then a lone 》: shown as 《》
        "かな《よみ》",  # no kanji before it
        "《よみ》",  # nothing before it
        "カタカナ《よみ》",
        "漢字《かん《じ》",  # nested: the inner 《 has kana before it
        "漢字《《かんじ》》",  # doubled brackets
        "｜漢字",  # a bar without 《…》
        "｜漢字《",  # a bar and an open bracket
        "｜｜漢字",
        "| 表 | 値 |",  # a half-width bar at the start of a line of prose
        "|A| と |B| を比べる",
        "a | b",
    ],
)
def test_malformed_or_absent_notation_stays_as_written(text):
    expected = text.replace("｜《", "《").replace("|《", "《")
    assert ruby(text) == expected
    assert "<ruby>" not in ruby(text)


def test_a_blank_base_after_a_bar_is_no_notation():
    assert ruby("｜ 《よみ》") == "｜ 《よみ》"


def test_a_reading_longer_than_the_cap_stays_text():
    ok, too_long = "あ" * MAX_RUBY, "あ" * (MAX_RUBY + 1)
    assert ruby(f"漢字《{ok}》") == r("漢字", ok)
    assert ruby(f"漢字《{too_long}》") == f"漢字《{too_long}》"
    assert ruby(f"｜かな《{too_long}》") == f"｜かな《{too_long}》"


def test_a_base_longer_than_the_cap_stays_text():
    assert MAX_RUBY == 20
    assert ruby("｜" + "か" * 21 + "《よみ》") == "｜" + "か" * 21 + "《よみ》"
    # A kanji run longer than the cap is no base, and its tail is not taken either.
    run = "漢" * 21
    assert ruby(f"{run}《よみ》") == f"{run}《よみ》"
    assert ruby("漢" * 20 + "《よみ》") == r("漢" * 20, "よみ")


def test_a_bracket_after_a_reading_is_text():
    assert ruby("漢字《かんじ》《よみ》") == r("漢字", "かんじ") + "《よみ》"
    assert ruby("漢字《かんじ》》") == r("漢字", "かんじ") + "》"


# --- Never HTML from authors ---


def test_text_without_the_notation_is_only_escaped():
    assert ruby("三月から四月ごろ") == "三月から四月ごろ"
    assert ruby("a < b & c > \"d\" 'e'") == "a &lt; b &amp; c &gt; &quot;d&quot; &#x27;e&#x27;"


def test_markup_never_becomes_html_inside_or_outside_the_notation():
    html = ruby("<script>alert(1)</script>｜<b>《<i>z</i>》漢字《<script>》{<b>|x}{y|<i>z</i>}")
    assert "<script" not in html
    assert "<b>" not in html
    assert "<i>" not in html
    assert html == (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        + r("&lt;b&gt;", "&lt;i&gt;z&lt;/i&gt;")
        + r("漢字", "&lt;script&gt;")
        + r("&lt;b&gt;", "x")
        + r("y", "&lt;i&gt;z&lt;/i&gt;")
    )
    # The only tags in the output are the filter's own.
    assert set(re.findall(r"</?([a-z]+)", html)) == {"ruby", "rp", "rt"}


def test_an_attribute_cannot_be_smuggled_in():
    for text in ('{a" onclick="x|b}', '｜a" onclick="x《b》', '漢字《" onclick="x》'):
        assert 'onclick="' not in ruby(text)
    assert ruby('｜a" onclick="x《b》') == r("a&quot; onclick=&quot;x", "b")


def test_an_entity_written_by_the_author_is_shown_not_decoded():
    assert ruby("｜&lt;《&amp;》") == r("&amp;lt;", "&amp;amp;")


# --- The first notation, kept for existing files ---


def test_the_first_notation_still_works():
    assert ruby("{漢字|かんじ}を読む") == r("漢字", "かんじ") + "を読む"
    assert ruby("春の{土手|どて}で{筆|ふで}を見た。") == (
        "春の" + r("土手", "どて") + "で" + r("筆", "ふで") + "を見た。"
    )


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
def test_malformed_first_notation_stays_as_written(text):
    assert ruby(text) == text


def test_first_notation_pairs_do_not_nest_only_the_inner_well_formed_pair_is_ruby():
    assert ruby("{{漢|かん}字|かんじ}") == "{" + r("漢", "かん") + "字|かんじ}"


# --- In templates, and the text without readings ---


def test_it_chains_with_linebreaks_without_escaping_twice():
    rendered = Template("{% load exam_text %}{{ text|ruby|linebreaks }}|{{ text|ruby|linebreaksbr }}").render(
        Context({"text": "胞子《ほうし》と<b>\n二行目\n\n次の段落"})
    )
    paragraphs, lines = rendered.split("|", 1)
    assert paragraphs == "<p>" + r("胞子", "ほうし") + "と&lt;b&gt;<br>二行目</p>\n\n<p>次の段落</p>"
    assert lines == r("胞子", "ほうし") + "と&lt;b&gt;<br>二行目<br><br>次の段落"


def test_without_ruby_keeps_the_bases_and_is_escaped_in_a_template():
    assert without_ruby("春の土手《どて》で｜つくし《土筆》と{筆|ふで}を見た。") == "春の土手でつくしと筆を見た。"
    assert without_ruby("漢字《》") == "漢字《》"
    rendered = Template("{% load exam_text %}{{ text|without_ruby }}").render(Context({"text": "｜<b>《x》"}))
    assert rendered == "&lt;b&gt;"


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_the_sample_exams_use_the_new_notation():
    samples = sorted((Path(exams.__file__).parent / "samples").glob("*.json"))
    texts = [text for path in samples for text in _strings(json.loads(path.read_text("utf-8")))]
    assert not [text for text in texts if re.search(r"\{[^{}|\n]+\|[^{}|\n]+\}", text)]  # the first notation is gone
    rendered = [ruby(text) for text in texts if "《" in text]
    assert rendered
    assert all("<ruby>" in html and "《" not in html for html in rendered)
    assert [bit for text in texts for bit in unread_notation(text)] == []


# --- What an author should fix ---


@pytest.mark.parametrize(
    ("text", "unread"),
    [
        ("春の土手《どて》で｜つくし《土筆》と{筆|ふで}", []),
        ("本文｜《注》を見よ", []),  # a literal 《, and its 》
        ("a | b、| 表 | 値 |", []),
        ("かな《よみ》です", ["かな《よみ》"]),
        ("漢字《》と", ["漢字《》"]),
        ("漢字《かんじ", ["漢字《かんじ"]),
        ("漢字《" + "あ" * 21 + "》", ["漢字《" + "あ" * 21 + "》"]),
        ("{漢字|}と{|かんじ}", ["{漢字|}", "{|かんじ}"]),
        ("春の土手《どて》で、ひらがな《よみ》", ["で、ひらがな《よみ》"]),
    ],
)
def test_unread_notation_lists_what_is_shown_as_written(text, unread):
    assert unread_notation(text) == unread
    for bit in unread:
        assert bit in ruby(text)  # shown as written, brackets and all
