"""/ws/exam/<session_id>/: the examinee's socket, their signals and their presence (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import datetime
import json
import threading
import time
import uuid
from functools import partial

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone

from classrooms.models import User
from classrooms.services import user_set_active
from proctoring import presence, services
from proctoring.models import Connection, Seat, Signal
from sockets import process
from sockets.consumers import CLOSE_NOT_ALLOWED, CLOSE_SIGNED_OUT, CLOSE_SILENT
from sockets.executor import run_db
from sockets.models import ServerProcess
from tests.conftest import enroll, make_user
from tests.proctoring.conftest import assert_numbered
from tests.websockets import (
    IN_MEMORY_LAYER,
    TIMEOUT,
    closed_with,
    db,
    joined_groups,
    receive,
    receive_type,
    receive_until,
    signed_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def classmate(organization, school_class) -> User:
    user = make_user("sakura-pupil3", User.Role.EXAMINEE, organization, name="高橋 三郎")
    enroll(school_class, user, number=2)
    return user


@pytest.fixture
async def watched(sockets, teacher, proctored_session):
    """The teacher's dashboard, open before anyone arrives. Returns (proctor, snapshot seq)."""
    proctor, snapshot = await sockets.proctor(teacher, proctored_session)
    return proctor, snapshot["seq"]


@pytest.fixture
async def room(watched, sockets, examinee, proctored_session):
    """The dashboard and the examinee in the waiting room, every connect frame read.
    Returns (proctor, pupil, last seq).
    """
    proctor, _seq = watched
    pupil, _state = await sockets.examinee(examinee, proctored_session)
    arrived = await receive_type(proctor, "examinee")
    return proctor, pupil, arrived["seq"]


def signal(kind: str = "focus_lost", **fields) -> dict:
    return {"type": "signal", "kind": kind, "id": str(uuid.uuid4()), **fields}


async def heartbeat_ack(socket, ack_id: str = "hb", timeout: float = TIMEOUT) -> list[dict]:
    """Send a heartbeat with an id and read up to its ack: frames are answered in order."""
    await socket.send_json_to({"type": "heartbeat", "id": ack_id})
    return await receive_until(socket, lambda frame: frame == {"type": "ack", "id": ack_id}, timeout)


# --- Connect: the state ---------------------------------------------------------------------


async def test_it_sends_the_state_on_connect(sockets, layer, examinee, proctored_session):
    _pupil, state = await sockets.examinee(examinee, proctored_session)

    assert state == {
        "type": "state",
        "session": {"id": proctored_session.pk, "status": "open"},
        "attempt": None,
        "deadline": None,
        "hand_raised": False,
    }
    assert await db(Seat.objects.filter(session=proctored_session, examinee=examinee).exists)
    assert await db(Connection.objects.filter(seat__examinee=examinee).count) == 1
    assert set(joined_groups(layer)) == {
        proctored_session.examinees_group,
        proctored_session.examinee_group(examinee.pk),
        f"user.{examinee.pk}",
    }


async def test_a_late_examinee_joins_the_running_test(watched, sockets, teacher, examinee, proctored_session):
    proctor, seq = watched
    await proctor.send_json_to({"type": "start"})
    session_frame = await receive(proctor)
    seq = assert_numbered([session_frame], after=seq)

    _pupil, state = await sockets.examinee(examinee, proctored_session)

    assert state["session"]["status"] == "running"
    assert state["attempt"]["status"] == "running"
    assert 9 * 60_000 < state["attempt"]["remaining_ms"] <= 10 * 60_000
    tile = await receive(proctor)
    assert_numbered([tile], after=seq)
    assert (tile["examinee"]["state"], tile["examinee"]["attempt"]) == ("answering", state["attempt"]["id"])


