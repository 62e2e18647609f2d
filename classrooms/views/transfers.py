"""Transfer screens (docs/design.md §7): people leaving the school, people joining it, and the org admin's list.

A teacher files that an examinee of their class leaves; the org admin files a
teacher's leaving or arrival (and thereby approves it), and approves or
rejects the rest; approving an examinee's leaving shows the transfer notice
with its transfer code, once. An examinee's arrival needs the login id and that
code. An arriving examinee answers whether the new school may see their past
history.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from classrooms import transfers as transfer_services
from classrooms.access import (
    get_enrollment_for_teacher,
    get_member_for_org_admin,
    get_transfer_for_decision,
    get_transfer_for_examinee,
    members_of,
    members_today,
    organization_of,
    role_required,
    transfers_of,
)
from classrooms.forms import (
    HistoryConsentForm,
    TeacherArrivalForm,
    TeacherTransferForm,
    TransferInForm,
    TransferOutForm,
)
from classrooms.models import Organization, SchoolClass, Transfer, User
from classrooms.schoolyear import current_school_year, today
from config.errors import ServiceError

# --- Leaving ------------------------------------------------------------------------------------


@role_required(User.Role.TEACHER)
@require_http_methods(["GET", "POST"])
def examinee_transfer_out(request, class_id: int, enrollment_id: int):
    """File that an examinee leaves the organization; the org admin approves it."""
    enrollment = get_enrollment_for_teacher(request.user, class_id, enrollment_id)
    form = TransferOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer_services.transfer_file_examinee_out(enrollment=enrollment, by=request.user, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The transfer of %(name)s is filed; your org admin will approve it.")
                % {"name": enrollment.examinee.name},
            )
            return redirect("classrooms:teacher_roster", class_id=class_id)
    return render(request, "classrooms/teacher/transfer_out.html", {"enrollment": enrollment, "form": form})


@role_required(User.Role.ORG_ADMIN)
@require_http_methods(["GET", "POST"])
def teacher_transfer_out(request, teacher_id: int):
    """File (and approve) that a teacher leaves, naming a successor for each of their classes of this year."""
    teacher = get_member_for_org_admin(request.user, teacher_id, User.Role.TEACHER)
    organization = organization_of(request.user)
    classes = SchoolClass.objects.filter(
        organization=organization, teacher=teacher, school_year=current_school_year()
    ).order_by("name")
    colleagues = (
        members_of(organization, User.Role.TEACHER).filter(is_active=True).exclude(pk=teacher.pk).order_by("kana")
    )
    form = TeacherTransferForm(request.POST or None, classes=classes, colleagues=colleagues)
    if request.method == "POST" and form.is_valid():
        try:
            transfer_services.transfer_file_teacher_out(
                teacher=teacher,
                effective_on=form.cleaned_data["effective_on"],
                reason=form.cleaned_data["reason"],
                successors=form.successors(),
                by=request.user,
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The transfer of %(name)s is recorded.") % {"name": teacher.name})
            return redirect("classrooms:orgadmin_transfer_list")
    return render(request, "classrooms/orgadmin/teacher_transfer.html", {"teacher": teacher, "form": form})


# --- Arriving -----------------------------------------------------------------------------------


ARRIVAL_PAGE = "classrooms/transfer_in.html"
# The refusals that must not tell a wrong login id from a wrong, expired or used code (docs/design.md §7).
CODE_REFUSALS = {"transfer_code_refused": 200, "throttled": 429}


@role_required(User.Role.TEACHER, User.Role.ORG_ADMIN)
@require_http_methods(["GET", "POST"])
@never_cache
def examinee_arrival(request):
    """File that an examinee with an account joins: the transfer notice's login id and code, then a confirmation.

    Only a matching pair names the examinee (on the confirmation page); filing
    after it uses the code up. The org admin approves after the examinee answers.
    """
    form = TransferInForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, ARRIVAL_PAGE, {"form": form})
    if "confirm" not in request.POST:
        return _arrival_confirm(request, form)
    try:
        transfer = transfer_services.transfer_file_examinee_in(
            organization=organization_of(request.user), by=request.user, **form.cleaned_data
        )
    except ServiceError as error:
        return _arrival_refused(request, form, error)
    messages.success(
        request,
        _("The arrival of %(name)s is filed. They are asked about their history; then your org admin approves.")
        % {"name": transfer.person.name},
    )
    return redirect(
        "classrooms:orgadmin_transfer_list" if request.user.is_org_admin else "classrooms:teacher_class_list"
    )


def _arrival_confirm(request, form: TransferInForm):
    """The step between the notice and the filing: whom the pair names, with everything typed carried along."""
    data = form.cleaned_data
    try:
        person = transfer_services.transfer_check_examinee_in(
            organization=organization_of(request.user),
            login_id=data["login_id"],
            code=data["code"],
            effective_on=data["effective_on"],
            by=request.user,
        )
    except ServiceError as error:
        return _arrival_refused(request, form, error)
    return render(request, "classrooms/transfer_in_confirm.html", {"form": form, "person": person})


def _arrival_refused(request, form: TransferInForm, error: ServiceError):
    """A refused pair gets one page whatever was wrong: nothing typed is shown back, not even the login id."""
    if error.code not in CODE_REFUSALS:
        form.add_error(None, error.message)
        return render(request, ARRIVAL_PAGE, {"form": form})
    blank = TransferInForm(
        initial={"effective_on": form.cleaned_data["effective_on"], "reason": form.cleaned_data["reason"]}
    )
    return render(request, ARRIVAL_PAGE, {"form": blank, "refusal": error.message}, status=CODE_REFUSALS[error.code])


@role_required(User.Role.EXAMINEE)
@require_POST
def history_consent(request, transfer_id: int):
    """The examinee's answer: may the new school see their past history?"""
    transfer = get_transfer_for_examinee(request.user, transfer_id)
    form = HistoryConsentForm(request.POST)
    if form.is_valid():
        transfer_services.transfer_consent(transfer=transfer, consent=form.cleaned_data["consent"], by=request.user)
        messages.success(request, _("Thank you. Your answer is saved."))
    else:
        messages.error(request, _("Choose yes or no."))
    return redirect("classrooms:examinee_home")


