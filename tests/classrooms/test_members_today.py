"""Who an organization's screens may name: its members today, nobody else (docs/design.md §7).

`members_today` decides it for the audit log, the transfer list, the session
report and incident list, and the messaging log; anyone it leaves out is shown
under that screen's neutral label ("former member", "Transferred examinee").
"""

from __future__ import annotations

import datetime

import pytest

from classrooms.access import members_today
from classrooms.models import Membership
from classrooms.schoolyear import today

pytestmark = pytest.mark.django_db


def test_only_members_today_are_named(organization, teacher, other_teacher, examinee, foreign_teacher, operator):
    # The examinee's transfer took effect today; the colleague's takes effect tomorrow.
    Membership.objects.filter(user=examinee).update(ends_on=today())
    Membership.objects.filter(user=other_teacher).update(ends_on=today() + datetime.timedelta(days=1))
    people = [teacher.pk, other_teacher.pk, examinee.pk, foreign_teacher.pk, operator.pk, None]

    named = members_today(organization, people)

    assert teacher.pk in named
    assert other_teacher.pk in named
    assert examinee.pk not in named  # departed: the old school gets the neutral label from the date on
    assert foreign_teacher.pk not in named
    assert operator.pk not in named
    assert named == {teacher.pk, other_teacher.pk}
