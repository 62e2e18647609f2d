"""Messaging screens (docs/design.md §6).

Teachers and examinees: the inbox, conversations, new messages, notices.
Org admins: their organization's messaging metadata. Operators: statistics
that identify no person, and break-glass access to one message's content.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from classrooms.access import get_class_for_teacher, organization_of, role_required, roster_of
from classrooms.models import SchoolClass, User
from classrooms.schoolyear import current_school_year
from config.errors import ServiceError
from config.ratelimits import rate_limit, too_many_requests
from messaging import access, metadata, services
from messaging.forms import BreakGlassForm, MessageForm, NewMessageForm, NoticeForm
from messaging.models import BreakGlassAccess

participant_required = role_required(User.Role.TEACHER, User.Role.EXAMINEE)
teacher_required = role_required(User.Role.TEACHER)
org_admin_required = role_required(User.Role.ORG_ADMIN)
METADATA_PAGE_SIZE = 50
INBOX_NOTICES = 20


def operator_required(view):
    """Operator staff only; anyone else gets 404."""

    @role_required(User.Role.OPERATOR)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


# --- Teachers and examinees ---------------------------------------------------------------------


@login_required
@require_GET
def inbox(request):
    """Conversations with their unread counts, and notices. Org admins and operators go to their pages."""
    user = request.user
    if user.is_org_admin:
        return redirect("messaging:org_metadata")
    if user.is_operator:
        return redirect("messaging:operator_statistics")
    services.inbox_mark_delivered(by=user)
    context = {
        "threads": access.threads_with_unread(user),
        "notice_receipts": access.notice_receipts_of(user)[:INBOX_NOTICES],
        "notices_sent": access.notices_sent_by(user)[:INBOX_NOTICES],
        "classes": (
            SchoolClass.objects.filter(
                organization=organization_of(user), teacher=user, school_year=current_school_year()
            ).order_by("name")
            if user.is_teacher
            else []
        ),
        "may_write": access.correspondents_of(user).exists(),
    }
    template = "messaging/partials/inbox_lists.html" if request.htmx else "messaging/inbox.html"
    return render(request, template, context)


@participant_required
@sensitive_post_parameters("body")
@require_http_methods(["GET", "POST"])
@rate_limit("message")
def message_new(request):
    """Write to one of your examinees (teachers) or one of your teachers (examinees)."""
    correspondents = access.correspondents_of(request.user)
    initial = {"recipient": request.GET.get("to")} if request.GET.get("to", "").isdigit() else {}
    form = NewMessageForm(request.POST or None, correspondents=correspondents, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            message = services.message_send(
                by=request.user, recipient=form.cleaned_data["recipient"], body=form.cleaned_data["body"]
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            return redirect("messaging:thread", thread_id=message.thread_id)
    return render(request, "messaging/message_new.html", {"form": form, "has_correspondents": correspondents.exists()})


@participant_required
@require_GET
def thread(request, thread_id: int):
    """One conversation. Opening it reads every message to you in it."""
    conversation = access.get_thread_for_participant(request.user, thread_id)
    services.thread_mark_read(thread=conversation, by=request.user)
    context = _thread_context(request, conversation, MessageForm())
    template = "messaging/partials/message_list.html" if request.htmx else "messaging/thread.html"
    return render(request, template, context)


def _thread_context(request, conversation, form) -> dict:
    return {
        "thread": conversation,
        "other": conversation.other(request.user),
        "thread_messages": access.messages_of(conversation),
        "may_write": access.may_write(request.user, conversation),
        "form": form,
        # Words of static/js/inbox.js, which shows receipts as they arrive (see static/js/kantoku.js).
        "i18n": {"sent": _("Sent"), "delivered": _("Delivered"), "read": _("Read"), "you": _("You")},
    }


def _send_refused(request, retry_after: int, thread_id: int):
    """Over the rate limit: the form again with what was typed and a word about waiting."""
    if not request.htmx:
        return too_many_requests(request, retry_after)
    conversation = access.get_thread_for_writer(request.user, thread_id)
    form = MessageForm(request.POST)
    form.is_valid()
    form.add_error(None, _("Too many messages in a short time. Wait a minute, then send this one again."))
    response = render(request, "messaging/partials/send_form.html", {"thread": conversation, "form": form}, status=429)
    return reswap(retarget(response, "#send-form"), "outerHTML")


@participant_required
@sensitive_post_parameters("body")
@require_POST
@rate_limit("message", refused=_send_refused)
def thread_send(request, thread_id: int):
    """Send a message in a conversation: htmx appends it to the page; without htmx, back to the page."""
    conversation = access.get_thread_for_writer(request.user, thread_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            message = services.message_send(
                by=request.user, recipient=conversation.other(request.user), body=form.cleaned_data["body"]
            )
        except ServiceError as error:
            form.add_error("body", str(error))
        else:
            if request.htmx:
                return render(request, "messaging/partials/message.html", {"message": message, "viewer": request.user})
            return redirect("messaging:thread", thread_id=conversation.pk)
    if request.htmx:
        response = render(request, "messaging/partials/send_form.html", {"thread": conversation, "form": form})
        return reswap(retarget(response, "#send-form"), "outerHTML")
    return render(request, "messaging/thread.html", _thread_context(request, conversation, form), status=422)


@teacher_required
@sensitive_post_parameters("body")
@require_http_methods(["GET", "POST"])
@rate_limit("notice")
def notice_new(request, class_id: int):
    """Send a notice to everyone on the class's roster; the class's earlier notices with read counts."""
    school_class = get_class_for_teacher(request.user, class_id)
    form = NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_send(school_class=school_class, by=request.user, body=form.cleaned_data["body"])
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Your notice was sent to %(count)d examinees.") % {"count": notice.receipts.count()},
            )
            return redirect("messaging:notice_new", class_id=school_class.pk)
    context = {
        "school_class": school_class,
        "form": form,
        "roster_size": roster_of(school_class).filter(examinee__is_active=True).count(),
        "notices": access.notices_sent_by(request.user).filter(school_class=school_class)[:INBOX_NOTICES],
    }
    return render(request, "messaging/notice_new.html", context)


@participant_required
@require_GET
def notice_detail(request, notice_id: int):
    """An examinee reads a notice (which records it as read); its teacher sees how many have."""
    if request.user.is_teacher:
        notice, receipt = access.get_notice_for_sender(request.user, notice_id), None
    else:
        receipt = access.get_notice_receipt_for_recipient(request.user, notice_id)
        services.notice_mark_read(receipt=receipt)
        notice = receipt.notice
    return render(request, "messaging/notice_detail.html", {"notice": notice, "receipt": receipt})


# --- Org admins: metadata of their organization -------------------------------------------------


@org_admin_required
@require_GET
def org_metadata(request):
    """Who wrote to whom and when, sizes, delivery and reading: never what was written."""
    organization = organization_of(request.user)
    show_notices = request.GET.get("kind") == "notices"
    if show_notices:
        page = Paginator(metadata.org_notices(organization), METADATA_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = metadata.notice_rows(organization, page.object_list)
    else:
        page = Paginator(metadata.org_messages(organization), METADATA_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = metadata.message_rows(organization, page.object_list)
    context = {"organization": organization, "page": page, "rows": rows, "show_notices": show_notices}
    return render(request, "messaging/org_metadata.html", context)


# --- Operators ----------------------------------------------------------------------------------------


@operator_required
@require_GET
def operator_statistics(request):
    """Counts and read rates per organization and ISO week; small groups suppressed."""
    context = {
        "rows": metadata.weekly_statistics(),
        "weeks": metadata.STATISTICS_WEEKS,
        "min_people": metadata.MIN_PEOPLE,
    }
    return render(request, "messaging/operator_statistics.html", context)


@operator_required
@never_cache
@sensitive_post_parameters("reference")
@require_http_methods(["GET", "POST"])
def operator_break_glass(request):
    """Open one message's content, only with a reason and a reference; the access is recorded and audited."""
    initial = {"message": request.GET.get("message")} if request.GET.get("message", "").isdigit() else {}
    form = BreakGlassForm(request.POST or None, initial=initial)
    content = message = None
    if request.method == "POST" and form.is_valid():
        try:
            message = access.get_message_for_operator(request.user, form.cleaned_data["message"])
        except Http404:
            form.add_error("message", _("There is no message with this number."))
        else:
            try:
                content = services.break_glass_open(
                    message=message,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    reference=form.cleaned_data["reference"],
                )
            except ServiceError as error:
                form.add_error(None, str(error))
                message = None
    context = {
        "form": form,
        "message": message if content is not None else None,
        "content": content,
        "recent": BreakGlassAccess.objects.select_related("operator", "message__thread__organization")[:20],
    }
    return render(request, "messaging/operator_break_glass.html", context)
