"""Operators' statistics identify no person: per organization and ISO week, small groups suppressed."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.metadata import MIN_PEOPLE, iso_week, weekly_statistics
from messaging.models import Message
from messaging.services import message_send, notice_send
from tests.conftest import enroll, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pupils(organization, school_class):
    people = []
    for number in range(1, 6):
        pupil = make_user(f"sakura-p{number}", "examinee", organization, name=f"生徒{number}号")
        enroll(school_class, pupil, number=number)
        people.append(pupil)
    return people


def this_week() -> str:
    return iso_week(timezone.now())


def test_a_week_of_fewer_than_five_people_is_suppressed(teacher, pupils):
    for pupil in pupils[:3]:  # the teacher and three pupils: four people
        message_send(by=teacher, recipient=pupil, body="x")

    [row] = weekly_statistics()

    assert (row.week, row.messages.count) == (this_week(), 3)
    assert row.messages.suppressed
    assert row.notices.count == 0


def test_five_people_are_shown_with_the_read_rate(teacher, pupils):
    messages = [message_send(by=teacher, recipient=pupil, body="x") for pupil in pupils[:4]]
    Message.objects.filter(pk=messages[0].pk).update(read_at=timezone.now())

    [row] = weekly_statistics()

    assert len(row.messages.people) == MIN_PEOPLE
    assert not row.messages.suppressed
    assert (row.messages.count, row.messages.read_rate) == (4, 25)


def test_notices_count_each_copy(teacher, pupils, school_class):
    notice_send(school_class=school_class, by=teacher, body="x")
    [row] = weekly_statistics()
    assert (row.notices.count, row.notices.read_rate, row.notices.suppressed) == (5, 0, False)


def test_weeks_and_organizations_are_separate_rows(teacher, pupils, foreign_teacher, foreign_examinee):
    old = message_send(by=teacher, recipient=pupils[0], body="x")
    Message.objects.filter(pk=old.pk).update(sent_at=timezone.now() - datetime.timedelta(days=7))
    message_send(by=teacher, recipient=pupils[1], body="x")
    message_send(by=foreign_teacher, recipient=foreign_examinee, body="x")

    rows = weekly_statistics()

    assert [(row.week, row.organization) for row in rows] == [
        (this_week(), "さくら小学校"),
        (this_week(), "みどり中学校"),
        (iso_week(timezone.now() - datetime.timedelta(days=7)), "さくら小学校"),
    ]
    assert all(row.messages.count == 1 for row in rows)


def test_the_page_shows_counts_and_suppresses_small_groups_without_naming_anyone(
    client_of, operator, teacher, pupils, foreign_teacher, foreign_examinee
):
    for pupil in pupils:
        message_send(by=teacher, recipient=pupil, body="x")
    message_send(by=foreign_teacher, recipient=foreign_examinee, body="x")

    page = client_of(operator).get(reverse("messaging:operator_statistics")).content.decode()

    assert "<td>5</td><td>0%</td>" in page
    assert f"fewer than {MIN_PEOPLE} people" in page
    for person in [teacher, *pupils, foreign_teacher, foreign_examinee]:
        assert person.name not in page
        assert person.login_id not in page
