"""/ws/proctor/<session_id>/: the proctor's live dashboard (docs/protocol.md).

Every test goes through `config.asgi.application`, so the real Origin check
and session authentication run, with the cookie of a real sign-in. Shared
helpers are in tests/websockets.py and tests/proctoring/conftest.py.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.sessions.models import Session
from django.db.models import F

from classrooms.models import User
from classrooms.services import user_set_active
from exams.models import Attempt
from exams.services import answer_save
from proctoring.access import get_seat_for_proctor
from proctoring.models import ProctoredSession, Seat
from proctoring.services import examinee_warn, session_end
from sockets.consumers import CLOSE_NOT_ALLOWED, CLOSE_SIGNED_OUT
from tests.proctoring.conftest import assert_numbered
from tests.websockets import (
    closed_with,
    db,
    joined_groups,
    receive,
    receive_type,
    receive_until,
    signed_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
async def room(sockets, teacher, examinee, proctored_session):
    """The teacher's dashboard and the examinee present in the waiting room, every connect frame read."""
    proctor, _snapshot = await sockets.proctor(teacher, proctored_session)
    pupil, _state = await sockets.examinee(examinee, proctored_session)
    arrived = await receive_type(proctor, "examinee")
    assert arrived["examinee"]["online"] is True
    return proctor, pupil, arrived["seq"]


@pytest.fixture
async def running(room, proctored_session):
    """The room after `start`: every frame of the start read. Returns (proctor, pupil, last seq, attempt)."""
    proctor, pupil, _seq = room
    await proctor.send_json_to({"type": "start"})
    state = await receive_type(pupil, "state")
    assert await receive(pupil) == {"type": "session", "status": "running"}
    frames = await receive_until(proctor, lambda frame: frame["type"] == "session")
    attempt = await db(Attempt.objects.get, pk=state["attempt"]["id"])
    return proctor, pupil, frames[-1]["seq"], attempt


# --- Connect: the snapshot ------------------------------------------------------------------


async def test_it_sends_a_snapshot_on_connect(sockets, teacher, examinee, proctored_session):
    _proctor, snapshot = await sockets.proctor(teacher, proctored_session)

    assert snapshot["seq"] == 0
    assert snapshot["session"] == {
        "id": proctored_session.pk,
        "status": "open",
        "exam": "読解テスト",
        "class": "5年1組",
        "started_at": None,
        "ended_at": None,
    }
    [tile] = snapshot["examinees"]
    assert tile == {
        "id": examinee.pk,
        "name": "鈴木 一郎",
        "number": 1,
        "online": False,
        "connections": 0,
        "offline_since": None,
        "state": "absent",
        "warnings": 0,
        "flags": [],
        "attention": 0,
        "hand_raised": False,
        "accommodation": None,
        "incidents": 0,
        "revoked": False,
        "attempt": None,
        "answered": 0,
        "total": 0,
        "deadline": None,
        "remaining_ms": None,
    }


async def test_an_examinee_arriving_is_a_numbered_tile(sockets, teacher, examinee, proctored_session):
    proctor, snapshot = await sockets.proctor(teacher, proctored_session)

    await sockets.examinee(examinee, proctored_session)

    frame = await receive(proctor)
    assert frame["type"] == "examinee"
    assert frame["seq"] == snapshot["seq"] + 1
    assert frame["examinee"]["id"] == examinee.pk
    assert (frame["examinee"]["online"], frame["examinee"]["state"]) == (True, "waiting")


async def test_a_snapshot_request_gets_the_current_picture(room, proctored_session):
    proctor, _pupil, seq = room

    await proctor.send_json_to({"type": "snapshot"})

    snapshot = await receive(proctor)
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == seq, "a snapshot is as new as the last event"
    [tile] = snapshot["examinees"]
    assert (tile["online"], tile["state"]) == (True, "waiting")


# --- start / end ---------------------------------------------------------------------------------


