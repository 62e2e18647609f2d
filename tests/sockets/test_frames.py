r"""Frames that once killed a socket (close 1011), and their kin: each gets an `error` frame and the socket
goes on working, on every route (sockets/frames.py, docs/protocol.md §2–3).

Over a real connection daphne decodes the UTF-8 of a text frame, so a lone surrogate arrives as the
JSON escape "\ud800"; in-process we can also hand the consumer the raw code point. A frame over 4096
bytes is refused before JSON is read (`too_large`); one of megabytes cannot be sent in-process and
is not tested here.
"""

from __future__ import annotations

import json

import pytest

from config.errors import ServiceError
from messaging.consumers import InboxConsumer
from messaging.frames import INBOX_FRAMES
from proctoring.consumers import ExamConsumer, ProctorConsumer
from proctoring.frames import EXAMINEE_FRAMES
from sockets.frames import MAX_DEPTH, MAX_INTEGER, read_frame, validate
from tests.proctoring.conftest import ProctoringSockets
from tests.websockets import IN_MEMORY_LAYER, receive, receive_type, receive_until

SIGNAL_ID = "7d1f4c2e-5b7a-4a59-9a53-0c1d2e3f4a5b"
DEEP = "[" * 1500 + "]" * 1500  # 3,000 bytes
FIVE_THOUSAND_DIGITS = "9" * 5000
HUGE_NUMBER = "9" * 3900  # Python reads at most 4,300 digits, but a frame holds fewer anyway


# --- The reader alone -------------------------------------------------------------------------

