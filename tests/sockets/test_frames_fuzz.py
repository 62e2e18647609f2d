"""Whatever a client sends, reading it never kills the socket (sockets/frames.py, docs/protocol.md §2–3).

Property: for any text, `read_frame` + `validate` with the forms of each route either return
(type, cleaned fields) or raise ServiceError with a code of the error table. Any other exception
closed the socket with 1011. And what the server may send back from a frame (the cleaned fields,
the `ack` of a heartbeat, a warning's text, the `error` frame itself) encodes as UTF-8, times can
be stored in UTC and shown in local time, and integers fit a database column.

Hypothesis runs derandomized and without its example database: CI sees the same examples every run.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
import uuid
from pathlib import Path

import hypothesis
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from config.errors import ServiceError
from messaging.frames import INBOX_FRAMES
from proctoring.consumers import ExamConsumer
from proctoring.frames import EXAMINEE_FRAMES, PROCTOR_FRAMES
from proctoring.models import Signal
from sockets.frames import MAX_FRAME_BYTES, read_frame, validate
from tests.proctoring.conftest import ProctoringSockets
from tests.websockets import IN_MEMORY_LAYER, receive

ROUTES = {"/ws/exam/": EXAMINEE_FRAMES, "/ws/proctor/": PROCTOR_FRAMES, "/ws/inbox/": INBOX_FRAMES}
TYPES = sorted({frame_type for known in ROUTES.values() for frame_type in known})
FIELDS = ["id", "kind", "examinee", "text", "minutes", "client_ts", "duration_ms", "thread", "notice"]
READER_CODES = {"bad_json", "bad_frame", "too_large", "unknown_type", "invalid"}  # what sockets/frames.py raises
BIG_INTEGER = 2**63 - 1  # a database's integer column

FUZZ = hypothesis.settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def documented_codes() -> set[str]:
    """The codes of the error table, docs/protocol.md §3."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    table = text.split("## 3. Errors", 1)[1].split("\n## ", 1)[0]
    return {code for row in table.splitlines() if row.startswith("| `") for code in re.findall(r"`(\w+)`", row)}


# --- Strategies ------------------------------------------------------------------------------

# Any code point, lone surrogates included (st.text leaves them out by default), and the awkward ones.
characters = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(categories=["Cs"]),
    st.sampled_from(["\x00", "\ufeff", "😀", '"', "\\", " ", "前"]),
)
texts = st.text(characters, max_size=20)
integers = st.one_of(
    st.integers(),
    st.sampled_from([0, 1, -1, 2**31, 2**53 - 1, 2**53, 2**63, 2**64]),
    st.integers(min_value=1, max_value=4000).map(lambda digits: 10**digits - 1),  # up to 4,000 digits
)
offsets = st.one_of(
    st.none(),
    st.just(datetime.UTC),
    st.timedeltas(min_value=-datetime.timedelta(hours=23), max_value=datetime.timedelta(hours=23)).map(
        datetime.timezone
    ),
)
times = st.one_of(
    st.datetimes(timezones=offsets).map(datetime.datetime.isoformat),
    # The ends of Python's range, where UTC or local time overflows.
    st.datetimes(max_value=datetime.datetime(1, 1, 1, 8), timezones=offsets).map(datetime.datetime.isoformat),
    st.datetimes(min_value=datetime.datetime(9999, 12, 31, 16), timezones=offsets).map(datetime.datetime.isoformat),
    st.sampled_from(["2026-11-22T22:40:12.123Z", "2026-02-30T00:00:00", "yesterday", ""]),
)
kinds = st.sampled_from(sorted(Signal.CLIENT_KINDS | {"second_connection", ""}))
ids_of_things = st.one_of(st.integers(1, 1000), integers)
# Around a warning's 200 characters (a short text repeated: long random texts are slow to make).
long_texts = st.builds(lambda text, length: (text * length)[:length], texts.filter(bool), st.integers(190, 210))
scalars = st.one_of(st.none(), st.booleans(), integers, st.floats(), texts, kinds, st.uuids().map(str), times)
keys = st.one_of(st.sampled_from(["type", *FIELDS]), texts)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=10
)
# Values of the right kind for each field, awkward ones among them.
FIELD_VALUES = {
    "id": st.one_of(st.uuids().map(str), texts, ids_of_things),
    "kind": kinds,
    "examinee": ids_of_things,
    "text": st.one_of(texts, long_texts),
    "minutes": integers,
    "client_ts": times,
    "duration_ms": integers,
    "thread": ids_of_things,
    "notice": ids_of_things,
}
FORMS = {**EXAMINEE_FRAMES, **PROCTOR_FRAMES, **INBOX_FRAMES}


def frame_of(frame_type: str):
    """A frame of this type with its form's fields, each there or not: these reach the services."""
    names = list(FORMS[frame_type].base_fields) if FORMS[frame_type] else []
    return st.fixed_dictionaries({"type": st.just(frame_type)}, optional={name: FIELD_VALUES[name] for name in names})


frames = st.builds(
    lambda extra, frame: extra | frame,
    st.dictionaries(keys, json_values, max_size=2),
    st.one_of(
        st.sampled_from(TYPES).flatmap(frame_of),
        st.fixed_dictionaries(
            {"type": st.one_of(st.sampled_from(TYPES), json_values)},
            optional={name: FIELD_VALUES[name] for name in FIELDS},
        ),
    ),
)


def deeply_nested(depth: int, opener: str, closer: str, frame_type: str) -> str:
    return f'{{"type": "{frame_type}", "pad": {opener * depth}{closer * depth}}}'