async def test_start_begins_an_attempt_for_the_examinee_present(room, examinee, proctored_session):
    proctor, pupil, seq = room

    await proctor.send_json_to({"type": "start"})

    state = await receive(pupil)
    assert state["type"] == "state"
    assert state["session"] == {"id": proctored_session.pk, "status": "running"}
    assert state["attempt"]["status"] == "running"
    assert 9 * 60_000 < state["attempt"]["remaining_ms"] <= 10 * 60_000
    assert await receive(pupil) == {"type": "session", "status": "running"}
    tile, session = await receive(proctor), await receive(proctor)
    assert (tile["type"], session["type"]) == ("examinee", "session")
    assert_numbered([tile, session], after=seq)
    assert tile["examinee"]["state"] == "answering"
    assert tile["examinee"]["attempt"] == state["attempt"]["id"]
    assert (tile["examinee"]["answered"], tile["examinee"]["total"]) == (0, 5)
    assert session["status"] == "running"
    attempt = await db(Attempt.objects.get, session=proctored_session, examinee=examinee)
    assert attempt.pk == state["attempt"]["id"]
    assert datetime.datetime.fromisoformat(state["deadline"]) == attempt.deadline
    assert "correct" not in json.dumps([state, tile]), "nothing about correct answers in a frame"


async def test_a_new_answer_is_a_small_numbered_progress_event(running, examinee):
    proctor, _pupil, seq, attempt = running

    await db(answer_save, attempt=attempt, position=0, choice=1, seq=1)
    await db(answer_save, attempt=attempt, position=0, choice=2, seq=2)  # changed, not new: nothing to say
    await db(answer_save, attempt=attempt, position=1, choice=0, seq=1)

    first, second = await receive(proctor), await receive(proctor)
    assert_numbered([first, second], after=seq)
    assert first == {"type": "progress", "examinee": examinee.pk, "answered": 1, "total": 5, "seq": seq + 1}
    assert (second["answered"], second["total"]) == (2, 5)
    await proctor.send_json_to({"type": "snapshot"})
    [tile] = (await receive_type(proctor, "snapshot"))["examinees"]
    assert tile["answered"] == 2, "the snapshot agrees"


async def test_start_twice_is_refused(running):
    proctor, _pupil, _seq, _attempt = running

    await proctor.send_json_to({"type": "start"})

    assert (await receive(proctor))["code"] == "not_open"


async def test_end_finishes_every_open_attempt(running, proctored_session):
    proctor, pupil, seq, attempt = running

    await proctor.send_json_to({"type": "end"})

    assert await receive(pupil) == {"type": "ended", "reason": "session_ended"}
    tile, session = await receive(proctor), await receive(proctor)
    assert_numbered([tile, session], after=seq)
    assert (tile["examinee"]["state"], tile["examinee"]["finish_reason"]) == ("submitted", "session_ended")
    assert session == {"type": "session", "status": "ended", "seq": seq + 2}
    await db(attempt.refresh_from_db)
    assert (attempt.status, attempt.finish_reason, attempt.score) == ("finished", "session_ended", 0)
    await db(proctored_session.refresh_from_db)
    assert proctored_session.status == ProctoredSession.Status.ENDED


async def test_end_tells_examinees_still_waiting(room, proctored_session):
    proctor, pupil, _seq = room

    await proctor.send_json_to({"type": "end"})

    assert await receive(pupil) == {"type": "ended", "reason": "session_ended"}
    assert (await receive_type(proctor, "session"))["status"] == "ended"


# --- warn ---------------------------------------------------------------------------------------


async def test_warn_sends_the_text_to_the_examinee(room, examinee):
    proctor, pupil, seq = room

    await proctor.send_json_to({"type": "warn", "examinee": examinee.pk, "text": " 前を向きましょう "})

    assert await receive(pupil) == {"type": "warning", "text": "前を向きましょう"}
    tile = await receive(proctor)
    assert_numbered([tile], after=seq)
    assert tile["examinee"]["warnings"] == 1


@pytest.mark.parametrize("text", ["あ" * 201, "   ", 5, None])
async def test_a_warning_that_is_too_long_empty_or_not_text_is_invalid(room, examinee, text):
    proctor, pupil, _seq = room

    await proctor.send_json_to({"type": "warn", "examinee": examinee.pk, "text": text})

    error = await receive(proctor)
    assert (error["type"], error["code"]) == ("error", "invalid")
    await proctor.send_json_to({"type": "warn", "examinee": examinee.pk, "text": "あ" * 200})
    assert await receive(pupil) == {"type": "warning", "text": "あ" * 200}, "the limit itself is fine"


async def test_a_warning_after_the_end_is_refused(room, examinee):
    proctor, pupil, _seq = room
    await proctor.send_json_to({"type": "end"})
    await receive_type(proctor, "session")
    assert (await receive(pupil))["type"] == "ended"

    await proctor.send_json_to({"type": "warn", "examinee": examinee.pk, "text": "静かに"})

    assert (await receive(proctor))["code"] == "ended"
    assert await db(Seat.objects.values_list("warnings", flat=True).get) == 0


