r"""Reading a client's frame (docs/protocol.md §2): never trusted, never fatal to the socket.

A frame is JSON text of at most MAX_FRAME_BYTES, an object with a string
`type`, at most MAX_DEPTH containers deep, without lone surrogates (JSON may
spell one as "\ud800"; it cannot be encoded back to UTF-8, so echoing it would
kill the socket) and without the literals NaN and Infinity (Python reads
them; JSON has none). Anything else is a `ServiceError`: an `error` frame, and
the socket stays open. Fields are then validated by a form per frame type,
with `strict_types` first, and cleaned times must be storable (`_storable`).
"""

from __future__ import annotations

import datetime
import json

from django import forms

from config.errors import ServiceError

MAX_FRAME_BYTES = 4096
MAX_DEPTH = 8
# JavaScript's Number.MAX_SAFE_INTEGER: no browser sends a larger integer exactly. A larger id (a
# frame holds ~4,000 digits) overflowed the database in a lookup (`examinee_id=`): `server_error`.
MAX_INTEGER = 2**53 - 1


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_shape(data) -> None:
    """Depth and text of every value, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _encodable(value):
                raise ServiceError("Text must be valid Unicode (no lone surrogates).", code="invalid")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ServiceError(f"A frame nests at most {MAX_DEPTH} levels.", code="bad_frame")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and not _encodable(key):
                    raise ServiceError("Text must be valid Unicode (no lone surrogates).", code="invalid")
                stack.append((item, depth + 1))


def _not_json(literal: str):
    raise ValueError(f"{literal} is not JSON")


def read_frame(text_data: str | None, bytes_data: bytes | None) -> dict:
    """The frame as a dict with a string `type`, or ServiceError."""
    if text_data is None:
        raise ServiceError("Frames are JSON text.", code="bad_frame")
    if len(text_data) * 4 > MAX_FRAME_BYTES and len(text_data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise ServiceError(f"A frame is at most {MAX_FRAME_BYTES} bytes.", code="too_large")
    try:
        data = json.loads(text_data, parse_constant=_not_json)
    except RecursionError:
        raise ServiceError(f"A frame nests at most {MAX_DEPTH} levels.", code="bad_frame") from None
    except ValueError:
        raise ServiceError("The frame is not valid JSON.", code="bad_json") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ServiceError("A frame is a JSON object with a string `type`.", code="bad_frame")
    _check_shape(data)
    return data


def validate(data: dict, known: dict[str, type[forms.Form] | None]) -> tuple[str, dict]:
    """(type, cleaned fields) of a frame of one of the `known` types, or ServiceError."""
    frame_type = data["type"]
    if frame_type not in known:
        raise ServiceError("Unknown frame type.", code="unknown_type")
    form_class = known[frame_type]
    if form_class is None:
        return frame_type, {}
    form = form_class(data)
    if not strict_types(data, form_class) or not form.is_valid() or not _storable(form.cleaned_data):
        raise ServiceError(f"Invalid `{frame_type}` frame.", code="invalid")
    return frame_type, form.cleaned_data


def _storable(cleaned: dict) -> bool:
    """Times are stored in UTC and shown in local time: "0001-01-01T00:00:00+09:00" or a time late in
    9999 overflows one or the other (it failed a whole group commit of signals: `server_error`).
    """
    for value in cleaned.values():
        if isinstance(value, datetime.datetime):
            try:
                if not 2 <= value.astimezone(datetime.UTC).year <= 9998:
                    return False
            except OverflowError:
                return False
    return True


def strict_types(data: dict, form_class: type[forms.Form]) -> bool:
    """JSON values must be scalars of the right kind: forms would accept "5" for 5 and lists as text.
    Integers are at most MAX_INTEGER either way.
    """
    for name, field in form_class.base_fields.items():
        value = data.get(name)
        if value is None:
            continue
        if isinstance(field, forms.IntegerField) and (
            isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INTEGER
        ):
            return False
        if not isinstance(field, forms.IntegerField) and not isinstance(value, str):
            return False
    return True