async def test_coming_back_after_the_deadline_finds_the_attempt_handed_in(sockets, examinee, proctored_session):
    pupil, _state = await sockets.examinee(examinee, proctored_session)
    await db(services.session_start, session=proctored_session, by=proctored_session.teacher)
    attempt_id = (await receive_type(pupil, "state"))["attempt"]["id"]
    await pupil.disconnect()
    from exams.models import Attempt

    await db(Attempt.objects.filter(pk=attempt_id).update, deadline=timezone.now() - datetime.timedelta(seconds=5))

    _pupil, state = await sockets.examinee(examinee, proctored_session)

    assert state["attempt"] == {"id": attempt_id, "status": "finished", "remaining_ms": 0}
    attempt = await db(Attempt.objects.get, pk=attempt_id)
    assert (attempt.finish_reason, attempt.finished_at) == ("deadline", attempt.deadline)


# --- heartbeat ---------------------------------------------------------------------------------


async def test_a_heartbeat_is_acknowledged_without_the_database(room, settings):
    _proctor, pupil, _seq = room
    settings.LIVE_RECHECK_SECONDS = 3600  # no re-check of the account due now
    release = threading.Event()
    blocked = [asyncio.ensure_future(run_db(release.wait, 30)) for _ in range(settings.LIVE_DB_THREADS)]
    try:
        await pupil.send_json_to({"type": "heartbeat"})
        frames = await heartbeat_ack(pupil, "hb-2", timeout=5)  # every database thread is busy meanwhile
    finally:
        release.set()
        await asyncio.gather(*blocked)

    assert frames == [{"type": "ack", "id": "hb-2"}], "a heartbeat without an id gets no answer"


# --- signal -----------------------------------------------------------------------------------------


async def test_a_signal_is_stored_before_the_proctor_hears_of_it(room, examinee, proctored_session):
    proctor, pupil, seq = room
    frame = signal("tab_hidden", client_ts="2026-11-20T10:00:00+09:00", duration_ms=3500)

    await pupil.send_json_to(frame)

    announced = await receive(proctor)
    stored = await db(Signal.objects.get, session=proctored_session, client_id=frame["id"])  # there already
    assert announced == {
        "type": "signal",
        "examinee": examinee.pk,
        "kind": "tab_hidden",
        "id": frame["id"],
        "at": stored.at.isoformat(),
        "last_at": stored.last_at.isoformat(),
        "count": 1,
        "duration_ms": 3500,
        "from_server": False,
        "seq": seq + 1,
    }
    assert (stored.examinee_id, stored.kind, stored.from_server) == (examinee.pk, "tab_hidden", False)
    assert stored.client_ts == datetime.datetime(2026, 11, 20, 1, 0, tzinfo=datetime.UTC)
    assert await receive(pupil) == {"type": "ack", "id": frame["id"]}


async def test_a_resent_signal_is_stored_once(room, proctored_session):
    proctor, pupil, seq = room
    frame = signal("copy")

    await pupil.send_json_to(frame)
    await pupil.send_json_to(frame)
    await pupil.send_json_to(later := signal("paste"))

    acks = [await receive(pupil) for _ in range(3)]
    assert acks == [{"type": "ack", "id": frame["id"]}] * 2 + [{"type": "ack", "id": later["id"]}]
    first, second = await receive(proctor), await receive(proctor)
    assert (first["id"], second["id"]) == (frame["id"], later["id"]), "the resend was not announced again"
    assert_numbered([first, second], after=seq)
    rows = await db(lambda: list(Signal.objects.filter(session=proctored_session).values_list("kind", "count")))
    assert rows == [("copy", 1), ("paste", 1)]


async def test_a_resent_signal_that_joined_a_burst_is_stored_once(room, proctored_session):
    _proctor, pupil, _seq = room
    first, second = signal("focus_lost"), signal("focus_lost")

    for frame in (first, second, second):  # the second one's ack was lost: the browser sends it again
        await pupil.send_json_to(frame)
    acks = await receive_until(pupil, lambda frame: frame == {"type": "ack", "id": second["id"]})
    await receive_until(pupil, lambda frame: frame == {"type": "ack", "id": second["id"]})
    assert acks[0] == {"type": "ack", "id": first["id"]}

    rows = await db(lambda: list(Signal.objects.filter(session=proctored_session).values_list("kind", "count")))
    assert rows == [("focus_lost", 2)]


