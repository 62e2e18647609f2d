"""A tile's `attention`: new flags that ask for the teacher's look (docs/design.md §4, docs/protocol.md)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from proctoring.live import tile
from proctoring.models import Seat, Signal

pytestmark = pytest.mark.django_db


def flag(session, examinee, kind: str) -> None:
    at = timezone.now() - datetime.timedelta(seconds=30)
    Signal.objects.create(session=session, examinee=examinee, kind=kind, at=at, last_at=at)


def test_back_to_normal_flags_are_shown_but_ask_for_no_attention(proctored_session, examinee, enrollment):
    flag(proctored_session, examinee, Signal.Kind.TAB_HIDDEN)
    for kind in sorted(Signal.RETURN_KINDS):
        flag(proctored_session, examinee, kind)

    found = tile(proctored_session, examinee.pk)

    assert {item["kind"] for item in found["flags"]} == {"tab_hidden", *Signal.RETURN_KINDS}
    assert all(item["new"] for item in found["flags"])
    assert found["attention"] == 1


def test_a_pupil_who_only_came_back_needs_no_attention(proctored_session, examinee, enrollment):
    Seat.objects.create(session=proctored_session, examinee=examinee)
    flag(proctored_session, examinee, Signal.Kind.FOCUS_RETURNED)

    assert tile(proctored_session, examinee.pk)["attention"] == 0
