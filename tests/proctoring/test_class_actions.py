"""The proctor's class-wide commands, the pupil's raised hand and the teacher's acknowledgement,
and a pupil's standing time accommodation (docs/protocol.md §2, docs/design.md §4).

Through `config.asgi.application` like test_proctor_consumer.py: real sign-ins, real frames.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F

from classrooms.models import AuditEntry, Enrollment, User
from exams.models import Attempt
from exams.services import attempt_finish
from proctoring.models import Seat, Signal
from tests.conftest import enroll, make_user
from tests.proctoring.conftest import assert_numbered
from tests.websockets import db, receive, receive_type, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

FIVE = datetime.timedelta(minutes=5)


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def classmate(organization, school_class) -> User:
    user = make_user("hana-pupil", User.Role.EXAMINEE, organization, name="佐藤 花", kana="さとう はな")
    enroll(school_class, user, number=2)
    return user


@pytest.fixture
async def waiting(sockets, teacher, examinee, classmate, proctored_session):
    """The teacher's dashboard and two pupils in the waiting room, every connect frame read.
    Returns (proctor, {examinee id: pupil socket}, last seq).
    """
    proctor, _snapshot = await sockets.proctor(teacher, proctored_session)
    pupils = {}
    for who in (examinee, classmate):
        pupils[who.pk], _state = await sockets.examinee(who, proctored_session)
        arrived = await receive_type(proctor, "examinee")
    return proctor, pupils, arrived["seq"]


@pytest.fixture
async def running(waiting):
    """The two pupils answering: every frame of the start read. Returns (proctor, pupils, last seq)."""
    proctor, pupils, _seq = waiting
    await proctor.send_json_to({"type": "start"})
    for pupil in pupils.values():
        await receive_type(pupil, "state")
        assert await receive(pupil) == {"type": "session", "status": "running"}
    frames = await receive_until(proctor, lambda frame: frame["type"] == "session")
    return proctor, pupils, frames[-1]["seq"]


def attempts(session) -> dict[int, Attempt]:
    return {attempt.examinee_id: attempt for attempt in Attempt.objects.filter(session=session)}


def finish(attempt: Attempt) -> None:
    """The pupil hands in."""
    with transaction.atomic():
        attempt_finish(attempt=attempt, reason=Attempt.FinishReason.SUBMITTED)


def audit(action: str) -> list[dict]:
    return list(AuditEntry.objects.filter(action=action).order_by("id").values_list("details", flat=True))


async def tiles_of(proctor, count: int, after: int) -> tuple[dict[int, dict], int]:
    """The next `count` tile events, checked numbered from `after` + 1: ({examinee id: tile}, last seq)."""
    frames = [await receive(proctor) for _ in range(count)]
    assert {frame["type"] for frame in frames} == {"examinee"}, frames
    return {frame["examinee"]["id"]: frame["examinee"] for frame in frames}, assert_numbered(frames, after)


# --- pause_all, resume_all, extend_all -------------------------------------------------------------


async def test_pause_all_pauses_every_pupil_answering(running, examinee, classmate, proctored_session):
    proctor, pupils, seq = running

    await proctor.send_json_to({"type": "pause_all"})

    for pupil in pupils.values():
        assert await receive(pupil) == {"type": "paused"}
    tiles, _seq = await tiles_of(proctor, 2, after=seq)
    assert {tile["state"] for tile in tiles.values()} == {"paused"}
    found = await db(attempts, proctored_session)
    assert {attempt.status for attempt in found.values()} == {Attempt.Status.PAUSED}
    assert await db(audit, "session.pause_all") == [{"count": 2}]


async def test_pause_all_skips_pupils_it_does_not_apply_to(running, examinee, classmate, proctored_session):
    proctor, pupils, seq = running
    await proctor.send_json_to({"type": "pause", "examinee": classmate.pk})
    assert await receive(pupils[classmate.pk]) == {"type": "paused"}
    _tiles, seq = await tiles_of(proctor, 1, after=seq)

    await proctor.send_json_to({"type": "pause_all"})

    assert await receive(pupils[examinee.pk]) == {"type": "paused"}
    tiles, seq = await tiles_of(proctor, 1, after=seq)
    assert list(tiles) == [examinee.pk], "only the pupil still answering changed"
    # Nothing more: no error for the pupil already paused, no frame to them.
    await proctor.send_json_to({"type": "snapshot"})
    assert (await receive(proctor))["type"] == "snapshot"
    assert await pupils[classmate.pk].receive_nothing()
    assert await db(audit, "session.pause") == [{"examinee": "hana-pupil"}]
    assert await db(audit, "session.pause_all") == [{"count": 1}]


async def test_resume_all_resumes_every_paused_pupil_with_a_new_deadline(running, proctored_session):
    proctor, pupils, seq = running
    await proctor.send_json_to({"type": "pause_all"})
    for pupil in pupils.values():
        assert await receive(pupil) == {"type": "paused"}
    _tiles, seq = await tiles_of(proctor, 2, after=seq)
    before = await db(attempts, proctored_session)
    # Five minutes pass while paused (moved into the past rather than waited for).
    await db(
        Attempt.objects.filter(session=proctored_session).update,
        started_at=F("started_at") - FIVE,
        deadline=F("deadline") - FIVE,
        paused_at=F("paused_at") - FIVE,
    )

    await proctor.send_json_to({"type": "resume_all"})

    frames = {examinee_id: [await receive(pupil), await receive(pupil)] for examinee_id, pupil in pupils.items()}
    after = await db(attempts, proctored_session)
    for examinee_id, (resumed, state) in frames.items():
        assert resumed["type"] == "resumed"
        assert datetime.datetime.fromisoformat(resumed["deadline"]) == after[examinee_id].deadline
        assert (state["type"], state["attempt"]["status"]) == ("state", "running")
        assert state["attempt"]["remaining_ms"] > 9 * 60_000, "the five minutes paused are not lost"
        # The deadline moved by the time paused (five minutes and the moment the test took).
        assert after[examinee_id].deadline - (before[examinee_id].deadline - FIVE) >= FIVE
        assert after[examinee_id].status == Attempt.Status.RUNNING
    tiles, _seq = await tiles_of(proctor, 2, after=seq)
    assert {tile["state"] for tile in tiles.values()} == {"answering"}
    assert await db(audit, "session.resume_all") == [{"count": 2}]


async def test_extend_all_gives_every_pupil_extra_time(running, proctored_session):
    proctor, pupils, seq = running
    before = await db(attempts, proctored_session)

    await proctor.send_json_to({"type": "extend_all", "minutes": 10})

    for examinee_id, pupil in pupils.items():
        state = await receive(pupil)
        assert state["type"] == "state"
        expected = before[examinee_id].deadline + datetime.timedelta(minutes=10)
        assert datetime.datetime.fromisoformat(state["deadline"]) == expected
    tiles, _seq = await tiles_of(proctor, 2, after=seq)
    assert {tile["extra_minutes"] for tile in tiles.values()} == {10}
    assert {attempt.extra_minutes for attempt in (await db(attempts, proctored_session)).values()} == {10}
    assert await db(audit, "session.extend_all") == [{"minutes": 10, "count": 2}]


@pytest.mark.parametrize("frame", [{"type": "pause_all"}, {"type": "resume_all"}, {"type": "extend_all", "minutes": 5}])
async def test_class_wide_commands_need_a_running_test(waiting, frame):
    proctor, pupils, _seq = waiting

    await proctor.send_json_to(frame)

    error = await receive(proctor)
    assert (error["type"], error["code"]) == ("error", "not_running")
    for pupil in pupils.values():
        assert await pupil.receive_nothing()
    assert await db(audit, f"session.{frame['type']}") == []


@pytest.mark.parametrize("minutes", [0, 999, -1, 1.5, "10", None])
async def test_extra_time_for_the_class_out_of_bounds_is_invalid(running, proctored_session, minutes):
    proctor, pupils, _seq = running
    before = await db(attempts, proctored_session)

    await proctor.send_json_to({"type": "extend_all", "minutes": minutes})

    error = await receive(proctor)
    assert (error["type"], error["code"]) == ("error", "invalid")
    assert [a.deadline for a in (await db(attempts, proctored_session)).values()] == [
        a.deadline for a in before.values()
    ]
    for pupil in pupils.values():
        assert await pupil.receive_nothing()
    assert await db(audit, "session.extend_all") == []


# --- announce -------------------------------------------------------------------------------------


async def test_an_announcement_reaches_every_pupil(running):
    proctor, pupils, _seq = running

    await proctor.send_json_to({"type": "announce", "text": "  あと5分です  "})

    for pupil in pupils.values():
        assert await receive(pupil) == {"type": "announcement", "text": "あと5分です"}
    assert await db(audit, "session.announce") == [{}], "the words are not in the log"


async def test_an_announcement_reaches_the_waiting_room_too(waiting):
    proctor, pupils, _seq = waiting

    await proctor.send_json_to({"type": "announce", "text": "まもなく始めます"})

    for pupil in pupils.values():
        assert await receive(pupil) == {"type": "announcement", "text": "まもなく始めます"}


@pytest.mark.parametrize("text", ["", "   ", "あ" * 201, 5, None])
async def test_a_bad_announcement_is_invalid(running, text):
    proctor, pupils, _seq = running

    await proctor.send_json_to({"type": "announce", "text": text})

    error = await receive(proctor)
    assert (error["type"], error["code"]) == ("error", "invalid")
    for pupil in pupils.values():
        assert await pupil.receive_nothing()
    assert await db(audit, "session.announce") == []


async def test_an_announcement_of_200_characters_is_fine(running):
    proctor, pupils, _seq = running

    await proctor.send_json_to({"type": "announce", "text": "あ" * 200})

    for pupil in pupils.values():
        assert (await receive(pupil))["text"] == "あ" * 200


# --- The org admin watches only ---------------------------------------------------------------------


async def test_an_org_admin_may_send_none_of_the_new_commands(sockets, running, org_admin, examinee, proctored_session):
    proctor, pupils, _seq = running
    watcher, _snapshot = await sockets.proctor(org_admin, proctored_session)
    before = await db(attempts, proctored_session)

    for frame in (
        {"type": "announce", "text": "静かに"},
        {"type": "pause_all"},
        {"type": "resume_all"},
        {"type": "extend_all", "minutes": 5},
        {"type": "acknowledge", "examinee": examinee.pk},
    ):
        await watcher.send_json_to(frame)
        error = await receive(watcher)
        assert (error["type"], error["code"]) == ("error", "forbidden"), frame

    assert [(a.status, a.deadline) for a in (await db(attempts, proctored_session)).values()] == [
        (a.status, a.deadline) for a in before.values()
    ]
    for pupil in pupils.values():
        assert await pupil.receive_nothing()
    assert await proctor.receive_nothing()
    assert await db(AuditEntry.objects.filter(action__startswith="session.", actor=org_admin).count) == 0


# --- The raised hand and the acknowledgement -----------------------------------------------------


async def test_a_raised_hand_shows_on_the_tile_and_survives_a_reconnect(
    sockets, running, teacher, examinee, proctored_session
):
    proctor, pupils, seq = running
    pupil = pupils[examinee.pk]

    await pupil.send_json_to({"type": "hand"})

    assert await receive(pupil) == {"type": "hand", "raised": True}
    tiles, seq = await tiles_of(proctor, 1, after=seq)
    assert tiles[examinee.pk]["hand_raised"] is True
    assert await db(Seat.objects.filter(examinee=examinee, hand_raised_at__isnull=False).exists)

    # Again while it is up: confirmed, nothing new for the proctor.
    await pupil.send_json_to({"type": "hand"})
    assert await receive(pupil) == {"type": "hand", "raised": True}
    await proctor.send_json_to({"type": "snapshot"})
    snapshot = await receive(proctor)
    assert snapshot["seq"] == seq

    # A new dashboard (a reload, another device) sees it from the database.
    await proctor.disconnect()
    _again, snapshot = await sockets.proctor(teacher, proctored_session)
    hands = {tile["id"]: tile["hand_raised"] for tile in snapshot["examinees"]}
    assert hands[examinee.pk] is True
    assert list(hands.values()).count(True) == 1


async def test_the_pupils_page_opened_again_learns_the_call_is_still_waiting(
    sockets, running, examinee, proctored_session
):
    _proctor, pupils, _seq = running
    await pupils[examinee.pk].send_json_to({"type": "hand"})
    assert await receive(pupils[examinee.pk]) == {"type": "hand", "raised": True}
    await pupils[examinee.pk].disconnect()

    _again, state = await sockets.examinee(examinee, proctored_session)  # the attempt page, a reload

    assert state["type"] == "state"
    assert state["hand_raised"] is True


async def test_a_hand_raised_in_the_waiting_room(waiting, examinee):
    proctor, pupils, seq = waiting

    await pupils[examinee.pk].send_json_to({"type": "hand"})

    assert await receive(pupils[examinee.pk]) == {"type": "hand", "raised": True}
    tiles, _seq = await tiles_of(proctor, 1, after=seq)
    assert (tiles[examinee.pk]["state"], tiles[examinee.pk]["hand_raised"]) == ("waiting", True)


async def test_acknowledge_clears_attention_and_lowers_the_hand(running, examinee, proctored_session):
    proctor, pupils, seq = running
    pupil = pupils[examinee.pk]
    await pupil.send_json_to({"type": "signal", "kind": "tab_hidden", "id": str(uuid.uuid4())})
    assert (await receive(pupil))["type"] == "ack"
    signal = await receive(proctor)
    seq = assert_numbered([signal], after=seq)
    await pupil.send_json_to({"type": "hand"})
    assert await receive(pupil) == {"type": "hand", "raised": True}
    tiles, seq = await tiles_of(proctor, 1, after=seq)
    tile = tiles[examinee.pk]
    assert (tile["attention"], tile["hand_raised"]) == (1, True)
    assert [(flag["kind"], flag["new"]) for flag in tile["flags"]] == [("tab_hidden", True)]

    await proctor.send_json_to({"type": "acknowledge", "examinee": examinee.pk})

    assert await receive(pupil) == {"type": "hand", "raised": False}
    tiles, seq = await tiles_of(proctor, 1, after=seq)
    tile = tiles[examinee.pk]
    assert (tile["attention"], tile["hand_raised"]) == (0, False)
    assert [(flag["kind"], flag["count"], flag["new"]) for flag in tile["flags"]] == [("tab_hidden", 1, False)]
    assert await db(Signal.objects.filter(session=proctored_session, examinee=examinee).count) == 1, "kept"
    assert await db(audit, "session.acknowledge") == [{"examinee": "sakura-pupil"}]

    # A flag after the acknowledgement is new again.
    await db(
        Seat.objects.filter(session=proctored_session, examinee=examinee).update,
        flags_seen_at=F("flags_seen_at") - FIVE,
    )
    await pupil.send_json_to({"type": "signal", "kind": "copy", "id": str(uuid.uuid4())})
    assert (await receive(pupil))["type"] == "ack"
    await receive_type(proctor, "signal")
    await proctor.send_json_to({"type": "snapshot"})
    [tile] = [tile for tile in (await receive(proctor))["examinees"] if tile["id"] == examinee.pk]
    assert tile["attention"] == 2, "both flags are after the (moved back) acknowledgement"


async def test_acknowledging_an_examinee_of_another_class_is_not_found(
    running, examinee_of_other_class, proctored_session
):
    proctor, _pupils, _seq = running

    await proctor.send_json_to({"type": "acknowledge", "examinee": examinee_of_other_class.pk})

    assert (await receive(proctor))["code"] == "not_found"
    assert await db(audit, "session.acknowledge") == []


async def test_per_pupil_pause_and_resume_are_audited(running, examinee):
    proctor, pupils, _seq = running

    await proctor.send_json_to({"type": "pause", "examinee": examinee.pk})
    assert await receive(pupils[examinee.pk]) == {"type": "paused"}
    await proctor.send_json_to({"type": "resume", "examinee": examinee.pk})
    assert (await receive(pupils[examinee.pk]))["type"] == "resumed"

    assert await db(audit, "session.pause") == [{"examinee": "sakura-pupil"}]
    assert await db(audit, "session.resume") == [{"examinee": "sakura-pupil"}]


# --- The standing accommodation ----------------------------------------------------------------------


async def test_an_accommodation_of_one_and_a_half_gives_one_and_a_half_times_the_time(
    sockets, teacher, examinee, classmate, proctored_session
):
    await db(Enrollment.objects.filter(examinee=examinee).update, time_multiplier=Decimal("1.5"))
    proctor, snapshot = await sockets.proctor(teacher, proctored_session)
    accommodations = {tile["id"]: tile["accommodation"] for tile in snapshot["examinees"]}
    assert accommodations == {examinee.pk: 1.5, classmate.pk: None}
    pupil, _state = await sockets.examinee(examinee, proctored_session)
    await receive_type(proctor, "examinee")

    await proctor.send_json_to({"type": "start"})
    state = await receive_type(pupil, "state")

    attempt = await db(Attempt.objects.get, examinee=examinee)
    assert attempt.deadline - attempt.started_at == datetime.timedelta(minutes=15), "10 minutes × 1.5"
    assert attempt.extra_minutes == 0, "extra minutes are the proctor's, not the accommodation"
    assert 14 * 60_000 < state["attempt"]["remaining_ms"] <= 15 * 60_000

    # A late starter gets theirs too.
    await db(Enrollment.objects.filter(examinee=classmate).update, time_multiplier=Decimal("2"))
    await sockets.examinee(classmate, proctored_session)
    late = await db(Attempt.objects.get, examinee=classmate)
    assert late.deadline - late.started_at == datetime.timedelta(minutes=20), "10 minutes × 2"


async def test_extend_all_skips_a_pupil_who_handed_in(running, examinee, classmate, proctored_session):
    proctor, pupils, seq = running
    handed_in = await db(Attempt.objects.get, examinee=classmate)
    await db(finish, handed_in)
    assert (await receive_type(pupils[classmate.pk], "ended"))["reason"] == "submitted"
    seq = (await receive_until(proctor, lambda frame: frame["type"] == "examinee"))[-1]["seq"]

    await proctor.send_json_to({"type": "extend_all", "minutes": 5})

    assert (await receive(pupils[examinee.pk]))["type"] == "state"
    tiles, _seq = await tiles_of(proctor, 1, after=seq)
    assert list(tiles) == [examinee.pk]
    assert await pupils[classmate.pk].receive_nothing()
    await db(handed_in.refresh_from_db)
    assert handed_in.extra_minutes == 0
    assert await db(audit, "session.extend_all") == [{"minutes": 5, "count": 1}]


async def test_after_the_end_a_hand_is_refused(running, examinee, proctored_session):
    proctor, pupils, _seq = running
    await proctor.send_json_to({"type": "end"})
    assert (await receive_type(pupils[examinee.pk], "ended"))["reason"] == "session_ended"

    await pupils[examinee.pk].send_json_to({"type": "hand"})

    error = await receive_type(pupils[examinee.pk], "error")
    assert error["code"] == "ended"
    assert not await db(Seat.objects.filter(examinee=examinee, hand_raised_at__isnull=False).exists)