async def test_a_burst_of_one_kind_is_one_grouped_signal(room, examinee, proctored_session):
    proctor, pupil, seq = room
    burst = [signal("focus_lost") for _ in range(20)]

    for frame in burst:
        await pupil.send_json_to(frame)

    answers = await receive_until(pupil, lambda frame: frame.get("id") == burst[-1]["id"])
    assert answers == [{"type": "ack", "id": frame["id"]} for frame in burst], "all 20 fit in the burst allowance"
    announced = [await receive(proctor) for _ in burst]
    assert_numbered(announced, after=seq)
    assert {frame["id"] for frame in announced} == {burst[0]["id"]}, "one flag on the dashboard"
    assert [frame["count"] for frame in announced] == list(range(1, 21))
    [row] = await db(lambda: list(Signal.objects.filter(session=proctored_session)))
    assert (row.kind, row.count, row.examinee_id) == ("focus_lost", 20, examinee.pk)


async def test_a_flood_of_signals_is_rate_limited_and_the_socket_survives(room, sockets, classmate, proctored_session):
    proctor, pupil, _seq = room
    started = time.monotonic()

    for _ in range(200):
        await pupil.send_json_to(signal("context_menu"))
    await asyncio.sleep(1)  # a token again for the last one, which is answered after all before it
    await pupil.send_json_to(last := signal("context_menu"))
    frames = await receive_until(pupil, lambda frame: frame.get("id") == last["id"], timeout=60)

    elapsed = time.monotonic() - started
    acks = [frame for frame in frames if frame["type"] == "ack"]
    errors = [frame for frame in frames if frame["type"] == "error"]
    assert {frame["code"] for frame in errors} == {"rate_limited"}
    assert 1 <= len(errors) <= elapsed + 1, "one error a second is enough to say so"
    assert 20 <= len(acks) <= 20 + 5 * elapsed + 1, "a burst of 20, then 5 a second"
    stored = await db(lambda: Signal.objects.filter(session=proctored_session).aggregate(n=Sum("count"))["n"])
    assert stored == len(acks), "what was acknowledged was stored, what was dropped was not"

    other, _state = await sockets.examinee(classmate, proctored_session)
    await other.send_json_to(theirs := signal("print"))
    assert await receive(other) == {"type": "ack", "id": theirs["id"]}
    announced = await receive_until(proctor, lambda frame: frame.get("id") == theirs["id"])
    assert announced[-1]["examinee"] == classmate.pk


async def test_a_flood_of_heartbeats_is_limited_without_silencing_signals(room):
    _proctor, pupil, _seq = room
    started = time.monotonic()

    for number in range(30):
        await pupil.send_json_to({"type": "heartbeat", "id": f"hb{number}"})
    await pupil.send_json_to(theirs := signal("copy"))
    frames = await receive_until(pupil, lambda frame: frame == {"type": "ack", "id": theirs["id"]})

    elapsed = time.monotonic() - started
    heartbeat_acks = [frame for frame in frames if frame["type"] == "ack" and frame["id"].startswith("hb")]
    assert 5 <= len(heartbeat_acks) <= 5 + elapsed + 1, "a burst of 5 heartbeats, then one a second"
    assert {frame["code"] for frame in frames if frame["type"] == "error"} == {"rate_limited"}


# --- Frames that are not right --------------------------------------------------------------------

BAD_FRAMES = {
    "not JSON": ("heartbeat", "bad_json"),
    "not an object": ("[]", "bad_frame"),
    "no type": ('{"id": "x"}', "bad_frame"),
    "a proctor's frame": ('{"type": "start"}', "unknown_type"),
    "unknown kind": (json.dumps(signal("screenshot")), "invalid"),
    "a server's kind": (json.dumps(signal("second_connection")), "invalid"),
    "kind not a string": (json.dumps(signal(5)), "invalid"),
    "id not a uuid": (json.dumps(signal() | {"id": "1234"}), "invalid"),
    "id missing": ('{"type": "signal", "kind": "copy"}', "invalid"),
    "duration as a string": (json.dumps(signal(duration_ms="5")), "invalid"),
    "negative duration": (json.dumps(signal(duration_ms=-1)), "invalid"),
    "duration as a boolean": (json.dumps(signal(duration_ms=True)), "invalid"),
    "client_ts not a time": (json.dumps(signal(client_ts="yesterday")), "invalid"),
    "client_ts a number": (json.dumps(signal(client_ts=1700000000)), "invalid"),
    "heartbeat id a number": ('{"type": "heartbeat", "id": 7}', "invalid"),
    "over 4096 bytes": (json.dumps(signal() | {"pad": "x" * 4096}), "too_large"),
}


