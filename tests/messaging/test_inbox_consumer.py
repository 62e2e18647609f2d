"""/ws/inbox/: live arrival, receipts, the unread count, refusals and error frames (docs/protocol.md).

Every socket goes through `config.asgi.application` with the cookie of a real sign-in.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from classrooms.schoolyear import today
from classrooms.services import user_set_active
from messaging.models import Message, NoticeReceipt
from messaging.services import message_send, notice_send
from sockets.consumers import CLOSE_NOT_ALLOWED, CLOSE_SIGNED_OUT
from sockets.publish import publish
from tests.messaging.conftest import signed_in
from tests.websockets import closed_with, db, receive, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


async def test_anonymous_visitors_are_refused(sockets):
    _socket, connected, code = await sockets.connect(None)
    assert not connected
    assert code == CLOSE_NOT_ALLOWED


async def test_a_foreign_origin_is_refused(sockets, examinee):
    _socket, connected, _detail = await sockets.connect(examinee, origin=b"http://evil.example")
    assert not connected


async def test_connect_sends_the_unread_count(sockets, teacher, examinee):
    await db(message_send, by=teacher, recipient=examinee, body="一")
    _socket, first = await sockets.inbox(examinee)
    assert first == {"type": "unread", "count": 1}


async def test_a_message_arrives_live_with_its_body_escaped(sockets, teacher, examinee):
    pupil, _ = await sockets.inbox(examinee)
    staff, _ = await sockets.inbox(teacher)

    message = await db(message_send, by=teacher, recipient=examinee, body="明日 https://example.jp/a?b=1&c=2 <b>")

    frame = await receive_type(pupil, "message")
    assert frame == {
        "type": "message",
        "thread": message.thread_id,
        "id": message.pk,
        "sender": {"id": teacher.pk, "name": teacher.name},
        "outgoing": False,
        "sent_at": message.sent_at.isoformat(),
        "status": "sent",
        "body_html": '明日 <a href="https://example.jp/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" '
        'target="_blank">https://example.jp/a?b=1&amp;c=2</a> &lt;b&gt;',
        "size": len("明日 https://example.jp/a?b=1&c=2 <b>".encode()),
    }
    assert await receive_type(pupil, "unread") == {"type": "unread", "count": 1}
    mine = await receive_type(staff, "message")
    assert mine["outgoing"] is True, "the sender's other tabs see it too"
    assert mine["id"] == message.pk, "the sender's other tabs see it too"


async def test_delivered_then_read_send_receipts_to_the_sender(sockets, teacher, examinee):
    pupil, _ = await sockets.inbox(examinee)
    staff, _ = await sockets.inbox(teacher)
    message = await db(message_send, by=teacher, recipient=examinee, body="届いた?")
    await receive_type(pupil, "message")
    assert (await receive_type(pupil, "unread"))["count"] == 1

    await pupil.send_json_to({"type": "delivered", "id": message.pk})

    delivered = await receive_type(staff, "receipt")
    assert (delivered["id"], delivered["status"]) == (message.pk, "delivered")
    await db(message.refresh_from_db)
    assert delivered["at"] == message.delivered_at.isoformat()
    assert message.read_at is None

    await pupil.send_json_to({"type": "read", "thread": message.thread_id})

    read = await receive_type(staff, "receipt")
    assert (read["id"], read["status"]) == (message.pk, "read")
    assert await receive_type(pupil, "unread") == {"type": "unread", "count": 0}
    await db(message.refresh_from_db)
    assert read["at"] == message.read_at.isoformat()


async def test_delivered_twice_sends_one_receipt(sockets, teacher, examinee):
    pupil, _ = await sockets.inbox(examinee)
    staff, _ = await sockets.inbox(teacher)
    message = await db(message_send, by=teacher, recipient=examinee, body="一")
    await receive_type(staff, "message")

    await pupil.send_json_to({"type": "delivered", "id": message.pk})
    await pupil.send_json_to({"type": "delivered", "id": message.pk})
    await pupil.send_json_to({"type": "unread"})  # a round trip: both deliveries are handled after this
    await receive_type(pupil, "unread")

    assert (await receive_type(staff, "receipt"))["status"] == "delivered"
    assert await staff.receive_nothing(timeout=0.2)


async def test_opening_the_page_sends_read_receipts_too(sockets, teacher, examinee):
    staff, _ = await sockets.inbox(teacher)
    message = await db(message_send, by=teacher, recipient=examinee, body="一")
    await receive_type(staff, "message")
    client = await signed_in(examinee)

    await db(client.get, reverse("messaging:thread", args=[message.thread_id]))

    assert (await receive_type(staff, "receipt"))["status"] == "read"


async def test_a_notice_arrives_live_and_is_read(sockets, teacher, examinee, school_class):
    pupil, _ = await sockets.inbox(examinee)

    notice = await db(notice_send, school_class=school_class, by=teacher, body="遠足<b>金曜</b>")

    frame = await receive_type(pupil, "notice")
    assert frame["id"] == notice.pk
    assert frame["class"] == {"id": school_class.pk, "name": school_class.name}
    assert frame["body_html"] == "<p>遠足<b>金曜</b></p>"
    assert frame["read"] is False
    assert (await receive_type(pupil, "unread"))["count"] == 1

    await pupil.send_json_to({"type": "delivered", "notice": notice.pk})
    await pupil.send_json_to({"type": "read", "notice": notice.pk})

    assert (await receive_type(pupil, "unread"))["count"] == 0
    receipt = await db(NoticeReceipt.objects.get)
    assert receipt.delivered_at is not None
    assert receipt.read_at is not None


async def test_an_examinee_of_another_class_gets_no_notice(
    sockets, teacher, examinee, examinee_of_other_class, school_class
):
    other, _ = await sockets.inbox(examinee_of_other_class)
    pupil, _ = await sockets.inbox(examinee)

    await db(notice_send, school_class=school_class, by=teacher, body="x")

    await receive_type(pupil, "notice")
    assert await other.receive_nothing(timeout=0.2)


# --- Every frame authorised afresh -----------------------------------------------------------------


async def test_acknowledging_someone_elses_message_finds_nothing(
    sockets, teacher, examinee, examinee_of_other_class, other_teacher
):
    message = await db(message_send, by=other_teacher, recipient=examinee_of_other_class, body="x")
    pupil, _ = await sockets.inbox(examinee)

    for frame in (
        {"type": "delivered", "id": message.pk},
        {"type": "read", "thread": message.thread_id},
        {"type": "delivered", "id": 999999},
        {"type": "read", "notice": 999999},
    ):
        await pupil.send_json_to(frame)
        error = await receive(pupil)
        assert (error["type"], error["code"]) == ("error", "not_found"), frame
    await db(message.refresh_from_db)
    assert message.delivered_at is None
    assert message.read_at is None


async def test_the_sender_cannot_mark_their_own_message_delivered(sockets, teacher, examinee):
    message = await db(message_send, by=teacher, recipient=examinee, body="x")
    staff, _ = await sockets.inbox(teacher)

    await staff.send_json_to({"type": "delivered", "id": message.pk})

    assert (await receive_type(staff, "error"))["code"] == "not_found"
    await db(message.refresh_from_db)
    assert message.delivered_at is None


async def test_suspension_closes_the_socket(sockets, teacher, examinee):
    pupil, _ = await sockets.inbox(examinee)

    await db(user_set_active, user=examinee, active=False, by=teacher)

    assert await closed_with(pupil) == CLOSE_SIGNED_OUT


async def test_a_frame_after_the_membership_ended_closes_the_socket(sockets, teacher, examinee):
    pupil, _ = await sockets.inbox(examinee)
    message = await db(message_send, by=teacher, recipient=examinee, body="x")
    await receive_type(pupil, "message")
    await db(examinee.memberships.update, ends_on=today())
    await pupil.send_json_to({"type": "read", "thread": message.thread_id})

    assert await closed_with(pupil) == CLOSE_SIGNED_OUT
    await db(message.refresh_from_db)
    assert message.read_at is None


async def test_a_message_the_user_may_no_longer_see_is_not_sent(sockets, teacher, examinee):
    """Events carry ids; the frame is built for the socket's user now, so nothing leaks after a change."""
    staff, _ = await sockets.inbox(teacher)
    message = await db(message_send, by=teacher, recipient=examinee, body="x")
    await receive_type(staff, "message")
    await db(examinee.memberships.update, ends_on=today())  # the examinee transferred out
    await staff.send_json_to({"type": "unread"})
    await receive_type(staff, "unread")
    await db(publish, f"inbox.{teacher.pk}", {"type": "inbox.message", "id": message.pk})
    assert await staff.receive_nothing(timeout=0.2)