@role_required(User.Role.ORG_ADMIN)
@require_http_methods(["GET", "POST"])
def teacher_arrival(request):
    """File (and approve) that a teacher with an account from another school joins this one on a date."""
    form = TeacherArrivalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = transfer_services.transfer_file_teacher_in(
                organization=organization_of(request.user), by=request.user, **form.cleaned_data
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The arrival of %(name)s is recorded.") % {"name": transfer.person.name})
            return redirect("classrooms:orgadmin_transfer_list")
    return render(request, "classrooms/orgadmin/teacher_arrival.html", {"form": form})


# --- The org admin's list and decisions ---------------------------------------------------------


@dataclass(frozen=True)
class TransferRow:
    """One transfer as the organization may see it today: people who left are not named."""

    transfer: Transfer
    person: str
    filed_by: str
    decided_by: str
    state: str
    decidable: bool
    successors: list[tuple[str, str]]
    code_reissuable: bool = False


def _transfer_rows(organization: Organization) -> list[TransferRow]:
    day = today()
    transfers = list(transfers_of(organization).prefetch_related("successors__school_class", "successors__successor"))
    people = {transfer.person_id for transfer in transfers} | {transfer.filed_by_id for transfer in transfers}
    people |= {transfer.decided_by_id for transfer in transfers}
    people |= {row.successor_id for transfer in transfers for row in transfer.successors.all()}
    present = members_today(organization, people)
    former = _("former member")

    def named(user: User | None) -> str:
        if user is None:
            return ""
        return user.name if user.pk in present else former

    def state(transfer: Transfer) -> str:
        if transfer.is_completed_on(day):
            return _("Completed")
        return str(transfer.get_status_display())

    return [
        TransferRow(
            transfer=transfer,
            person=named(transfer.person),
            filed_by=named(transfer.filed_by),
            decided_by=named(transfer.decided_by),
            state=state(transfer),
            decidable=transfer.status == Transfer.Status.PENDING
            and transfer.deciding_organization_id == organization.pk,
            successors=[(row.school_class.name, named(row.successor)) for row in transfer.successors.all()],
            code_reissuable=transfer.kind == Transfer.Kind.EXAMINEE_OUT
            and transfer.status == Transfer.Status.APPROVED
            and transfer.from_organization_id == organization.pk,
        )
        for transfer in transfers
    ]


@role_required(User.Role.ORG_ADMIN)
@require_GET
def transfer_list(request):
    """Transfers out of and into the organization: pending first, then approved, completed and rejected."""
    organization = organization_of(request.user)
    rows = _transfer_rows(organization)
    context = {
        "pending": [row for row in rows if row.transfer.status == Transfer.Status.PENDING],
        "decided": [row for row in rows if row.transfer.status != Transfer.Status.PENDING],
    }
    return render(request, "classrooms/orgadmin/transfer_list.html", context)


def _transfer_decide(request, transfer_id: int, decide) -> object:
    transfer = get_transfer_for_decision(request.user, transfer_id)
    try:
        decided = decide(transfer=transfer, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("classrooms:orgadmin_transfer_list")
    if getattr(decided, "issued_code", None):  # an examinee's leaving: the notice for the family, shown once
        return _transfer_notice(request, decided)
    messages.success(request, _("Saved."))
    return redirect("classrooms:orgadmin_transfer_list")


def _transfer_notice(request, transfer: Transfer):
    """The transfer notice (転出連絡票) with the transfer code: the only page that ever shows the code."""
    context = {
        "transfer": transfer,
        "code": transfer_services.transfer_code_format(transfer.issued_code),
        "expires_at": transfer.code_expires_at,
    }
    response = render(request, "classrooms/orgadmin/transfer_notice.html", context)
    add_never_cache_headers(response)
    return response


@role_required(User.Role.ORG_ADMIN)
@require_POST
def transfer_code_reissue(request, transfer_id: int):
    """A new transfer code for an approved leaving (the family lost the notice); the previous one stops working."""
    transfer = get_transfer_for_decision(request.user, transfer_id)
    try:
        transfer = transfer_services.transfer_code_reissue(transfer=transfer, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("classrooms:orgadmin_transfer_list")
    return _transfer_notice(request, transfer)


@role_required(User.Role.ORG_ADMIN)
@require_POST
def transfer_approve(request, transfer_id: int):
    return _transfer_decide(request, transfer_id, transfer_services.transfer_approve)


@role_required(User.Role.ORG_ADMIN)
@require_POST
def transfer_reject(request, transfer_id: int):
    return _transfer_decide(request, transfer_id, transfer_services.transfer_reject)