READ = {
    # text: the code of the error, or the frame's cleaned fields on the exam route
    "nested 1,500 deep": (DEEP, "bad_frame"),
    "nested 1,500 deep in a frame": ('{"type": "heartbeat", "pad": ' + DEEP + "}", "bad_frame"),
    "objects in lists 1,100 deep": (
        '{"type": "heartbeat", "pad": ' + '[{"":' * 550 + "0" + "}]" * 550 + "}",
        "bad_frame",
    ),
    "one level too deep": ('{"type": "heartbeat", "pad": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}", "bad_frame"),
    "as deep as allowed": (
        '{"type": "heartbeat", "pad": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}",
        {"id": ""},
    ),
    "a lone surrogate in the id": ('{"type": "heartbeat", "id": "\\ud800"}', "invalid"),
    "a lone low surrogate in the id": ('{"type": "heartbeat", "id": "a\\udfffb"}', "invalid"),
    "a surrogate pair the wrong way round": ('{"type": "heartbeat", "id": "\\ude00\\ud83d"}', "invalid"),
    "a surrogate pair written as escapes": ('{"type": "heartbeat", "id": "\\ud83d\\ude00"}', {"id": "😀"}),
    "a raw lone surrogate": ('{"type": "heartbeat", "id": "\ud800"}', "invalid"),
    "a lone surrogate in a key": ('{"type": "heartbeat", "\\ud800": 1}', "invalid"),
    "a lone surrogate in a nested key": ('{"type": "heartbeat", "pad": [{"\\udc00": 1}]}', "invalid"),
    "a lone surrogate deep in a value": ('{"type": "heartbeat", "pad": [[{"a": ["\\ud800"]}]]}', "invalid"),
    "a lone surrogate as the type": ('{"type": "\\ud800"}', "invalid"),
    "a lone surrogate in a kind": (f'{{"type": "signal", "kind": "copy\\ud800", "id": "{SIGNAL_ID}"}}', "invalid"),
    "NaN": ('{"type": "heartbeat", "pad": NaN}', "bad_json"),
    "Infinity": ('{"type": "heartbeat", "pad": Infinity}', "bad_json"),
    "-Infinity": ('{"type": "heartbeat", "pad": [-Infinity]}', "bad_json"),
    "1e999 (JSON, a float too big)": ('{"type": "heartbeat", "id": "x", "pad": 1e999}', {"id": "x"}),
    "1e999 for an integer": (
        f'{{"type": "signal", "kind": "copy", "id": "{SIGNAL_ID}", "duration_ms": 1e999}}',
        "invalid",
    ),
    "a 5,000-digit number": ('{"type": "heartbeat", "pad": ' + FIVE_THOUSAND_DIGITS + "}", "too_large"),
    "a 3,900-digit number ignored": ('{"type": "heartbeat", "pad": ' + HUGE_NUMBER + "}", {"id": ""}),
    "a 3,900-digit duration": (
        f'{{"type": "signal", "kind": "copy", "id": "{SIGNAL_ID}", "duration_ms": {HUGE_NUMBER}}}',
        "invalid",
    ),
    "duplicate keys: the last one counts": ('{"type": "heartbeat", "id": "a", "id": "b"}', {"id": "b"}),
    "duplicate types: the last one counts": ('{"type": "heartbeat", "type": "start"}', "unknown_type"),
    "a BOM": ('\ufeff{"type": "heartbeat"}', "bad_json"),
    "empty": ("", "bad_json"),
    "a list": ('[{"type": "heartbeat"}]', "bad_frame"),
    "a string": ('"heartbeat"', "bad_frame"),
    "null": ("null", "bad_frame"),
    "a number": ("5", "bad_frame"),
    "a type that is a number": ('{"type": 5}', "bad_frame"),
    "a type that is a list": ('{"type": ["heartbeat"]}', "bad_frame"),
    "a type that is null": ('{"type": null}', "bad_frame"),
    "a NUL in the id": ('{"type": "heartbeat", "id": "a\\u0000b"}', "invalid"),
    "a time before year 1 in UTC": (
        f'{{"type": "signal", "kind": "copy", "id": "{SIGNAL_ID}", "client_ts": "0001-01-01T00:00:00+09:00"}}',
        "invalid",
    ),
    "a time before year 1 in UTC, local": (
        f'{{"type": "signal", "kind": "copy", "id": "{SIGNAL_ID}", "client_ts": "0001-01-01T03:00:00"}}',
        "invalid",
    ),
    "a time after 9999 in local time": (
        f'{{"type": "signal", "kind": "copy", "id": "{SIGNAL_ID}", "client_ts": "9999-12-31T23:59:59-05:00"}}',
        "invalid",
    ),
}


@pytest.mark.parametrize(("text", "expected"), list(READ.values()), ids=list(READ))
def test_the_reader(text, expected):
    if isinstance(expected, str):
        with pytest.raises(ServiceError) as raised:
            validate(read_frame(text, None), EXAMINEE_FRAMES)
        assert raised.value.code == expected
    else:
        assert validate(read_frame(text, None), EXAMINEE_FRAMES)[1] == expected


def test_a_binary_frame_is_refused():
    with pytest.raises(ServiceError) as raised:
        read_frame(None, b'{"type": "heartbeat"}')
    assert raised.value.code == "bad_frame"


@pytest.mark.parametrize(("value", "valid"), [(MAX_INTEGER, True), (MAX_INTEGER + 1, False), (-MAX_INTEGER - 1, False)])
def test_integers_stop_at_what_a_browser_sends_exactly(value, valid):
    frame = {"type": "delivered", "id": value}
    if valid:
        assert validate(frame, INBOX_FRAMES) == ("delivered", {"id": value, "notice": None})
    else:
        with pytest.raises(ServiceError):
            validate(frame, INBOX_FRAMES)


# --- Through the consumers ---------------------------------------------------------------------


@pytest.fixture
async def sockets(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    opened = ProctoringSockets()
    yield opened
    await opened.close_all()


@pytest.fixture
async def route_socket(request, monkeypatch, sockets, teacher, examinee, proctored_session):
    """(route, socket) with every connect frame read: the examinee's, the teacher's dashboard, an inbox.
    Its rate limits let a few dozen frames through at once (the limits are tested with each route).
    """
    route = request.param
    for consumer in (ExamConsumer, ProctorConsumer, InboxConsumer):
        monkeypatch.setattr(consumer, "frame_limits", {"default": (1000, 1000)})
    if route == "exam":
        socket, _state = await sockets.examinee(examinee, proctored_session)
    elif route == "proctor":
        socket, _snapshot = await sockets.proctor(teacher, proctored_session)
    else:
        socket, connected, detail = await sockets.connect("/ws/inbox/", examinee)
        assert connected, detail
        assert (await receive(socket))["type"] == "unread"
    return route, socket


async def answers_until_alive(route: str, socket) -> list[dict]:
    """Send a plain request and return the frames before its answer: the socket was not closed and
    is not stuck (frames are answered in order; the exam's heartbeat at once, and so are errors).
    """
    request, answer = {
        "exam": ({"type": "heartbeat", "id": "alive"}, "ack"),
        "proctor": ({"type": "snapshot"}, "snapshot"),
        "inbox": ({"type": "unread"}, "unread"),
    }[route]
    await socket.send_json_to(request)
    return (await receive_until(socket, lambda frame: frame["type"] == answer))[:-1]


# Sent on every route; {type} is one of the route's own frame types.
EVERY_ROUTE = {
    "nested 1,500 deep": (DEEP, "bad_frame"),
    "nested 1,500 deep in a frame": ('{"type": "{type}", "pad": ' + DEEP + "}", "bad_frame"),
    "a lone surrogate in a key": ('{"type": "{type}", "\\ud800": 1}', "invalid"),
    "a lone surrogate deep in a value": ('{"type": "{type}", "pad": [{"a": "\\udfff"}]}', "invalid"),
    "a raw lone surrogate": ('{"type": "{type}", "pad": "\ud800"}', "invalid"),
    "a lone surrogate as the type": ('{"type": "\\ud800"}', "invalid"),
    "a 5,000-digit number": ('{"type": "{type}", "pad": ' + FIVE_THOUSAND_DIGITS + "}", "too_large"),
    "NaN": ('{"type": "{type}", "pad": NaN}', "bad_json"),
    "a BOM": ('\ufeff{"type": "{type}"}', "bad_json"),
    "a type that is not a string": ('{"type": ["{type}"]}', "bad_frame"),
}
ROUTE_TYPE = {"exam": "heartbeat", "proctor": "snapshot", "inbox": "unread"}
ONE_ROUTE = {
    "a lone surrogate in a heartbeat id": ("exam", '{"type": "heartbeat", "id": "\\ud800"}', "invalid"),
    "a lone surrogate in a signal kind": (
        "exam",
        f'{{"type": "signal", "kind": "\\udc00", "id": "{SIGNAL_ID}"}}',
        "invalid",
    ),
    "a lone surrogate in a signal id": ("exam", '{"type": "signal", "kind": "copy", "id": "\\ud800"}', "invalid"),
    "a 3,900-digit duration": (
        "exam",
        f'{{"type": "signal", "kind": "copy", "id": "{SIGNAL_ID}", "duration_ms": {HUGE_NUMBER}}}',
        "invalid",
    ),
    "a client time out of range": (
        "exam",
        f'{{"type": "signal", "kind": "copy", "id": "{SIGNAL_ID}", "client_ts": "0001-01-01T00:00:00+09:00"}}',
        "invalid",
    ),
    "a lone surrogate in a warning": (
        "proctor",
        '{"type": "warn", "examinee": 1, "text": "\\ud800"}',
        "invalid",
    ),
    "an examinee id of 3,900 digits": (
        "proctor",
        '{"type": "warn", "examinee": ' + HUGE_NUMBER + ', "text": "x"}',
        "invalid",
    ),
    "an examinee id past 64 bits": ("proctor", f'{{"type": "pause", "examinee": {2**63}}}', "invalid"),
    "the largest examinee id a browser sends, nobody's": (
        "proctor",
        f'{{"type": "pause", "examinee": {MAX_INTEGER}}}',
        "not_found",
    ),
    "minutes 1e999": ("proctor", '{"type": "extend", "examinee": 1, "minutes": 1e999}', "invalid"),
    "a message id of 3,900 digits": (
        "inbox",
        '{"type": "delivered", "id": ' + HUGE_NUMBER + "}",
        "invalid",
    ),
    "the largest thread id a browser sends, nobody's": (
        "inbox",
        f'{{"type": "read", "thread": {MAX_INTEGER}}}',
        "not_found",
    ),
    "a thread id past 64 bits": ("inbox", f'{{"type": "read", "thread": {2**64}}}', "invalid"),
    "a lone surrogate for a notice": ("inbox", '{"type": "read", "notice": "\\ud800"}', "invalid"),
}
CASES = {
    route: [(name, text.replace("{type}", frame_type), code) for name, (text, code) in EVERY_ROUTE.items()]
    + [(name, text, code) for name, (on, text, code) in ONE_ROUTE.items() if on == route]
    for route, frame_type in ROUTE_TYPE.items()
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route_socket", list(ROUTE_TYPE), indirect=True)
async def test_each_nasty_frame_gets_an_error_and_the_socket_goes_on(route_socket):
    route, socket = route_socket
    for name, text, code in CASES[route]:
        await socket.send_to(text_data=text)

        answers = await answers_until_alive(route, socket)
        assert [(frame["type"], frame.get("code")) for frame in answers] == [("error", code)], name


@pytest.mark.django_db(transaction=True)
async def test_a_surrogate_pair_written_as_escapes_is_echoed_whole(sockets, examinee, proctored_session):
    pupil, _state = await sockets.examinee(examinee, proctored_session)

    await pupil.send_to(text_data='{"type": "heartbeat", "id": "\\ud83d\\ude00"}')

    assert await receive(pupil) == {"type": "ack", "id": "😀"}


@pytest.mark.django_db(transaction=True)
async def test_a_warning_with_a_lone_surrogate_never_reaches_the_examinee(
    sockets, teacher, examinee, proctored_session
):
    """It was forwarded once, and the examinee's socket died on it."""
    proctor, _snapshot = await sockets.proctor(teacher, proctored_session)
    pupil, _state = await sockets.examinee(examinee, proctored_session)
    await receive_type(proctor, "examinee")

    await proctor.send_to(text_data=json.dumps({"type": "warn", "examinee": examinee.pk, "text": "前\ud800"}))

    assert (await receive(proctor))["code"] == "invalid"
    await proctor.send_json_to({"type": "warn", "examinee": examinee.pk, "text": "前を向きましょう 😀"})
    assert await receive(pupil) == {"type": "warning", "text": "前を向きましょう 😀"}, "the first warning never came"