# --- Bad input: error frames, the socket stays open ---------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        (json.dumps({"type": 5}), "bad_frame"),
        (json.dumps({"type": "delete_everything"}), "unknown_type"),
        (json.dumps({"type": "delivered"}), "invalid"),
        (json.dumps({"type": "delivered", "id": "5"}), "invalid"),
        (json.dumps({"type": "delivered", "id": 5, "notice": 6}), "invalid"),
        (json.dumps({"type": "read", "thread": -1}), "invalid"),
        (json.dumps({"type": "read", "thread": True}), "invalid"),
        (json.dumps({"type": "read", "thread": 1, "pad": "x" * 5000}), "too_large"),
    ],
)
async def test_bad_frames_get_an_error_frame(sockets, examinee, raw, code):
    pupil, _ = await sockets.inbox(examinee)

    await pupil.send_to(text_data=raw)

    error = await receive(pupil)
    assert (error["type"], error["code"]) == ("error", code)
    await pupil.send_json_to({"type": "unread"})
    assert (await receive(pupil))["type"] == "unread", "the socket stays open"


async def test_binary_frames_get_an_error_frame(sockets, examinee):
    pupil, _ = await sockets.inbox(examinee)
    await pupil.send_to(bytes_data=b"\x00\x01")
    assert (await receive(pupil))["code"] == "bad_frame"


async def test_a_flood_of_frames_is_rate_limited(sockets, teacher, examinee):
    pupil, _ = await sockets.inbox(examinee)
    for _ in range(60):
        await pupil.send_json_to({"type": "unread"})
    codes = []
    for _ in range(60):
        frame = await receive(pupil)
        codes.append(frame.get("code") or frame["type"])
        if frame.get("code") == "rate_limited":
            break
    assert "rate_limited" in codes


async def test_it_counts_only_messages_still_unread_in_visible_conversations(sockets, teacher, examinee):
    await db(message_send, by=teacher, recipient=examinee, body="一")
    read = await db(message_send, by=teacher, recipient=examinee, body="二")
    await db(Message.objects.filter(pk=read.pk).update, read_at=read.sent_at)

    _socket, first = await sockets.inbox(examinee)

    assert first["count"] == 1
