"""Safe HTML from what people write (docs/design.md §6).

Messages are plain text: escaped, with http(s) links made clickable.
Notices allow a little formatting, cleaned by `sanitize_notice_html`, the one
function every place that shows or sends a notice goes through. Both run when
text is shown, not when it is stored, so a stricter rule applies to old text too.
"""

from __future__ import annotations

import re

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

LINK_REL = "noopener noreferrer nofollow"
NOTICE_TAGS = {"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "a"}
_BLOCK_TAG = re.compile(r"<\s*(p|ul|ol)\b", re.IGNORECASE)
# A URL ends at whitespace, quotes or angle brackets; closing punctuation is trimmed below.
_URL = re.compile(r"https?://[^\s<>\"'\u3000-\u303f\uff01-\uff5e]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"


def _paragraphs(text: str) -> str:
    """Blank lines as paragraphs and line breaks as the writer meant them, except in a stretch
    where they wrote their own paragraphs or lists.
    """
    chunks = [chunk.strip() for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if chunk.strip()]
    return "".join(
        chunk if _BLOCK_TAG.search(chunk) else "<p>" + chunk.replace("\n", "<br>") + "</p>" for chunk in chunks
    )


def sanitize_notice_html(text: str) -> str:
    """A notice's text as safe HTML: paragraphs, line breaks, bold, italic, lists and http(s) links.

    Everything else is dropped (its text kept, except script and style content).
    Links get rel="noopener noreferrer nofollow" and open in a new tab.
    """
    return nh3.clean(
        _paragraphs(text),
        tags=NOTICE_TAGS,
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def _link(url: str) -> str:
    trailing = ""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a balanced parenthesis is part of the URL (Wikipedia links)
        trailing = url[-1] + trailing
        url = url[:-1]
    if "://" not in url or url.endswith("://"):
        return escape(url + trailing)
    safe = escape(url)
    return f'<a href="{safe}" rel="{LINK_REL}" target="_blank">{safe}</a>{escape(trailing)}'


def message_html(text: str) -> SafeString:
    """A plain-text message as HTML: everything escaped; http(s) URLs become links.

    Line breaks stay as newlines: pages show message bodies with `white-space: pre-wrap`.
    """
    parts, position = [], 0
    for match in _URL.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(_link(match.group(0)))
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
