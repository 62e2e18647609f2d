"""Who may write to whom (docs/design.md §6) and who sees nothing at all (docs/design.md §1).

A teacher writes to the examinees on the rosters of their classes today; an
examinee to the teachers of the classes they are on today; an examinee never
to another examinee. Suspended accounts are nobody's correspondents.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from classrooms.models import Enrollment
from classrooms.schoolyear import today
from classrooms.services import enrollment_end, user_set_active
from config.errors import ServiceError
from messaging.access import correspondents_of
from messaging.models import Message, Thread
from messaging.services import message_send
from tests.conftest import PASSWORD, enroll, make_user

pytestmark = pytest.mark.django_db


def write_new(client, recipient, body="こんにちは"):
    return client.post(reverse("messaging:message_new"), {"recipient": recipient.pk, "body": body})


def test_a_teacher_writes_to_an_examinee_of_their_class(client_of, teacher, examinee):
    response = write_new(client_of(teacher), examinee, "明日は読書の日です")

    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:thread", args=[message.thread_id])
    assert (message.sender, message.recipient, message.body) == (teacher, examinee, "明日は読書の日です")
    assert (message.thread.teacher, message.thread.examinee) == (teacher, examinee)
    assert message.size_bytes == len("明日は読書の日です".encode())


def test_an_examinee_writes_to_their_teacher(client_of, teacher, examinee):
    response = write_new(client_of(examinee), teacher, "質問があります")

    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.sender, message.recipient) == (examinee, teacher)
    assert (message.thread.teacher, message.thread.examinee) == (teacher, examinee), "one thread per pair"


def test_both_directions_share_one_conversation(teacher, examinee):
    first = message_send(by=teacher, recipient=examinee, body="一")
    second = message_send(by=examinee, recipient=teacher, body="二")
    assert first.thread_id == second.thread_id
    assert Thread.objects.count() == 1


def test_a_teacher_cannot_write_to_an_examinee_of_a_colleagues_class(client_of, teacher, examinee_of_other_class):
    response = write_new(client_of(teacher), examinee_of_other_class)

    assert response.status_code == 200
    assert "You cannot write to this person." in response.content.decode()
    assert not Message.objects.exists()
    with pytest.raises(ServiceError) as refused:
        message_send(by=teacher, recipient=examinee_of_other_class, body="x")
    assert refused.value.code == "not_allowed"


def test_an_examinee_cannot_write_to_another_examinee(client_of, examinee, school_class, organization):
    classmate = make_user("sakura-classmate", "examinee", organization)
    enroll(school_class, classmate, number=2)

    response = write_new(client_of(examinee), classmate)

    assert "You cannot write to this person." in response.content.decode()
    assert not Message.objects.exists()
    assert classmate not in correspondents_of(examinee)
    with pytest.raises(ServiceError):
        message_send(by=examinee, recipient=classmate, body="x")


def test_an_examinee_cannot_write_to_the_teacher_of_a_class_they_left(client_of, teacher, examinee, enrollment):
    thread = message_send(by=teacher, recipient=examinee, body="ようこそ").thread
    enrollment.starts_on = today() - datetime.timedelta(days=60)
    enrollment.save()
    enrollment_end(enrollment=enrollment, by=teacher)
    client = client_of(examinee)

    assert teacher not in correspondents_of(examinee)
    assert "You cannot write to this person." in write_new(client, teacher).content.decode()
    send = client.post(reverse("messaging:thread_send", args=[thread.pk]), {"body": "まだいますか"})
    assert send.status_code == 404
    page = client.get(reverse("messaging:thread", args=[thread.pk]))
    assert page.status_code == 200, "the conversation stays readable while both are in the organization"
    assert "ようこそ" in page.content.decode()
    assert 'id="send-form"' not in page.content.decode()
    assert Message.objects.count() == 1


def test_the_teacher_cannot_write_to_an_examinee_who_left_their_class(client_of, teacher, examinee, enrollment):
    thread = message_send(by=examinee, recipient=teacher, body="はい").thread
    Enrollment.objects.filter(pk=enrollment.pk).update(ends_on=today())

    response = client_of(teacher).post(reverse("messaging:thread_send", args=[thread.pk]), {"body": "x"})

    assert response.status_code == 404
    assert Message.objects.count() == 1


def test_a_suspended_examinee_cannot_sign_in_so_cannot_write(client, teacher, examinee):
    user_set_active(user=examinee, active=False, by=teacher)

    sign_in = client.post(reverse("classrooms:login"), {"username": examinee.login_id, "password": PASSWORD})
    assert sign_in.status_code == 200, "the sign-in form again, not a redirect home"
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("messaging:message_new"), {"recipient": teacher.pk, "body": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("classrooms:login"))
    assert not Message.objects.exists()


def test_a_teacher_cannot_write_to_a_suspended_examinee(client_of, teacher, examinee):
    """Decision: a locked account gets nothing new (it could not read it); the teacher is told so."""
    thread = message_send(by=teacher, recipient=examinee, body="前のメッセージ").thread
    user_set_active(user=examinee, active=False, by=teacher)
    client = client_of(teacher)

    assert examinee not in correspondents_of(teacher)
    assert "You cannot write to this person." in write_new(client, examinee).content.decode()
    assert client.post(reverse("messaging:thread_send", args=[thread.pk]), {"body": "x"}).status_code == 404
    page = client.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    assert "You cannot write in this conversation any more" in page
    assert Message.objects.count() == 1


def test_the_picker_offers_only_correspondents(client_of, teacher, examinee, examinee_of_other_class, foreign_examinee):
    page = client_of(teacher).get(reverse("messaging:message_new")).content.decode()

    assert examinee.name in page
    assert examinee_of_other_class.name not in page
    assert foreign_examinee.name not in page


def test_an_examinee_picks_among_their_current_teachers(client_of, teacher, other_teacher, examinee, other_class):
    assert list(correspondents_of(examinee)) == [teacher]
    enroll(other_class, examinee, number=5)
    assert set(correspondents_of(examinee)) == {teacher, other_teacher}


def test_a_teacher_who_left_the_organization_is_nobodys_correspondent(teacher, examinee, organization):
    teacher.memberships.update(ends_on=today())
    assert teacher not in correspondents_of(examinee)


# --- Another organization: nothing, not even its existence ------------------------------------------


def test_another_organizations_conversation_is_not_found(client_of, teacher, examinee, foreign_teacher):
    thread = message_send(by=teacher, recipient=examinee, body="内緒").thread
    client = client_of(foreign_teacher)

    assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 404
    assert client.post(reverse("messaging:thread_send", args=[thread.pk]), {"body": "x"}).status_code == 404


def test_writing_to_another_organizations_examinee_is_refused(client_of, teacher, foreign_examinee):
    response = write_new(client_of(teacher), foreign_examinee)
    assert "You cannot write to this person." in response.content.decode()
    assert not Message.objects.exists()


def test_a_colleague_cannot_open_a_conversation_of_the_same_school(client_of, teacher, other_teacher, examinee):
    thread = message_send(by=teacher, recipient=examinee, body="x").thread
    assert client_of(other_teacher).get(reverse("messaging:thread", args=[thread.pk])).status_code == 404


def test_another_organizations_class_notice_form_is_not_found(client_of, teacher, foreign_class, other_class):
    client = client_of(teacher)
    assert client.get(reverse("messaging:notice_new", args=[foreign_class.pk])).status_code == 404
    assert client.get(reverse("messaging:notice_new", args=[other_class.pk])).status_code == 404, "a colleague's"


@pytest.mark.parametrize("persona", ["org_admin", "operator"])
def test_org_admins_and_operators_have_no_conversations(client_of, request, persona, teacher, examinee):
    thread = message_send(by=teacher, recipient=examinee, body="x").thread
    client = client_of(request.getfixturevalue(persona))

    assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 404
    assert client.get(reverse("messaging:message_new")).status_code == 404
    assert client.post(reverse("messaging:thread_send", args=[thread.pk]), {"body": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("messaging:inbox", []),
        ("messaging:message_new", []),
        ("messaging:thread", [1]),
        ("messaging:notice_detail", [1]),
        ("messaging:org_metadata", []),
        ("messaging:operator_statistics", []),
        ("messaging:operator_break_glass", []),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("classrooms:login"))


@pytest.mark.parametrize("persona", ["teacher", "examinee", "org_admin"])
def test_operator_pages_are_not_found_for_others(client_of, request, persona):
    client = client_of(request.getfixturevalue(persona))
    assert client.get(reverse("messaging:operator_statistics")).status_code == 404
    assert client.get(reverse("messaging:operator_break_glass")).status_code == 404


@pytest.mark.parametrize("persona", ["teacher", "examinee", "operator"])
def test_the_org_metadata_page_is_for_org_admins(client_of, request, persona):
    assert client_of(request.getfixturevalue(persona)).get(reverse("messaging:org_metadata")).status_code == 404
