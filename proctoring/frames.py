"""Validation of incoming websocket frames (docs/protocol.md), as forms like any other input."""

from __future__ import annotations

from django import forms

from proctoring.models import Signal
from proctoring.services import MAX_EXTRA_MINUTES, MAX_WARNING_LENGTH

MAX_FRAME_BYTES = 4096


class ExamineeFrame(forms.Form):
    examinee = forms.IntegerField(min_value=1)


class WarnFrame(ExamineeFrame):
    text = forms.CharField(max_length=MAX_WARNING_LENGTH, strip=True)


class ExtendFrame(ExamineeFrame):
    minutes = forms.IntegerField(min_value=1, max_value=MAX_EXTRA_MINUTES)


class SignalFrame(forms.Form):
    kind = forms.ChoiceField(choices=[(kind, kind) for kind in sorted(Signal.CLIENT_KINDS)])
    id = forms.UUIDField()
    client_ts = forms.DateTimeField(required=False)
    duration_ms = forms.IntegerField(required=False, min_value=0, max_value=24 * 60 * 60 * 1000)


class HeartbeatFrame(forms.Form):
    id = forms.CharField(required=False, max_length=64)


PROCTOR_FRAMES: dict[str, type[forms.Form] | None] = {
    "start": None,
    "end": None,
    "snapshot": None,
    "warn": WarnFrame,
    "pause": ExamineeFrame,
    "resume": ExamineeFrame,
    "extend": ExtendFrame,
}
EXAMINEE_FRAMES: dict[str, type[forms.Form] | None] = {"heartbeat": HeartbeatFrame, "signal": SignalFrame}


def strict_types(data: dict, form_class: type[forms.Form]) -> bool:
    """JSON values must be scalars of the right kind: forms would accept "5" for 5 and lists as text."""
    for name, field in form_class.base_fields.items():
        value = data.get(name)
        if value is None:
            continue
        if isinstance(field, forms.IntegerField) and (isinstance(value, bool) or not isinstance(value, int)):
            return False
        if not isinstance(field, forms.IntegerField) and not isinstance(value, str):
            return False
    return True