@pytest.mark.parametrize(("text", "code"), list(BAD_FRAMES.values()), ids=list(BAD_FRAMES))
async def test_a_bad_frame_gets_an_error_and_the_socket_stays_open(sockets, examinee, proctored_session, text, code):
    pupil, _state = await sockets.examinee(examinee, proctored_session)

    await pupil.send_to(text_data=text)

    error = await receive(pupil)
    assert (error["type"], error["code"]) == ("error", code)
    assert await heartbeat_ack(pupil) == [{"type": "ack", "id": "hb"}]
    assert not await db(Signal.objects.exists)


# --- Who may not connect ----------------------------------------------------------------------------


@pytest.fixture(
    params=["anonymous", "teacher", "org_admin", "examinee_of_other_class", "foreign_examinee", "foreign_teacher"]
)
def outsider(request) -> User | None:
    return None if request.param == "anonymous" else request.getfixturevalue(request.param)


async def test_an_outsider_is_refused_and_joins_no_group(sockets, layer, proctored_session, outsider):
    _socket, connected, code = await sockets.connect(f"/ws/exam/{proctored_session.pk}/", outsider)

    assert (connected, code) == (False, CLOSE_NOT_ALLOWED)
    assert joined_groups(layer) == {}
    assert not await db(Seat.objects.exists)


async def test_a_session_that_does_not_exist_is_refused(sockets, layer, examinee, proctored_session):
    _socket, connected, code = await sockets.connect(f"/ws/exam/{proctored_session.pk + 1000}/", examinee)

    assert (connected, code) == (False, CLOSE_NOT_ALLOWED)
    assert joined_groups(layer) == {}


async def test_an_ended_session_is_refused(sockets, layer, examinee, teacher, proctored_session):
    await db(services.session_end, session=proctored_session, by=teacher)

    _socket, connected, code = await sockets.connect(f"/ws/exam/{proctored_session.pk}/", examinee)

    assert (connected, code) == (False, CLOSE_NOT_ALLOWED)
    assert joined_groups(layer) == {}


async def test_a_signal_after_the_end_is_refused_and_not_stored(room, teacher, proctored_session):
    _proctor, pupil, _seq = room
    await db(services.session_end, session=proctored_session, by=teacher)
    await receive_type(pupil, "ended")

    await pupil.send_json_to(signal("copy"))

    error = await receive_type(pupil, "error")
    assert error["code"] == "ended"
    assert not await db(Signal.objects.filter(kind="copy").exists)


async def test_an_examinee_who_left_the_class_is_refused(sockets, layer, examinee, enrollment, proctored_session):
    from classrooms.schoolyear import today

    await db(type(enrollment).objects.filter(pk=enrollment.pk).update, ends_on=today())

    _socket, connected, code = await sockets.connect(f"/ws/exam/{proctored_session.pk}/", examinee)

    assert (connected, code) == (False, CLOSE_NOT_ALLOWED)


async def test_a_foreign_origin_is_refused(sockets, layer, examinee, proctored_session):
    _socket, connected, _code = await sockets.connect(
        f"/ws/exam/{proctored_session.pk}/", examinee, origin=b"http://evil.example"
    )

    assert connected is False
    assert joined_groups(layer) == {}
    assert not await db(Seat.objects.exists)


# --- Signed out, suspended ------------------------------------------------------------------------------


async def test_suspending_the_examinee_closes_the_socket(room, examinee, teacher):
    _proctor, pupil, _seq = room

    await db(user_set_active, user=examinee, active=False, by=teacher)

    assert await closed_with(pupil) == CLOSE_SIGNED_OUT


