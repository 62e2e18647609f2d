"""Metadata-only logging (docs/design.md §6): after a whole messaging flow, a canary written into a message
and a notice is found nowhere but on the participants' own screens and sockets.

Searched: every log line (DEBUG and up, SQL included), every channel-layer event, the org admin's
messaging log and audit log, the operator's statistics, the Django admin pages of every messaging
model and of the audit log, and every column of every table (sessions decoded), read with raw SQL.
"""

from __future__ import annotations

import logging

import pytest
from channels.layers import get_channel_layer
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.urls import reverse

from classrooms.models import AuditEntry
from messaging.models import BreakGlassAccess, Message, Notice, NoticeReceipt, Thread
from tests.messaging.conftest import signed_in
from tests.websockets import db, receive_type

pytestmark = pytest.mark.django_db(transaction=True)

CANARY = "canary-5c1e9a7f"
MESSAGE_BODY = f"先生、相談です {CANARY} よろしく"
REPLY_BODY = f"わかりました ({CANARY}-reply)"
NOTICE_BODY = f"<b>遠足</b>のお知らせ {CANARY}-notice"


def everything_in_the_database() -> list[str]:
    """Every value of every column of every table, as text; sessions decoded as well."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema itself
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    values.append(f"{table}: {value}")
        cursor.execute("SELECT session_key FROM django_session")
        for (key,) in cursor.fetchall():
            values.append(f"session {key}: {SessionStore(session_key=key).load()}")
    return values


def sql_logging(on: bool) -> None:
    connection.force_debug_cursor = on  # the worker thread's connection: SQL at DEBUG in the log too


async def test_a_canary_body_is_nowhere_but_with_its_participants(
    sockets, caplog, monkeypatch, teacher, examinee, school_class, org_admin, operator
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # Django's own logger stops at INFO by default
    await db(sql_logging, True)
    layer = get_channel_layer()
    events: list[str] = []
    original_group_send = layer.group_send

    async def recording_group_send(group, message):
        events.append(f"{group}: {message}")
        await original_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", recording_group_send)
    teacher_client, pupil_client = await signed_in(teacher), await signed_in(examinee)
    staff_socket, _ = await sockets.inbox(teacher_client)
    pupil_socket, _ = await sockets.inbox(pupil_client)

    # Send, deliver (socket), read (page), reply (htmx), notice (deliver and read).
    sent = await db(
        teacher_client.post, reverse("messaging:message_new"), {"recipient": examinee.pk, "body": MESSAGE_BODY}
    )
    assert sent.status_code == 302
    arrived = await receive_type(pupil_socket, "message")
    assert CANARY in arrived["body_html"], "the participant sees the content: the canary is findable"
    await pupil_socket.send_json_to({"type": "delivered", "id": arrived["id"]})
    assert (await receive_type(staff_socket, "receipt"))["status"] == "delivered"
    await db(pupil_client.get, reverse("messaging:inbox"))
    thread_page = await db(pupil_client.get, reverse("messaging:thread", args=[arrived["thread"]]))
    assert CANARY in thread_page.content.decode()
    assert (await receive_type(staff_socket, "receipt"))["status"] == "read"
    reply = await db(
        pupil_client.post,
        reverse("messaging:thread_send", args=[arrived["thread"]]),
        {"body": REPLY_BODY},
        HTTP_HX_REQUEST="true",
    )
    assert CANARY in reply.content.decode()
    await receive_type(staff_socket, "message")
    notice = await db(
        teacher_client.post, reverse("messaging:notice_new", args=[school_class.pk]), {"body": NOTICE_BODY}
    )
    assert notice.status_code == 302
    notice_frame = await receive_type(pupil_socket, "notice")
    await pupil_socket.send_json_to({"type": "delivered", "notice": notice_frame["id"]})
    await pupil_socket.send_json_to({"type": "read", "notice": notice_frame["id"]})
    notice_page = await db(pupil_client.get, reverse("messaging:notice_detail", args=[notice_frame["id"]]))
    assert CANARY in notice_page.content.decode()
    await db(pupil_client.get, reverse("messaging:inbox"))  # a round trip after the frames above

    # An audited break-glass access (its own page shows the content, by design).
    operator_client = await signed_in(operator)
    opened = await db(
        operator_client.post,
        reverse("messaging:operator_break_glass"),
        {"message": arrived["id"], "reason": "incident", "reference": "INC-42"},
    )
    assert CANARY in opened.content.decode()

    # What org admins, operators and the admin show.
    admin_client = await signed_in(org_admin)
    pages = {
        "org metadata: messages": (admin_client, reverse("messaging:org_metadata")),
        "org metadata: notices": (admin_client, reverse("messaging:org_metadata") + "?kind=notices"),
        "org audit log": (admin_client, reverse("classrooms:orgadmin_audit_log")),
        "operator statistics": (operator_client, reverse("messaging:operator_statistics")),
        "break-glass form": (operator_client, reverse("messaging:operator_break_glass")),
        "audit entries (admin)": (operator_client, reverse("admin:classrooms_auditentry_changelist")),
    }
    entry = await db(AuditEntry.objects.get, action="message.break_glass")
    pages["audit entry (admin)"] = (operator_client, reverse("admin:classrooms_auditentry_change", args=[entry.pk]))
    for model in (Thread, Message, Notice, NoticeReceipt, BreakGlassAccess):
        name = model._meta.model_name
        pages[f"{name} list (admin)"] = (operator_client, reverse(f"admin:messaging_{name}_changelist"))
        for pk in await db(lambda m=model: list(m.objects.values_list("pk", flat=True))):
            pages[f"{name} {pk} (admin)"] = (operator_client, reverse(f"admin:messaging_{name}_change", args=[pk]))
    for label, (client, url) in pages.items():
        response = await db(client.get, url)
        assert response.status_code == 200, label
        assert CANARY not in response.content.decode(), f"the canary is on {label}"

    await db(sql_logging, False)
    lines = [record.getMessage() for record in caplog.records] + [caplog.text]
    assert any("message sent" in line for line in lines), "the log was captured: the test can see it"
    assert any("INSERT INTO" in line for line in lines), "SQL was captured too"
    assert not [line for line in lines if CANARY in line], "a body reached the log"
    assert events, "a body crossed the channel layer"
    assert not [event for event in events if CANARY in event], "a body crossed the channel layer"
    stored = await db(everything_in_the_database)
    assert any("messaging_message" in value for value in stored)
    assert not [value for value in stored if CANARY in value], "a body is stored in the clear"
