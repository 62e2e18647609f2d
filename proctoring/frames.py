"""The frames proctoring clients may send (docs/protocol.md §2), validated by forms like any other
input, after sockets/frames.py has read them safely.
"""

from __future__ import annotations

from django import forms

from proctoring.models import Signal
from proctoring.services import MAX_ANNOUNCEMENT_LENGTH, MAX_EXTRA_MINUTES, MAX_WARNING_LENGTH


class ExamineeFrame(forms.Form):
    examinee = forms.IntegerField(min_value=1)


class WarnFrame(ExamineeFrame):
    text = forms.CharField(max_length=MAX_WARNING_LENGTH, strip=True)


class ExtendFrame(ExamineeFrame):
    minutes = forms.IntegerField(min_value=1, max_value=MAX_EXTRA_MINUTES)


class AnnounceFrame(forms.Form):
    text = forms.CharField(max_length=MAX_ANNOUNCEMENT_LENGTH, strip=True)


class ExtendAllFrame(forms.Form):
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
    "announce": AnnounceFrame,
    "pause_all": None,
    "resume_all": None,
    "extend_all": ExtendAllFrame,
    "acknowledge": ExamineeFrame,
}
EXAMINEE_FRAMES: dict[str, type[forms.Form] | None] = {
    "heartbeat": HeartbeatFrame,
    "signal": SignalFrame,
    "hand": None,
}