async def test_warning_an_examinee_of_another_class_finds_nobody(room, examinee_of_other_class):
    proctor, _pupil, _seq = room

    await proctor.send_json_to({"type": "warn", "examinee": examinee_of_other_class.pk, "text": "静かに"})

    assert (await receive(proctor))["code"] == "not_found"


def test_two_warnings_given_at_once_both_count(proctored_session, teacher, examinee):
    """Two proctor tabs warn at the same moment: each loads the seat (as the consumer does), then warns.
    Played in that order here, so the test does not depend on thread timing.
    """
    Seat.objects.create(session=proctored_session, examinee=examinee)
    first_tab = get_seat_for_proctor(proctored_session, examinee.pk)
    second_tab = get_seat_for_proctor(proctored_session, examinee.pk)

    examinee_warn(session=proctored_session, seat=first_tab, text="一回目", by=teacher)
    examinee_warn(session=proctored_session, seat=second_tab, text="二回目", by=teacher)

    assert Seat.objects.get(session=proctored_session, examinee=examinee).warnings == 2


# --- pause / resume / extend ---------------------------------------------------------------------


async def test_pause_stops_the_clock_and_resume_starts_it_again(running, examinee):
    proctor, pupil, seq, attempt = running

    await proctor.send_json_to({"type": "pause", "examinee": examinee.pk})

    assert await receive(pupil) == {"type": "paused"}
    tile = await receive(proctor)
    seq = assert_numbered([tile], after=seq)
    assert tile["examinee"]["state"] == "paused"
    await db(attempt.refresh_from_db)
    assert attempt.status == Attempt.Status.PAUSED
    left_at_pause = attempt.deadline - attempt.paused_at

    # Five minutes pass while paused (moved into the past rather than waited for).
    five = datetime.timedelta(minutes=5)
    await db(
        Attempt.objects.filter(pk=attempt.pk).update,
        started_at=F("started_at") - five,
        deadline=F("deadline") - five,
        paused_at=F("paused_at") - five,
    )
    await proctor.send_json_to({"type": "snapshot"})
    [paused_tile] = (await receive(proctor))["examinees"]
    assert paused_tile["remaining_ms"] == int(left_at_pause.total_seconds() * 1000), "the clock stood still"

    await proctor.send_json_to({"type": "resume", "examinee": examinee.pk})

    resumed, state = await receive(pupil), await receive(pupil)
    assert resumed["type"] == "resumed"
    assert state["type"] == "state"
    assert resumed["deadline"] == state["deadline"]
    assert state["attempt"]["status"] == "running"
    left_after = datetime.timedelta(milliseconds=state["attempt"]["remaining_ms"])
    assert left_at_pause - datetime.timedelta(seconds=2) < left_after <= left_at_pause, "no time lost to the pause"
    tile = await receive(proctor)
    assert_numbered([tile], after=seq)
    assert tile["examinee"]["state"] == "answering"
    await db(attempt.refresh_from_db)
    assert attempt.paused_at is None


async def test_pausing_twice_or_resuming_a_running_attempt_is_refused(running, examinee):
    proctor, pupil, _seq, _attempt = running

    await proctor.send_json_to({"type": "resume", "examinee": examinee.pk})
    assert (await receive(proctor))["code"] == "not_paused"
    await proctor.send_json_to({"type": "pause", "examinee": examinee.pk})
    assert await receive(pupil) == {"type": "paused"}
    await proctor.send_json_to({"type": "pause", "examinee": examinee.pk})
    assert (await receive_type(proctor, "error"))["code"] == "not_running"


async def test_pausing_an_examinee_who_has_not_started_is_refused(room, examinee):
    proctor, _pupil, _seq = room

    await proctor.send_json_to({"type": "pause", "examinee": examinee.pk})

    assert (await receive(proctor))["code"] == "no_attempt"


async def test_extend_gives_extra_time(running, examinee):
    proctor, pupil, seq, attempt = running
    deadline = attempt.deadline

    await proctor.send_json_to({"type": "extend", "examinee": examinee.pk, "minutes": 15})

    state = await receive(pupil)
    assert state["type"] == "state"
    assert datetime.datetime.fromisoformat(state["deadline"]) == deadline + datetime.timedelta(minutes=15)
    assert state["attempt"]["remaining_ms"] > 24 * 60_000
    tile = await receive(proctor)
    assert_numbered([tile], after=seq)
    assert tile["examinee"]["extra_minutes"] == 15
    await db(attempt.refresh_from_db)
    assert (attempt.extra_minutes, attempt.deadline) == (15, deadline + datetime.timedelta(minutes=15))


