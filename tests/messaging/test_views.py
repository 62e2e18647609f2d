"""The inbox, conversations, sending, notices and their receipts over HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from classrooms.schoolyear import today
from classrooms.services import user_set_active
from messaging.models import MAX_MESSAGE_LENGTH, MAX_NOTICE_LENGTH, Message, Notice, NoticeReceipt
from messaging.services import message_send, notice_send
from tests.conftest import enroll, make_user

pytestmark = pytest.mark.django_db


def test_the_inbox_lists_conversations_with_unread_counts(client_of, teacher, examinee):
    message_send(by=teacher, recipient=examinee, body="ひみつのA")
    message_send(by=teacher, recipient=examinee, body="ひみつのB")

    page = client_of(examinee).get(reverse("messaging:inbox")).content.decode()

    assert teacher.name in page
    assert "2 unread" in page
    assert "ひみつ" not in page, "the inbox lists conversations, not their text"


def test_opening_the_inbox_delivers_what_was_waiting(client_of, teacher, examinee):
    message = message_send(by=teacher, recipient=examinee, body="一")
    assert message.delivered_at is None

    client_of(examinee).get(reverse("messaging:inbox"))

    message.refresh_from_db()
    assert message.delivered_at is not None
    assert message.read_at is None


def test_opening_a_conversation_reads_it(client_of, teacher, examinee):
    message = message_send(by=teacher, recipient=examinee, body="読んでね")
    mine = message_send(by=examinee, recipient=teacher, body="はい")

    page = client_of(examinee).get(reverse("messaging:thread", args=[message.thread_id])).content.decode()

    assert "読んでね" in page
    assert "はい" in page
    message.refresh_from_db()
    mine.refresh_from_db()
    assert message.read_at is not None
    assert message.delivered_at is not None
    assert mine.read_at is None, "your own message is read by the other one, not by you"
    assert "0 unread" not in client_of(examinee).get(reverse("messaging:inbox")).content.decode()


def test_htmx_asks_for_the_message_list_again_after_a_reconnect(client_of, teacher, examinee):
    message = message_send(by=teacher, recipient=examinee, body="再接続")

    response = client_of(examinee).get(reverse("messaging:thread", args=[message.thread_id]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.strip().startswith('<div id="message-list-wrap">')
    assert "再接続" in html
    assert "<html" not in html
    message.refresh_from_db()
    assert message.read_at is not None


def test_the_sender_sees_sent_delivered_and_read(client_of, client, teacher, examinee):
    message = message_send(by=teacher, recipient=examinee, body="一")
    url = reverse("messaging:thread", args=[message.thread_id])
    teacher_client = client_of(teacher)

    assert 'data-status="sent"' in teacher_client.get(url).content.decode()
    Message.objects.filter(pk=message.pk).update(delivered_at=message.sent_at)
    assert 'data-status="delivered"' in teacher_client.get(url).content.decode()
    client.force_login(examinee)
    client.get(url)
    client.force_login(teacher)
    assert 'data-status="read"' in client.get(url).content.decode()


def test_htmx_send_returns_the_new_message_to_append(client_of, teacher, examinee):
    thread = message_send(by=examinee, recipient=teacher, body="質問").thread

    response = client_of(teacher).post(
        reverse("messaging:thread_send", args=[thread.pk]), {"body": "  答えです  "}, HTTP_HX_REQUEST="true"
    )

    reply = Message.objects.get(sender=teacher)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<li")
    assert f'id="message-{reply.pk}"' in html
    assert "答えです" in html
    assert reply.body == "答えです", "surrounding blank space is not kept"


def test_send_without_htmx_goes_back_to_the_conversation(client_of, teacher, examinee):
    thread = message_send(by=examinee, recipient=teacher, body="質問").thread
    response = client_of(teacher).post(reverse("messaging:thread_send", args=[thread.pk]), {"body": "答え"})
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:thread", args=[thread.pk])


def test_a_message_over_the_limit_is_refused_with_a_clear_error(client_of, teacher, examinee):
    thread = message_send(by=examinee, recipient=teacher, body="質問").thread
    client = client_of(teacher)

    response = client.post(
        reverse("messaging:thread_send", args=[thread.pk]),
        {"body": "あ" * (MAX_MESSAGE_LENGTH + 1)},
        HTTP_HX_REQUEST="true",
    )

    assert response["HX-Retarget"] == "#send-form"
    assert f"This is {MAX_MESSAGE_LENGTH + 1} characters long; the limit is {MAX_MESSAGE_LENGTH}." in (
        response.content.decode()
    )
    assert Message.objects.count() == 1
    at_limit = client.post(reverse("messaging:thread_send", args=[thread.pk]), {"body": "あ" * MAX_MESSAGE_LENGTH})
    assert at_limit.status_code == 302, "the limit itself is fine"


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_message_is_refused(client_of, teacher, examinee, body):
    thread = message_send(by=examinee, recipient=teacher, body="質問").thread
    response = client_of(teacher).post(reverse("messaging:thread_send", args=[thread.pk]), {"body": body})
    assert response.status_code == 422
    assert "Write something first." in response.content.decode()
    assert Message.objects.count() == 1


# --- Notices --------------------------------------------------------------------------------------


def test_a_notice_reaches_everyone_on_the_roster(client_of, teacher, examinee, school_class, organization):
    classmate = make_user("sakura-classmate", "examinee", organization)
    enroll(school_class, classmate, number=2)
    suspended = make_user("sakura-suspended", "examinee", organization)
    enroll(school_class, suspended, number=3)
    user_set_active(user=suspended, active=False, by=teacher)

    response = client_of(teacher).post(
        reverse("messaging:notice_new", args=[school_class.pk]), {"body": "遠足は金曜日です"}, follow=True
    )

    notice = Notice.objects.get()
    assert notice.body == "遠足は金曜日です"
    assert set(NoticeReceipt.objects.values_list("recipient", flat=True)) == {examinee.pk, classmate.pk}
    assert "Your notice was sent to 2 examinees." in response.content.decode()


def test_a_notice_over_the_limit_is_refused(client_of, teacher, examinee, school_class):
    response = client_of(teacher).post(
        reverse("messaging:notice_new", args=[school_class.pk]), {"body": "あ" * (MAX_NOTICE_LENGTH + 1)}
    )
    assert f"the limit is {MAX_NOTICE_LENGTH}" in response.content.decode()
    assert not Notice.objects.exists()


def test_a_notice_to_an_empty_class_is_refused(client_of, teacher, school_class):
    response = client_of(teacher).post(reverse("messaging:notice_new", args=[school_class.pk]), {"body": "x"})
    assert "Nobody is on this class&#x27;s roster to receive a notice." in response.content.decode()
    assert not Notice.objects.exists()


def test_reading_a_notice_records_it_and_the_teacher_sees_the_count(client_of, client, teacher, examinee, school_class):
    notice = notice_send(school_class=school_class, by=teacher, body="持ち物: 本")
    url = reverse("messaging:notice_detail", args=[notice.pk])

    inbox = client_of(examinee).get(reverse("messaging:inbox")).content.decode()
    assert "unread" in inbox
    page = client_of(examinee).get(url).content.decode()

    assert "持ち物: 本" in page
    receipt = NoticeReceipt.objects.get()
    assert receipt.read_at is not None
    assert receipt.delivered_at is not None
    client.force_login(teacher)
    assert "read by 1 of 1" in client.get(url).content.decode()


def test_a_notice_is_only_for_its_recipients_and_sender(
    client_of, teacher, other_teacher, school_class, examinee, examinee_of_other_class, foreign_examinee
):
    notice = notice_send(school_class=school_class, by=teacher, body="x")
    url = reverse("messaging:notice_detail", args=[notice.pk])
    for outsider in (other_teacher, examinee_of_other_class, foreign_examinee):
        assert client_of(outsider).get(url).status_code == 404


def test_the_roster_link_target_offers_the_notice_form(client_of, teacher, examinee, school_class):
    page = client_of(teacher).get(reverse("messaging:notice_new", args=[school_class.pk])).content.decode()
    assert "Everyone on the roster today receives it: 1 examinee." in page
    assert '<textarea name="body"' in page


# --- Org admins: metadata -------------------------------------------------------------------------


def test_the_org_admin_sees_metadata_of_their_organization_only(
    client_of, org_admin, teacher, examinee, school_class, foreign_teacher, foreign_examinee
):
    message_send(by=teacher, recipient=examinee, body="秘密の話")
    message_send(by=foreign_teacher, recipient=foreign_examinee, body="よその話")
    notice_send(school_class=school_class, by=teacher, body="お知らせ本文")
    client = client_of(org_admin)

    messages_page = client.get(reverse("messaging:org_metadata")).content.decode()
    notices_page = client.get(reverse("messaging:org_metadata") + "?kind=notices").content.decode()

    assert teacher.name in messages_page
    assert examinee.name in messages_page
    assert str(len("秘密の話".encode())) in messages_page
    assert foreign_teacher.name not in messages_page
    assert foreign_examinee.name not in messages_page
    assert "秘密の話" not in messages_page
    assert "よその話" not in messages_page
    assert school_class.name in notices_page
    assert "お知らせ本文" not in notices_page


def test_the_org_admin_does_not_see_the_name_of_someone_who_left(client_of, org_admin, teacher, examinee):
    message_send(by=teacher, recipient=examinee, body="x")
    examinee.memberships.update(ends_on=today())  # transferred out today (docs/design.md §7)

    page = client_of(org_admin).get(reverse("messaging:org_metadata")).content.decode()
    assert examinee.name not in page
    assert "former member" in page