def spliced(text: str, at: int, piece: str) -> str:
    return text[:at] + piece + text[at:]


# JSON as a browser writes it (lone surrogates as \ud800 escapes) and with raw code points; NaN and
# Infinity appear as Python writes them. Then broken JSON, deep nesting, a BOM and any text at all.
frame_texts = st.one_of(
    st.builds(json.dumps, frames, ensure_ascii=st.booleans()),
    st.builds(spliced, st.builds(json.dumps, frames), st.integers(0, 80), texts),
    st.builds(
        deeply_nested,
        st.integers(1, 2040),
        st.sampled_from(["[", '{"a": [']),
        st.sampled_from(["]", "]}"]),
        st.sampled_from(TYPES),
    ),
    st.builds(lambda text: "\ufeff" + text, st.builds(json.dumps, frames)),
    st.text(characters, max_size=200),
)


# --- The property ------------------------------------------------------------------------------


def sendable(frame: dict) -> bytes:
    """What FrameConsumer.send_frame does, then the websocket's UTF-8 (where a lone surrogate failed)."""
    return json.dumps(frame, ensure_ascii=False, default=str).encode("utf-8")


def check(text: str) -> None:
    for known in ROUTES.values():
        try:
            frame_type, cleaned = validate(read_frame(text, None), known)
        except ServiceError as error:
            assert error.code in READER_CODES, error.code  # noqa: PT017 - a checker called per generated frame, not a test
            sendable({"type": "error", "code": error.code, "message": error.message})
            continue
        assert frame_type in known
        sendable(cleaned)
        if frame_type == "heartbeat":
            sendable({"type": "ack", "id": cleaned["id"]})
        if frame_type == "warn":
            sendable({"type": "warning", "text": cleaned["text"]})
        for value in cleaned.values():
            if isinstance(value, datetime.datetime):
                value.astimezone(datetime.UTC)
                timezone.localtime(value)
            if isinstance(value, int):
                assert -BIG_INTEGER <= value <= BIG_INTEGER


def test_the_reader_raises_only_documented_codes():
    assert documented_codes() >= READER_CODES


@FUZZ
@given(text=frame_texts)
def test_any_text_is_a_frame_or_a_client_error(text):
    check(text)


@hypothesis.settings(FUZZ, max_examples=200)
@given(frame=frames)
def test_frames_that_fit_are_a_frame_or_a_client_error(frame):
    """The same for frames that are within the size limit, so the forms see them."""
    text = json.dumps(frame, ensure_ascii=False)
    if len(text.encode("utf-8", "surrogatepass")) <= MAX_FRAME_BYTES:
        check(text)


VALID = {
    "heartbeat": {"id": "hb-1"},
    "signal": {"kind": "copy", "id": "7d1f4c2e-5b7a-4a59-9a53-0c1d2e3f4a5b", "client_ts": "2026-11-22T22:40:12+09:00"},
    "warn": {"examinee": 1, "text": "前を向きましょう"},
    "pause": {"examinee": 1},
    "resume": {"examinee": 1},
    "extend": {"examinee": 1, "minutes": 5},
    "delivered": {"id": 1},
    "read": {"thread": 1},
}


@pytest.mark.parametrize(
    ("frame_type", "name"), [(frame_type, name) for frame_type in VALID for name in FORMS[frame_type].base_fields]
)
@hypothesis.settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_any_value_of_any_field_is_a_frame_or_a_client_error(frame_type, name, data):
    """A valid frame with one field's value replaced: every value reaches its form (and, when it passes,
    what would go to the services), which random frames rarely do.
    """
    value = data.draw(st.one_of(FIELD_VALUES[name], json_values), label="value")
    check(json.dumps({"type": frame_type, **VALID[frame_type], name: value}, ensure_ascii=data.draw(st.booleans())))


@pytest.mark.parametrize("limit", [1000, 100_000], ids=["Python's default recursion limit", "a high one"])
def test_deep_nesting_is_refused_whatever_the_recursion_limit(limit):
    """json.loads raises RecursionError at Python's limit; under a higher one the depth check refuses."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        with pytest.raises(ServiceError) as raised:
            read_frame("[" * 2000 + "]" * 2000, None)
    finally:
        sys.setrecursionlimit(previous)
    assert raised.value.code == "bad_frame"


# --- Through the exam socket: a few examples, the same socket all along --------------------------


@pytest.fixture
async def pupil(settings, monkeypatch, examinee, proctored_session):
    """An examinee's socket whose rate limits let every fuzzed frame through."""
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    monkeypatch.setattr(ExamConsumer, "frame_limits", {"default": (10_000, 10_000)})
    sockets = ProctoringSockets()
    socket, _state = await sockets.examinee(examinee, proctored_session)
    yield socket
    await sockets.close_all()


@pytest.mark.django_db(transaction=True)
@hypothesis.settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(texts=st.lists(frame_texts, min_size=1, max_size=4))
async def test_the_exam_socket_survives_any_frames(pupil, texts):
    for text in texts:
        await pupil.send_input({"type": "websocket.receive", "text": text})  # send_to() refuses ""
    alive = f"alive-{uuid.uuid4()}"
    await pupil.send_json_to({"type": "heartbeat", "id": alive})
    while (frame := await receive(pupil)) != {"type": "ack", "id": alive}:
        assert frame["type"] in {"error", "ack", "state", "hand"}, frame
        if frame["type"] == "error":
            assert frame["code"] in READER_CODES, frame