async def test_signing_out_closes_every_socket_of_the_examinee(sockets, examinee, proctored_session):
    client = await signed_in(examinee)
    pupil, _state = await sockets.examinee(client, proctored_session)
    other_tab, _state = await sockets.examinee(examinee, proctored_session)

    response = await db(client.post, "/logout/")

    assert response.status_code == 302
    assert await closed_with(pupil) == CLOSE_SIGNED_OUT
    assert await closed_with(other_tab) == CLOSE_SIGNED_OUT


async def test_a_suspended_examinees_next_frame_after_the_recheck_bound_closes_the_socket(room, examinee, settings):
    _proctor, pupil, _seq = room
    await db(User.objects.filter(pk=examinee.pk).update, is_active=False)  # the broadcast was lost
    settings.LIVE_RECHECK_SECONDS = 0  # the bound has passed

    await pupil.send_json_to(signal())

    assert await closed_with(pupil) == CLOSE_SIGNED_OUT
    assert not await db(Signal.objects.exists)


async def test_a_heartbeat_is_answered_at_once_and_a_due_recheck_follows_it(room, examinee, settings):
    _proctor, pupil, _seq = room
    await db(User.objects.filter(pk=examinee.pk).update, is_active=False)  # the broadcast was lost
    settings.LIVE_RECHECK_SECONDS = 0

    await pupil.send_json_to({"type": "heartbeat", "id": "hb-9"})

    assert await receive(pupil) == {"type": "ack", "id": "hb-9"}
    assert await closed_with(pupil) == CLOSE_SIGNED_OUT


def socket_of(examinee_id: int):
    """The consumer of this process holding the examinee's socket."""
    channel_name = Connection.objects.values_list("channel_name", flat=True).get(seat__examinee_id=examinee_id)
    return process._ticker.open[channel_name]


async def test_the_tick_closes_a_suspended_examinees_idle_socket_once_its_check_is_due(room, examinee):
    _proctor, pupil, _seq = room
    consumer = await db(socket_of, examinee.pk)
    await db(User.objects.filter(pk=examinee.pk).update, is_active=False)  # the broadcast was lost
    await process.tick_now()
    assert pupil.output_queue.empty(), "not due yet: checked when it connected"

    consumer.checked_at -= 30  # the bound has passed; no frame came meanwhile
    await process.tick_now()

    assert await closed_with(pupil) == CLOSE_SIGNED_OUT


async def test_the_tick_closes_the_socket_of_an_examinee_no_longer_on_the_roster(room, examinee, enrollment):
    _proctor, pupil, _seq = room
    consumer = await db(socket_of, examinee.pk)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    await db(type(enrollment).objects.filter(pk=enrollment.pk).update, ends_on=yesterday)  # transferred out
    consumer.checked_at -= 30

    await process.tick_now()

    assert (await receive(pupil))["code"] == "not_found"
    assert await closed_with(pupil) == CLOSE_NOT_ALLOWED


async def test_the_tick_renews_the_check_of_sockets_in_good_standing(room, sockets, classmate, proctored_session):
    _proctor, pupil, _seq = room
    other, _state = await sockets.examinee(classmate, proctored_session)
    consumers = [process._ticker.open[name] for name in list(process._ticker.open)]
    for consumer in consumers:
        consumer.checked_at -= 30
    before = time.monotonic()

    await process.tick_now()

    assert all(consumer.checked_at >= before for consumer in consumers)
    assert await heartbeat_ack(pupil) == [{"type": "ack", "id": "hb"}]
    assert await heartbeat_ack(other) == [{"type": "ack", "id": "hb"}]


# --- Presence --------------------------------------------------------------------------------------------


