"""What people write is shown inert: over HTTP and over the websocket, in messages and notices.

Messages are plain text (escaped, http(s) links clickable); notices keep a
little formatting, cleaned by messaging.sanitize.sanitize_notice_html. The
checks parse the markup inside the body's element and allow nothing but
those tags, and on links only href (http/https), rel and target.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from messaging.sanitize import LINK_REL, message_html, sanitize_notice_html
from messaging.services import message_send, notice_send
from tests.websockets import db, receive_type

PAYLOADS = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "javascript:alert(1)",
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<div hx-get="/logout/" hx-trigger="load">htmx</div>',
    '<button hx-post="/messages/new/" hx-vals=\'{"body": "x"}\'>go</button>',
    '"><svg onload=alert(1)>',
    'https://example.jp/"onmouseover="alert(1)',
    "http://example.jp/<script>alert(1)</script>",
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    "<style>body{display:none}</style><iframe src=https://evil.example></iframe>",
    '<p onclick="alert(1)" style="color:red" class="x" id="send-form">styled</p>',
]
MESSAGE_TAGS = {"a"}
NOTICE_TAGS = {"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "a"}


class Markup(HTMLParser):
    """Tags and attributes found inside elements carrying `css_class`."""

    VOID = {"br", "img", "input", "hr", "meta", "link", "source", "wbr"}

    def __init__(self, css_class: str):
        super().__init__(convert_charrefs=True)
        self.css_class = css_class
        self.depth = 0  # >0 while inside a body
        self.found: list[tuple[str, dict]] = []
        self.bodies = 0

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.found.append((tag, dict(attrs)))
            if tag not in self.VOID:
                self.depth += 1
        elif self.css_class in (dict(attrs).get("class") or "").split():
            self.depth, self.bodies = 1, self.bodies + 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1


def markup_inside(html: str, css_class: str) -> list[tuple[str, dict]]:
    parser = Markup(css_class)
    parser.feed(html)
    assert parser.bodies, f"no element with class {css_class}: the test would prove nothing"
    return parser.found


def assert_inert(found: list[tuple[str, dict]], allowed_tags: set[str]) -> None:
    for tag, attrs in found:
        assert tag in allowed_tags, f"<{tag}> got through"
        if tag == "a":
            assert set(attrs) <= {"href", "rel", "target"}, attrs
            assert attrs.get("href", "https://").lower().startswith(("http://", "https://")), attrs
            assert attrs.get("rel") == LINK_REL, attrs
            assert attrs.get("target") == "_blank", attrs
        else:
            assert not attrs, f"<{tag} {attrs}> kept attributes"


# --- The functions themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_message_html_is_inert(payload):
    html = f'<div class="msg-body">{message_html(payload)}</div>'
    assert_inert(markup_inside(html, "msg-body"), MESSAGE_TAGS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_notice_html_is_inert(payload):
    html = f'<div class="notice-body">{sanitize_notice_html(payload)}</div>'
    assert_inert(markup_inside(html, "notice-body"), NOTICE_TAGS)


def test_message_links_are_http_or_https_only():
    html = str(message_html("see https://example.jp/a?b=1&c=2. ftp://x.jp mailto:a@b.jp www.example.jp"))
    assert html.count("<a ") == 1
    assert f'<a href="https://example.jp/a?b=1&amp;c=2" rel="{LINK_REL}" target="_blank">' in html
    assert html.endswith(". ftp://x.jp mailto:a@b.jp www.example.jp"), "trailing punctuation stays outside"


def test_message_text_is_escaped_not_dropped():
    assert str(message_html("1 < 2 & <b>x</b>")) == "1 &lt; 2 &amp; &lt;b&gt;x&lt;/b&gt;"


def test_notice_formatting_survives():
    text = (
        "<p><b>持ち物</b> と <i>注意</i></p><ul><li>本</li><li><strong>水筒</strong></li></ul>"
        '<a href="https://example.jp/">案内</a>'
    )
    assert sanitize_notice_html(text) == (
        "<p><b>持ち物</b> と <i>注意</i></p><ul><li>本</li><li><strong>水筒</strong></li></ul>"
        f'<a href="https://example.jp/" target="_blank" rel="{LINK_REL}">案内</a>'
    )


def test_plain_notice_text_keeps_its_paragraphs_and_line_breaks():
    assert sanitize_notice_html("一行目\n二行目\n\n次の段落") == "<p>一行目<br>二行目</p><p>次の段落</p>"


def test_a_stretch_with_its_own_list_is_left_as_written():
    text = "持ち物:\nお弁当\n\n<ul>\n<li>水筒</li>\n</ul>"
    assert sanitize_notice_html(text) == "<p>持ち物:<br>お弁当</p><ul>\n<li>水筒</li>\n</ul>"


# --- Over HTTP ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_messages_are_inert_on_the_conversation_page(client_of, teacher, examinee):
    for payload in PAYLOADS:
        message_send(by=teacher, recipient=examinee, body=payload)
    thread_id = examinee.threads_as_examinee.get().pk

    for viewer in (examinee, teacher):
        page = client_of(viewer).get(reverse("messaging:thread", args=[thread_id])).content.decode()
        assert_inert(markup_inside(page, "msg-body"), MESSAGE_TAGS)
        assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in page, "shown as text"


@pytest.mark.django_db
def test_the_htmx_fragment_of_a_sent_message_is_inert(client_of, teacher, examinee):
    thread = message_send(by=examinee, recipient=teacher, body="質問").thread
    client = client_of(teacher)
    for payload in PAYLOADS:
        fragment = client.post(
            reverse("messaging:thread_send", args=[thread.pk]), {"body": payload}, HTTP_HX_REQUEST="true"
        ).content.decode()
        assert_inert(markup_inside(fragment, "msg-body"), MESSAGE_TAGS)


@pytest.mark.django_db
def test_a_form_error_does_not_turn_the_text_into_markup(client_of, teacher, examinee):
    thread = message_send(by=examinee, recipient=teacher, body="質問").thread
    body = "<script>alert(1)</script>" + "あ" * 2000
    response = client_of(teacher).post(
        reverse("messaging:thread_send", args=[thread.pk]), {"body": body}, HTTP_HX_REQUEST="true"
    )
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode(), "kept in the textarea, escaped"


@pytest.mark.django_db
def test_notices_are_inert_on_their_page(client_of, teacher, examinee, school_class):
    for payload in PAYLOADS:
        notice = notice_send(school_class=school_class, by=teacher, body=payload)
        for viewer in (examinee, teacher):
            page = client_of(viewer).get(reverse("messaging:notice_detail", args=[notice.pk])).content.decode()
            assert_inert(markup_inside(page, "notice-body"), NOTICE_TAGS)


# --- Over the websocket -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_message_frames_are_inert(sockets, teacher, examinee):
    pupil, _ = await sockets.inbox(examinee)
    for payload in PAYLOADS:
        await db(message_send, by=teacher, recipient=examinee, body=payload)
        frame = await receive_type(pupil, "message")
        html = f'<div class="msg-body">{frame["body_html"]}</div>'
        assert_inert(markup_inside(html, "msg-body"), MESSAGE_TAGS)


@pytest.mark.django_db(transaction=True)
async def test_notice_frames_are_inert(sockets, teacher, examinee, school_class):
    pupil, _ = await sockets.inbox(examinee)
    for payload in PAYLOADS:
        await db(notice_send, school_class=school_class, by=teacher, body=payload)
        frame = await receive_type(pupil, "notice")
        html = f'<div class="notice-body">{frame["body_html"]}</div>'
        assert_inert(markup_inside(html, "notice-body"), NOTICE_TAGS)