@pytest.mark.parametrize("minutes", [0, 121, -5, 1.5, "10"])
async def test_extra_time_out_of_bounds_is_invalid(running, examinee, minutes):
    proctor, _pupil, _seq, attempt = running

    await proctor.send_json_to({"type": "extend", "examinee": examinee.pk, "minutes": minutes})

    assert (await receive(proctor))["code"] == "invalid"
    await db(attempt.refresh_from_db)
    assert attempt.extra_minutes == 0


# --- Frames that are not right: an error frame, and the socket stays open -------------------------

BAD_FRAMES = {
    "not JSON": ("{type: start", "bad_json"),
    "not an object": ('["start"]', "bad_frame"),
    "a string": ('"start"', "bad_frame"),
    "no type": ('{"examinee": 1}', "bad_frame"),
    "type not a string": ('{"type": 1}', "bad_frame"),
    "unknown type": ('{"type": "delete"}', "unknown_type"),
    "an examinee's frame": ('{"type": "heartbeat"}', "unknown_type"),
    "examinee as a string": ('{"type": "pause", "examinee": "5"}', "invalid"),
    "examinee as a boolean": ('{"type": "pause", "examinee": true}', "invalid"),
    "examinee as a list": ('{"type": "pause", "examinee": [5]}', "invalid"),
    "examinee missing": ('{"type": "pause"}', "invalid"),
    "examinee zero": ('{"type": "pause", "examinee": 0}', "invalid"),
    "over 4096 bytes": (json.dumps({"type": "snapshot", "pad": "x" * 4096}), "too_large"),
    "over 4096 bytes in fewer characters": (
        json.dumps({"type": "snapshot", "pad": "あ" * 1400}, ensure_ascii=False),
        "too_large",
    ),
}


@pytest.mark.parametrize(("text", "code"), list(BAD_FRAMES.values()), ids=list(BAD_FRAMES))
async def test_a_bad_frame_gets_an_error_and_the_socket_stays_open(room, text, code):
    proctor, _pupil, _seq = room

    await proctor.send_to(text_data=text)

    error = await receive(proctor)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    await proctor.send_json_to({"type": "snapshot"})
    assert (await receive(proctor))["type"] == "snapshot"


async def test_a_binary_frame_gets_an_error(room):
    proctor, _pupil, _seq = room

    await proctor.send_to(bytes_data=b'{"type": "snapshot"}')

    assert (await receive(proctor))["code"] == "bad_frame"
    await proctor.send_json_to({"type": "snapshot"})
    assert (await receive(proctor))["type"] == "snapshot"


async def test_a_frame_just_under_the_size_limit_is_read(room):
    proctor, _pupil, _seq = room
    text = json.dumps({"type": "snapshot", "pad": ""})
    text = json.dumps({"type": "snapshot", "pad": "x" * (4096 - len(text))})
    assert len(text.encode()) == 4096

    await proctor.send_to(text_data=text)

    assert (await receive(proctor))["type"] == "snapshot"


# --- The org admin watches --------------------------------------------------------------------------


async def test_an_org_admin_watches_read_only(sockets, org_admin, teacher, examinee, proctored_session):
    watcher, snapshot = await sockets.proctor(org_admin, proctored_session)
    assert snapshot["session"]["status"] == "open"

    for frame in ({"type": "start"}, {"type": "end"}, {"type": "warn", "examinee": examinee.pk, "text": "x"}):
        await watcher.send_json_to(frame)
        error = await receive(watcher)
        assert (error["type"], error["code"]) == ("error", "forbidden")
    await db(proctored_session.refresh_from_db)
    assert proctored_session.status == ProctoredSession.Status.OPEN

    proctor, _snapshot = await sockets.proctor(teacher, proctored_session)
    await proctor.send_json_to({"type": "start"})
    assert (await receive_type(watcher, "session"))["status"] == "running", "the admin sees what happens"
    await watcher.send_json_to({"type": "snapshot"})
    assert (await receive(watcher))["session"]["status"] == "running"


# --- Who may not connect ---------------------------------------------------------------------------


@pytest.fixture(
    params=["anonymous", "other_teacher", "examinee", "examinee_of_other_class", "foreign_teacher", "foreign_org_admin"]
)
def outsider(request) -> User | None:
    return None if request.param == "anonymous" else request.getfixturevalue(request.param)