async def test_a_disconnect_is_shown_at_once_and_flagged_after_the_grace_period(room, examinee, proctored_session):
    proctor, pupil, seq = room

    await pupil.disconnect()

    tile = await receive(proctor)
    seq = assert_numbered([tile], after=seq)
    assert tile["type"] == "examinee"
    assert (tile["examinee"]["online"], tile["examinee"]["connections"]) == (False, 0)
    assert tile["examinee"]["offline_since"] is not None
    assert not await db(Signal.objects.exists), "a page load is not misconduct: wait for the grace period"

    left_at = timezone.now() - presence.OFFLINE_GRACE - datetime.timedelta(seconds=1)
    await db(Seat.objects.update, offline_since=left_at)
    await process.tick_now()  # every process's tick flags long absences

    lost = await receive(proctor)
    assert_numbered([lost], after=seq)
    assert (lost["kind"], lost["from_server"], lost["examinee"]) == ("connection_lost", True, examinee.pk)
    assert lost["at"] == left_at.isoformat()
    assert await db(Signal.objects.filter(kind="connection_lost", examinee=examinee).count) == 1


async def test_a_reload_within_the_grace_period_raises_no_signal(sockets, room, examinee, proctored_session):
    proctor, pupil, _seq = room
    await pupil.disconnect()

    await sockets.examinee(examinee, proctored_session)

    frames = await receive_until(proctor, lambda frame: frame["type"] == "examinee" and frame["examinee"]["online"])
    assert [frame["type"] for frame in frames] == ["examinee", "examinee"]
    assert not await db(Signal.objects.exists)


async def test_a_reconnect_is_flagged_with_how_long_the_examinee_was_away(sockets, room, examinee, proctored_session):
    proctor, pupil, _seq = room
    await pupil.disconnect()
    seq = (await receive_until(proctor, lambda frame: frame["type"] == "examinee"))[-1]["seq"]
    away = datetime.timedelta(seconds=90)
    await db(Seat.objects.update, offline_since=timezone.now() - away)  # gone for a while, not swept yet

    await sockets.examinee(examinee, proctored_session)

    lost, restored, tile = await receive(proctor), await receive(proctor), await receive(proctor)
    assert_numbered([lost, restored, tile], after=seq)
    assert (lost["kind"], restored["kind"], restored["from_server"]) == ("connection_lost", "connection_restored", True)
    assert 90_000 <= restored["duration_ms"] < 100_000
    assert (tile["examinee"]["online"], tile["examinee"]["offline_since"]) == (True, None)


async def test_a_second_connection_is_flagged(room, sockets, examinee, proctored_session):
    proctor, _pupil, seq = room

    second, _state = await sockets.examinee(examinee, proctored_session)

    flag, tile = await receive(proctor), await receive(proctor)
    seq = assert_numbered([flag, tile], after=seq)
    assert (flag["kind"], flag["examinee"], flag["from_server"]) == ("second_connection", examinee.pk, True)
    assert (tile["examinee"]["online"], tile["examinee"]["connections"]) == (True, 2)

    await second.disconnect()

    tile = await receive(proctor)
    assert_numbered([tile], after=seq)
    assert (tile["type"], tile["examinee"]["online"], tile["examinee"]["connections"]) == ("examinee", True, 1)
    assert not await db(Signal.objects.filter(kind="connection_lost").exists), "still online on the first tab"


async def test_a_new_network_address_is_flagged(sockets, watched, examinee, proctored_session):
    proctor, _seq = watched
    pupil, _state = await sockets.examinee(examinee, proctored_session, peer="192.0.2.10")
    await pupil.disconnect()

    await sockets.examinee(examinee, proctored_session, peer="198.51.100.7")

    frames = await receive_until(proctor, lambda frame: frame.get("kind") == "ip_changed")
    assert [frame["kind"] for frame in frames if frame["type"] == "signal"] == ["ip_changed"]
    seat = await db(Seat.objects.get, examinee=examinee)
    assert seat.last_ip == "198.51.100.7"


