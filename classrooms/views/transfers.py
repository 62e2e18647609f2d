"""Arrivals of examinees at a new school (docs/design.md §7): filed by the school, answered by the examinee."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from classrooms import transfers as transfer_services
from classrooms.access import get_transfer_for_examinee, organization_of, role_required
from classrooms.forms import HistoryConsentForm, TransferInForm
from classrooms.models import User
from config.errors import ServiceError


@role_required(User.Role.TEACHER, User.Role.ORG_ADMIN)
@require_http_methods(["GET", "POST"])
def examinee_arrival(request):
    """File that an examinee with an account joins this school; the org admin approves after they answer."""
    form = TransferInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = transfer_services.transfer_file_examinee_in(
                organization=organization_of(request.user), by=request.user, **form.cleaned_data
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The arrival of %(name)s is filed. They are asked about their history; then your org admin approves.")
                % {"name": transfer.person.name},
            )
            return redirect(
                "classrooms:orgadmin_transfer_list" if request.user.is_org_admin else "classrooms:teacher_class_list"
            )
    return render(request, "classrooms/transfer_in.html", {"form": form})


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