async def test_an_outsider_is_refused_and_joins_no_group(sockets, layer, proctored_session, outsider):
    _socket, connected, code = await sockets.connect(f"/ws/proctor/{proctored_session.pk}/", outsider)

    assert connected is False
    assert code == CLOSE_NOT_ALLOWED
    assert joined_groups(layer) == {}


async def test_a_session_that_does_not_exist_is_refused(sockets, layer, teacher, proctored_session):
    _socket, connected, code = await sockets.connect(f"/ws/proctor/{proctored_session.pk + 1000}/", teacher)

    assert (connected, code) == (False, CLOSE_NOT_ALLOWED)
    assert joined_groups(layer) == {}


async def test_another_organizations_session_is_refused(sockets, layer, teacher, foreign_class, foreign_teacher, exam):
    foreign_session = await db(
        ProctoredSession.objects.create, school_class=foreign_class, exam=exam, teacher=foreign_teacher
    )

    _socket, connected, code = await sockets.connect(f"/ws/proctor/{foreign_session.pk}/", teacher)

    assert (connected, code) == (False, CLOSE_NOT_ALLOWED)
    assert joined_groups(layer) == {}


@pytest.mark.parametrize("origin", [b"http://evil.example", b"http://127.0.0.1.evil.example:8000", None])
async def test_a_foreign_or_missing_origin_is_refused(sockets, layer, teacher, proctored_session, origin):
    _socket, connected, _code = await sockets.connect(f"/ws/proctor/{proctored_session.pk}/", teacher, origin=origin)

    assert connected is False
    assert joined_groups(layer) == {}


async def test_the_proctor_joins_the_groups_it_needs(sockets, layer, teacher, proctored_session):
    await sockets.proctor(teacher, proctored_session)

    assert set(joined_groups(layer)) == {proctored_session.proctor_group, f"user.{teacher.pk}"}


# --- Signed out, suspended: the socket closes --------------------------------------------------------


async def test_suspending_the_proctor_closes_the_socket(sockets, teacher, org_admin, proctored_session):
    proctor, _snapshot = await sockets.proctor(teacher, proctored_session)

    await db(user_set_active, user=teacher, active=False, by=org_admin)

    assert await closed_with(proctor) == CLOSE_SIGNED_OUT


async def test_signing_out_closes_the_socket(sockets, teacher, proctored_session):
    client = await signed_in(teacher)
    proctor, _snapshot = await sockets.proctor(client, proctored_session)

    response = await db(client.post, "/logout/")

    assert response.status_code == 302
    assert await closed_with(proctor) == CLOSE_SIGNED_OUT


async def test_a_sign_out_whose_broadcast_was_lost_closes_the_socket_at_the_next_frame(
    sockets, teacher, proctored_session
):
    client = await signed_in(teacher)
    proctor, _snapshot = await sockets.proctor(client, proctored_session)
    await db(Session.objects.all().delete)  # the session ended elsewhere; nobody told the socket

    await proctor.send_json_to({"type": "start"})

    assert await closed_with(proctor) == CLOSE_SIGNED_OUT
    assert await db(ProctoredSession.objects.filter(status="open").exists), "the frame was not acted on"


async def test_a_password_change_elsewhere_closes_the_socket_at_the_next_frame(sockets, teacher, proctored_session):
    proctor, _snapshot = await sockets.proctor(teacher, proctored_session)
    teacher.set_password("a-new-and-long-password")
    await db(teacher.save)  # every session signed with the old password hash is void

    await proctor.send_json_to({"type": "snapshot"})

    assert await closed_with(proctor) == CLOSE_SIGNED_OUT


async def test_a_suspension_whose_broadcast_was_lost_closes_the_socket_at_the_next_frame(
    sockets, teacher, proctored_session
):
    proctor, _snapshot = await sockets.proctor(teacher, proctored_session)
    await db(User.objects.filter(pk=teacher.pk).update, is_active=False)  # no broadcast at all

    await proctor.send_json_to({"type": "start"})

    assert await closed_with(proctor) == CLOSE_SIGNED_OUT
    await db(proctored_session.refresh_from_db)
    assert proctored_session.status == ProctoredSession.Status.OPEN


async def test_an_ended_session_can_still_be_watched(sockets, teacher, proctored_session):
    await db(session_end, session=proctored_session, by=teacher)

    _proctor, snapshot = await sockets.proctor(teacher, proctored_session)

    assert snapshot["session"]["status"] == "ended"