async def test_the_sockets_of_a_crashed_process_are_cleared_and_their_absence_dated_from_its_last_renewal(
    room, classmate, proctored_session
):
    proctor, _pupil, _seq = room
    seat = await db(Seat.objects.create, session=proctored_session, examinee=classmate)
    two_minutes_ago = timezone.now() - datetime.timedelta(minutes=2)
    await db(ServerProcess.objects.create, name="crashed:8002", renewed_at=two_minutes_ago)
    await db(Connection.objects.create, seat=seat, channel_name="crashed-server.1", process="crashed:8002")

    await process.tick_now()

    frames = await receive_until(proctor, lambda frame: frame.get("kind") == "connection_lost")
    tiles = [frame for frame in frames if frame["type"] == "examinee"]
    assert (tiles[-1]["examinee"]["id"], tiles[-1]["examinee"]["online"]) == (classmate.pk, False)
    assert (frames[-1]["examinee"], frames[-1]["at"]) == (classmate.pk, two_minutes_ago.isoformat())
    assert not await db(Connection.objects.filter(channel_name="crashed-server.1").exists)
    assert not await db(ServerProcess.objects.filter(name="crashed:8002").exists), "nothing left to clear"


async def test_a_crashed_process_counts_nobody_present_once_its_lease_ran_out(room, classmate, proctored_session):
    proctor, _pupil, _seq = room
    seat = await db(Seat.objects.create, session=proctored_session, examinee=classmate)
    await db(
        ServerProcess.objects.create, name="crashed:8002", renewed_at=timezone.now() - datetime.timedelta(seconds=16)
    )
    await db(Connection.objects.create, seat=seat, channel_name="crashed-server.1", process="crashed:8002")

    await proctor.send_json_to({"type": "snapshot"})  # before any tick cleared the row

    tiles = {tile["id"]: tile for tile in (await receive_type(proctor, "snapshot"))["examinees"]}
    assert (tiles[classmate.pk]["online"], tiles[classmate.pk]["connections"]) == (False, 0)


async def test_a_process_restarted_under_its_name_clears_what_it_held_before(
    room, classmate, proctored_session, settings
):
    proctor, _pupil, _seq = room
    seat = await db(Seat.objects.create, session=proctored_session, examinee=classmate)
    name = process.process_name()  # restarted at once: its lease is still fresh
    before_restart = presence.PROCESS_STARTED - datetime.timedelta(seconds=3)
    await db(Connection.objects.create, seat=seat, channel_name="old-life.1", process=name, opened_at=before_restart)

    await process.tick_now()

    frames = await receive_until(proctor, lambda frame: frame["type"] == "examinee")
    assert (frames[-1]["examinee"]["id"], frames[-1]["examinee"]["online"]) == (classmate.pk, False)
    assert not await db(Connection.objects.filter(channel_name="old-life.1").exists)
    assert await db(Connection.objects.filter(process=name).count) == 1, "the live socket stays"


async def test_a_reconnect_after_a_crash_elsewhere_is_not_a_second_connection(
    sockets, watched, examinee, proctored_session
):
    _proctor, _seq = watched
    seat = await db(Seat.objects.create, session=proctored_session, examinee=examinee)
    crashed_at = timezone.now() - datetime.timedelta(seconds=2)  # its lease is still fresh
    await db(ServerProcess.objects.create, name="crashed:8002", renewed_at=crashed_at)
    await db(Connection.objects.create, seat=seat, channel_name="crashed-server.1", process="crashed:8002")

    await sockets.examinee(examinee, proctored_session)  # the pupil's page reconnects, to this process
    await db(
        ServerProcess.objects.filter(name="crashed:8002").update, renewed_at=crashed_at - datetime.timedelta(seconds=20)
    )
    await process.tick_now()  # the crashed process never renewed: its socket is cleared, no flag

    assert not await db(Signal.objects.filter(kind="second_connection").exists)
    assert not await db(Connection.objects.filter(overlap_pending=True).exists)
    assert await db(Connection.objects.count) == 1


async def test_a_second_device_on_another_live_process_is_flagged_once_that_process_renews(
    sockets, watched, examinee, proctored_session
):
    proctor, _seq = watched
    seat = await db(Seat.objects.create, session=proctored_session, examinee=examinee)
    await db(ServerProcess.objects.create, name="web2:8002", renewed_at=timezone.now())
    await db(Connection.objects.create, seat=seat, channel_name="web2.1", process="web2:8002")

    await sockets.examinee(examinee, proctored_session)
    assert not await db(Signal.objects.filter(kind="second_connection").exists), "not known alive yet"
    await db(process.renew, "web2:8002")  # the other process is alive, its socket still there
    await process.tick_now()

    flag = await receive_until(proctor, lambda frame: frame.get("kind") == "second_connection")
    assert (flag[-1]["examinee"], flag[-1]["from_server"]) == (examinee.pk, True)
    assert not await db(Connection.objects.filter(overlap_pending=True).exists)


