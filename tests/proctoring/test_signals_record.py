"""signals_record: a batch of browser signals from many examinees stored together (docs/design.md §4, §10.2)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classrooms.models import User
from config.errors import ServiceError
from proctoring.models import ProctoredSession, Signal, SignalReceipt
from proctoring.services import SignalItem, signals_record
from tests.conftest import enroll, make_user


@pytest.fixture
def running(proctored_session):
    ProctoredSession.objects.filter(pk=proctored_session.pk).update(status=ProctoredSession.Status.RUNNING)
    proctored_session.refresh_from_db()
    return proctored_session


def pupils(session, count: int) -> list[User]:
    organization = session.school_class.organization
    people = [make_user(f"pupil-{n}", User.Role.EXAMINEE, organization) for n in range(count)]
    for person in people:
        enroll(session.school_class, person)
    return people


def items(session, people: list[User], kind: str = "focus_lost") -> list[SignalItem]:
    return [SignalItem(session_id=session.pk, examinee_id=p.pk, kind=kind, client_id=uuid.uuid4()) for p in people]


def statements(batch: list[SignalItem]) -> int:
    with CaptureQueriesContext(connection) as queries:
        signals_record(batch)
    return len(queries)


def test_a_batch_takes_as_many_statements_for_forty_examinees_as_for_two(running):
    people = pupils(running, 42)
    assert statements(items(running, people[:2])) == statements(items(running, people[2:]))


def test_each_item_gets_its_signal_in_order_and_the_session_numbers_them(running):
    people = pupils(running, 3)
    results = signals_record(items(running, people))
    assert [signal.examinee_id for signal in results] == [person.pk for person in people]
    assert Signal.objects.filter(session=running).count() == 3
    running.refresh_from_db()
    assert running.seq == 3


def test_a_burst_of_one_kind_is_one_row_with_its_count(running):
    [person] = pupils(running, 1)
    first, second = signals_record(items(running, [person, person], kind="copy"))
    assert first.pk == second.pk
    assert Signal.objects.get(pk=first.pk).count == 2
    assert SignalReceipt.objects.filter(signal=first).count() == 2


def test_a_resent_signal_stores_nothing_new(running):
    [person] = pupils(running, 1)
    batch = items(running, [person])
    [stored] = signals_record(batch)
    [again] = signals_record(batch)
    assert again.pk == stored.pk
    assert Signal.objects.get(pk=stored.pk).count == 1
    assert SignalReceipt.objects.filter(examinee=person).count() == 1


def test_an_ended_session_and_an_unknown_kind_are_refused_alone(running):
    [person] = pupils(running, 1)
    good, bad = signals_record(items(running, [person]) + items(running, [person], kind="teleport"))
    assert isinstance(good, Signal)
    assert isinstance(bad, ServiceError)
    assert bad.code == "bad_kind"
    ProctoredSession.objects.filter(pk=running.pk).update(status=ProctoredSession.Status.ENDED)
    [ended] = signals_record(items(running, [person]))
    assert isinstance(ended, ServiceError)
    assert ended.code == "ended"
