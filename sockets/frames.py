"""Reading a client's frame (docs/protocol.md §2): never trusted, never fatal to the socket.

A frame is JSON text of at most MAX_FRAME_BYTES, an object with a string
`type`, at most MAX_DEPTH containers deep, without lone surrogates (JSON may
spell one as "\\ud800"; it cannot be encoded back to UTF-8, so echoing it would
kill the socket) and without the literals NaN and Infinity (Python reads
them; JSON has none). Anything else is a `ClientError`: an `error` frame, and
the socket stays open. Fields are then validated by a form per frame type,
with `strict_types` first, and cleaned times must be storable (`_storable`).
"""

from __future__ import annotations

import datetime
import json

from django import forms

MAX_FRAME_BYTES = 4096
MAX_DEPTH = 8
# JavaScript's Number.MAX_SAFE_INTEGER: no browser sends a larger integer exactly. A larger id (a
# frame holds ~4,000 digits) overflowed the database in a lookup (`examinee_id=`): `server_error`.
MAX_INTEGER = 2**53 - 1


class ClientError(Exception):
    """Turned into an `error` frame; the socket stays open."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


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
                raise ClientError("invalid", "Text must be valid Unicode (no lone surrogates).")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise ClientError("bad_frame", f"A frame nests at most {MAX_DEPTH} levels.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and not _encodable(key):
                    raise ClientError("invalid", "Text must be valid Unicode (no lone surrogates).")
                stack.append((item, depth + 1))


def _not_json(literal: str):
    raise ValueError(f"{literal} is not JSON")


def read_frame(text_data: str | None, bytes_data: bytes | None) -> dict:
    """The frame as a dict with a string `type`, or ClientError."""
    if text_data is None:
        raise ClientError("bad_frame", "Frames are JSON text.")
    if len(text_data) * 4 > MAX_FRAME_BYTES and len(text_data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise ClientError("too_large", f"A frame is at most {MAX_FRAME_BYTES} bytes.")
    try:
        data = json.loads(text_data, parse_constant=_not_json)
    except RecursionError:
        raise ClientError("bad_frame", f"A frame nests at most {MAX_DEPTH} levels.") from None
    except ValueError:
        raise ClientError("bad_json", "The frame is not valid JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ClientError("bad_frame", "A frame is a JSON object with a string `type`.")
    _check_shape(data)
    return data


def validate(data: dict, known: dict[str, type[forms.Form] | None]) -> tuple[str, dict]:
    """(type, cleaned fields) of a frame of one of the `known` types, or ClientError."""
    frame_type = data["type"]
    if frame_type not in known:
        raise ClientError("unknown_type", "Unknown frame type.")
    form_class = known[frame_type]
    if form_class is None:
        return frame_type, {}
    form = form_class(data)
    if not strict_types(data, form_class) or not form.is_valid() or not _storable(form.cleaned_data):
        raise ClientError("invalid", f"Invalid `{frame_type}` frame.")
    return frame_type, form.cleaned_data


def _storable(cleaned: dict) -> bool:
    """Times are stored in UTC and shown in local time: "0001-01-01T00:00:00+09:00" or a time late in
    9999 overflows one or the other (it failed a whole group commit of signals: `server_error`)."""
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
    Integers are at most MAX_INTEGER either way."""
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