async def test_a_silent_socket_is_closed_and_its_absence_dates_from_its_last_frame(room, examinee, proctored_session):
    proctor, pupil, _seq = room
    channel_name = await db(Connection.objects.values_list("channel_name", flat=True).get, seat__examinee=examinee)
    consumer = process._ticker.open[channel_name]
    consumer.last_frame_at -= 120  # a stalled client: nothing heard for two minutes, no close either
    heard_at = timezone.now() - datetime.timedelta(seconds=120)

    await process.tick_now()

    assert await closed_with(pupil) == CLOSE_SILENT
    await pupil.disconnect()  # the server (daphne) then tells the consumer the socket is gone
    frames = await receive_until(proctor, lambda frame: frame["type"] == "examinee")
    offline_since = datetime.datetime.fromisoformat(frames[-1]["examinee"]["offline_since"])
    assert abs((offline_since - heard_at).total_seconds()) < 2
    await process.tick_now()
    lost = await receive_until(proctor, lambda frame: frame.get("kind") == "connection_lost")
    assert abs((datetime.datetime.fromisoformat(lost[-1]["at"]) - heard_at).total_seconds()) < 2


def test_a_reconnect_never_has_a_negative_offline_duration(settings, proctored_session, examinee):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    presence.connection_open(session=proctored_session, examinee=examinee, channel_name="tab.1", ip=None, process="p")
    presence.connection_close(channel_name="tab.1")
    # The disconnect was recorded a moment "after" this server's now: by another server whose clock is
    # ahead. Long enough ago on that clock to count as an absence.
    Seat.objects.update(offline_since=timezone.now() + datetime.timedelta(seconds=2), loss_signalled=True)

    presence.connection_open(session=proctored_session, examinee=examinee, channel_name="tab.2", ip=None, process="p")

    assert Signal.objects.get(kind="connection_restored").duration_ms == 0


# --- Presence under real concurrency (PostgreSQL) ------------------------------------------------------

RACE_WINDOW_SECONDS = 0.05


@pytest.fixture
def wide_reload_window(monkeypatch):
    """Let the closing socket's transaction get going before the opening one takes the session lock, and
    pause the close before it writes its `connection_lost` signal. With one lock order the pauses only
    serialize; with two, the close and the open wait for each other every time rather than now and then.
    This widens a window; it waits for nothing.
    """
    locked, server_signal = presence._locked, presence._server_signal

    def late_lock(*args, **kwargs):
        time.sleep(RACE_WINDOW_SECONDS / 2)
        return locked(*args, **kwargs)

    def slow_signal(*args, **kwargs):
        time.sleep(RACE_WINDOW_SECONDS)
        return server_signal(*args, **kwargs)

    monkeypatch.setattr(presence, "_locked", late_lock)
    monkeypatch.setattr(presence, "_server_signal", slow_signal)


@pytest.mark.postgres
def test_a_reload_opening_one_socket_while_the_old_one_closes_is_not_an_error(
    settings, wide_reload_window, proctored_session, examinee
):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    presence.connection_open(session=proctored_session, examinee=examinee, channel_name="tab.0", ip=None, process="p")
    for reload in range(1, 6):
        old, new = f"tab.{reload - 1}", f"tab.{reload}"
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(call, barrier=barrier, errors=errors):
            try:
                connection.ensure_connection()
                barrier.wait(timeout=30)
                call()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                connections.close_all()

        closing = partial(presence.connection_close, channel_name=old)
        opening = partial(
            presence.connection_open,
            session=proctored_session,
            examinee=examinee,
            channel_name=new,
            ip=None,
            process="p",
        )
        threads = [threading.Thread(target=run, args=(call,)) for call in (closing, opening)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert errors == []
        assert list(Connection.objects.values_list("channel_name", flat=True)) == [new]
