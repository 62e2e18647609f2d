"""The only door from user input to conversations, messages and notices.

Who may write to whom (docs/design.md §6): a teacher to the examinees on the rosters
of their classes today; an examinee to the teachers of the classes they are
on the roster of today; never an examinee to an examinee. Suspended accounts
are nobody's correspondents. Who may read: the two participants of a thread
while both are members of its organization today (docs/design.md §7), whether or not
they may still write to each other.

Every helper raises Http404 for anything the user may not see, so another
organization's ids and a colleague's pupils look the same: not there.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from classrooms.access import members_of, organization_of, roster_of
from classrooms.models import Enrollment, Organization, SchoolClass, User
from classrooms.schoolyear import today
from messaging.models import Message, Notice, NoticeReceipt, Thread


def _organization(user: User) -> Organization | None:
    if not user.is_authenticated or not (user.is_teacher or user.is_examinee):
        return None
    try:
        return organization_of(user)
    except Http404:
        return None


def correspondents_of(user: User) -> QuerySet[User]:
    """The people `user` may write to now."""
    organization = _organization(user)
    if organization is None:
        return User.objects.none()
    if user.is_teacher:
        examinee_ids: set[int] = set()
        for school_class in SchoolClass.objects.filter(organization=organization, teacher=user):
            examinee_ids.update(roster_of(school_class).values_list("examinee_id", flat=True))
        people = User.objects.filter(pk__in=examinee_ids, role=User.Role.EXAMINEE)
    else:
        class_ids = Enrollment.objects.active_on(today()).filter(examinee=user).values("school_class_id")
        teacher_ids = {
            school_class.teacher_id
            for school_class in SchoolClass.objects.filter(organization=organization, pk__in=class_ids)
            if roster_of(school_class).filter(examinee=user).exists()
        }
        people = members_of(organization, User.Role.TEACHER).filter(pk__in=teacher_ids)
    return people.filter(is_active=True).order_by("kana", "name", "login_id")


def threads_of(user: User) -> QuerySet[Thread]:
    """The conversations `user` may read: theirs, in their organization, with someone still in it."""
    organization = _organization(user)
    if organization is None:
        return Thread.objects.none()
    threads = Thread.objects.filter(organization=organization).select_related("teacher", "examinee")
    if user.is_teacher:
        return threads.filter(teacher=user, examinee__in=members_of(organization, User.Role.EXAMINEE))
    return threads.filter(examinee=user, teacher__in=members_of(organization, User.Role.TEACHER))


def threads_with_unread(user: User) -> QuerySet[Thread]:
    """`threads_of(user)`, each with `unread`: messages to `user` not read yet."""
    return threads_of(user).annotate(
        unread=Count("messages", filter=Q(messages__recipient=user, messages__read_at__isnull=True))
    )


def get_thread_for_participant(user: User, thread_id: int) -> Thread:
    try:
        return threads_of(user).get(pk=thread_id)
    except Thread.DoesNotExist:
        raise Http404 from None


def may_write(user: User, thread: Thread) -> bool:
    return correspondents_of(user).filter(pk=thread.other(user).pk).exists()


def get_thread_for_writer(user: User, thread_id: int) -> Thread:
    """A conversation `user` may read and still write in."""
    thread = get_thread_for_participant(user, thread_id)
    if not may_write(user, thread):
        raise Http404
    return thread


def get_message_for_recipient(user: User, message_id: int) -> Message:
    """A message to `user` in a conversation they may read (to acknowledge it)."""
    try:
        return Message.objects.select_related("thread").get(pk=message_id, recipient=user, thread__in=threads_of(user))
    except Message.DoesNotExist:
        raise Http404 from None


def get_message_for_participant(user: User, message_id: int) -> Message:
    """A message of a conversation `user` may read, sent by them or to them."""
    try:
        return Message.objects.select_related("thread", "sender").get(pk=message_id, thread__in=threads_of(user))
    except Message.DoesNotExist:
        raise Http404 from None


def messages_of(thread: Thread) -> QuerySet[Message]:
    return thread.messages.select_related("sender").order_by("sent_at", "pk")


# --- Notices ------------------------------------------------------------------------------------


def notice_receipts_of(user: User) -> QuerySet[NoticeReceipt]:
    """Notices an examinee received in their organization, from teachers still in it."""
    organization = _organization(user)
    if organization is None or not user.is_examinee:
        return NoticeReceipt.objects.none()
    return NoticeReceipt.objects.filter(
        recipient=user,
        notice__organization=organization,
        notice__sender__in=members_of(organization, User.Role.TEACHER),
    ).select_related("notice__sender", "notice__school_class")


def get_notice_receipt_for_recipient(user: User, notice_id: int) -> NoticeReceipt:
    try:
        return notice_receipts_of(user).get(notice_id=notice_id)
    except NoticeReceipt.DoesNotExist:
        raise Http404 from None


def notices_sent_by(user: User) -> QuerySet[Notice]:
    """A teacher's notices in their current organization, each with `recipients` and `read` counts."""
    organization = _organization(user)
    if organization is None or not user.is_teacher:
        return Notice.objects.none()
    return (
        Notice.objects.filter(organization=organization, sender=user)
        .select_related("school_class")
        .annotate(
            recipients=Count("receipts"),
            read=Count("receipts", filter=Q(receipts__read_at__isnull=False)),
        )
    )


def get_notice_for_sender(user: User, notice_id: int) -> Notice:
    try:
        return notices_sent_by(user).get(pk=notice_id)
    except Notice.DoesNotExist:
        raise Http404 from None


def unread_count(user: User) -> int:
    """Messages and notices waiting for `user`, as the header badge shows them."""
    messages = Message.objects.filter(recipient=user, read_at__isnull=True, thread__in=threads_of(user)).count()
    notices = notice_receipts_of(user).filter(read_at__isnull=True).count()
    return messages + notices


# --- Org admins and operators: metadata only ---------------------------------------------------


def get_message_for_operator(user: User, message_id: int) -> Message:
    """Any message, for an operator's break-glass access (the service records why)."""
    if not user.is_authenticated or not user.is_operator:
        raise Http404
    try:
        return Message.objects.select_related("thread__organization", "sender", "recipient").get(pk=message_id)
    except Message.DoesNotExist:
        raise Http404 from None
