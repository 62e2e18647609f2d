"""The operator console's contract pages (docs/design.md §8.1).

Approving, suspending, reinstating, terminating, notice of non-renewal, the
unit price and renewal are each a page of their own for one organization: the
operator fills in a date or a price if the step needs one, reads what will
happen (accounts locked out, the contract's end, the day its data is deleted)
and confirms. Nothing here changes a contract without that confirmation, and
nothing works on several organizations at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from classrooms.models import Organization, notice_deadline, term_end_after
from classrooms.schoolyear import today
from config.errors import ServiceError
from operations import (
    billing_console,  # noqa: F401  (the billing pages, docs/design.md §8.2)
    contracts,
)
from operations.models import ContractTerm

Status = Organization.Status


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label, initial=today, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ApproveForm(forms.Form):
    starts_on = _date_field(gettext_lazy("First day of the contract"))


class TerminateForm(forms.Form):
    on = _date_field(gettext_lazy("Last day of the contract"))


class NoticeForm(forms.Form):
    on = _date_field(gettext_lazy("Day the notice was received"))


class UnitPriceForm(forms.Form):
    unit_price = forms.IntegerField(label=gettext_lazy("New unit price (yen per account and month)"), min_value=0)


def _d(day: datetime.date | None) -> str:
    return date_format(day) if day else "—"


def _locked_out(organization: Organization) -> str:
    return _("%(count)d account(s) (active members with active accounts) will be locked out.") % {
        "count": contracts.accounts_locked_out_by(organization)
    }


def _deletion(organization: Organization, end: datetime.date) -> str:
    return _("After %(date)s the school's data will be deleted; the org admin is told to export it before then.") % {
        "date": _d(organization.data_deletion_date(end))
    }


_UNTIL_THEN = gettext_lazy("Until then the school works as usual; the accounts are locked out from the next day.")


def _approve_consequences(organization: Organization, values: dict) -> list[str]:
    starts_on = values["starts_on"]
    return [
        _("The first one-year term runs from %(start)s to %(end)s at %(price)s yen per account and month.")
        % {"start": _d(starts_on), "end": _d(term_end_after(starts_on)), "price": organization.unit_price},
        _("From %(start)s the school's accounts may sign in; the contract then renews itself every year.")
        % {"start": _d(starts_on)},
    ]


def _suspend_consequences(organization: Organization, values: dict) -> list[str]:
    return [
        _locked_out(organization),
        _("They are signed out at once and cannot sign in until the organization is reinstated."),
        _("The contract runs on meanwhile (current end: %(end)s).") % {"end": _d(organization.contract_ends_on())},
    ]


def _reinstate_consequences(organization: Organization, values: dict) -> list[str]:
    return [
        _("The school's accounts may sign in again (%(count)d active account(s)).")
        % {"count": contracts.accounts_locked_out_by(organization)}
    ]


def _terminate_consequences(organization: Organization, values: dict) -> list[str]:
    on = values["on"]
    lines = [_("The contract ends on %(date)s.") % {"date": _d(on)}, _locked_out(organization)]
    if on > today():
        lines.append(str(_UNTIL_THEN))
    else:
        lines.append(_("They are signed out at once and cannot sign in again."))
    return [*lines, _deletion(organization, on)]


def _notice_consequences(organization: Organization, values: dict) -> list[str]:
    on = values["on"]
    current_end = organization.contract_ends_on(on)  # without notice: the running term's end
    organization.notice_given_on = on  # not saved: what the end would be with this notice
    end = organization.contract_ends_on(on)
    lines = [_("The contract is not renewed: it ends on %(date)s.") % {"date": _d(end)}]
    if end != current_end:
        lines.append(
            _("The notice came after %(deadline)s, less than a month before %(term_end)s: it renews once more.")
            % {"deadline": _d(notice_deadline(current_end)), "term_end": _d(current_end)}
        )
    return [*lines, _locked_out(organization), str(_UNTIL_THEN), _deletion(organization, end)]


def _withdraw_consequences(organization: Organization, values: dict) -> list[str]:
    return [
        _("The contract renews itself again every year; it no longer ends on %(date)s.")
        % {"date": _d(organization.contract_ends_on())}
    ]


def _unit_price_consequences(organization: Organization, values: dict) -> list[str]:
    price = values["unit_price"]
    if organization.status == Status.PENDING:
        return [_("The unit price becomes %(price)s yen; the first term begins with it.") % {"price": price}]
    next_start = organization.contract_ends_on() + datetime.timedelta(days=1)
    return [
        _("The unit price becomes %(price)s yen from the next term, beginning on %(date)s.")
        % {"price": price, "date": _d(next_start)},
        _("The current term keeps %(price)s yen, and so does the billing count until then.")
        % {"price": organization.unit_price},
    ]


def _renew_consequences(organization: Organization, values: dict) -> list[str]:
    last = organization.contract_terms.order_by("-starts_on").first()
    last_end = last.ends_on if last else term_end_after(organization.contract_starts_on)
    starts, end = contracts.renewal_plan(organization, last_end, today())
    lines = [
        _("A new term is recorded from %(start)s to %(end)s.") % {"start": _d(start), "end": _d(term_end_after(start))}
        for start in starts
    ]
    if end is not None and end < today():
        lines += [_("The contract ended on %(date)s: it is terminated instead.") % {"date": _d(end)}]
        lines += [_locked_out(organization), _deletion(organization, end)]
    if not lines:
        raise ServiceError(
            _("Nothing is due: the current term runs until %(date)s.") % {"date": _d(last_end)}, code="nothing_due"
        )
    return lines


@dataclass(frozen=True)
class ContractStep:
    """One of the contract pages: who it applies to, what it asks, what it says and what it does."""

    title: str
    allowed: Callable[[Organization], bool]
    consequences: Callable[[Organization, dict], list[str]]
    run: Callable[..., object]
    form: type[forms.Form] | None = None


def _running(organization: Organization) -> bool:
    return organization.status in (Status.APPROVED, Status.SUSPENDED)


STEPS: dict[str, ContractStep] = {
    "approve": ContractStep(
        gettext_lazy("Approve"),
        lambda o: o.status == Status.PENDING,
        _approve_consequences,
        contracts.contract_approve,
        ApproveForm,
    ),
    "suspend": ContractStep(
        gettext_lazy("Suspend"),
        lambda o: o.status == Status.APPROVED,
        _suspend_consequences,
        contracts.contract_suspend,
    ),
    "reinstate": ContractStep(
        gettext_lazy("Reinstate"),
        lambda o: o.status == Status.SUSPENDED,
        _reinstate_consequences,
        contracts.contract_reinstate,
    ),
    "notice": ContractStep(
        gettext_lazy("Record notice of non-renewal"),
        lambda o: _running(o) and o.notice_given_on is None and o.ended_on is None,
        _notice_consequences,
        contracts.contract_give_notice,
        NoticeForm,
    ),
    "withdraw-notice": ContractStep(
        gettext_lazy("Withdraw the notice of non-renewal"),
        lambda o: _running(o) and o.notice_given_on is not None,
        _withdraw_consequences,
        contracts.contract_withdraw_notice,
    ),
    "unit-price": ContractStep(
        gettext_lazy("Change the unit price"),
        lambda o: o.status != Status.TERMINATED,
        _unit_price_consequences,
        contracts.contract_change_unit_price,
        UnitPriceForm,
    ),
    "renew": ContractStep(gettext_lazy("Renew"), _running, _renew_consequences, contracts.contract_renew),
    "terminate": ContractStep(
        gettext_lazy("Terminate"),
        lambda o: o.status != Status.TERMINATED,
        _terminate_consequences,
        contracts.contract_terminate,
        TerminateForm,
    ),
}


class ContractTermInline(admin.TabularInline):
    """The contract's terms as they began, oldest first; read-only (docs/design.md §8.1)."""

    model = ContractTerm
    extra = 0
    fields = ["starts_on", "ends_on", "unit_price", "created_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = gettext_lazy("Contract terms (history)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContractPagesMixin:
    """The contract's pages and summary on the organizations' console (classrooms/admin.py)."""

    def contract_urls(self) -> list:
        return [
            path(
                "<int:organization_id>/contract/<slug:step>/",
                self.admin_site.admin_view(self.contract_step),
                name="classrooms_organization_contract",
            )
        ]

    @admin.display(description=gettext_lazy("contract actions"))
    def contract_links(self, organization: Organization):
        links = [
            (reverse("admin:classrooms_organization_contract", args=[organization.pk, slug]), step.title)
            for slug, step in STEPS.items()
            if step.allowed(organization)
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links) or "—"

    @admin.display(description=gettext_lazy("contract"))
    def contract_summary(self, organization: Organization):
        if organization.pk is None:
            return "—"
        terms = organization.contract_terms.order_by("-starts_on")
        current = terms.filter(starts_on__lte=today()).first() or terms.last()  # or the first, not begun yet
        known_end = organization.known_end_on()
        context = {
            "organization": organization,
            "current": current,
            "term_end": organization.contract_ends_on() if organization.contract_starts_on else None,
            "known_end": known_end,
            "deletion": organization.data_deletion_date(known_end) if known_end else None,
            "notice_deadline": notice_deadline(current.ends_on) if current else None,
        }
        return format_html("{}", render_to_string("admin/operations/contract_summary.html", context))

    def contract_step(self, request, organization_id: int, step: str):
        """A contract page: the form (if the step asks anything), then the confirmation, then the change."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        organization = get_object_or_404(Organization, pk=organization_id)
        spec = STEPS.get(step)
        if spec is None:
            raise Http404
        change_url = reverse("admin:classrooms_organization_change", args=[organization.pk])
        if not spec.allowed(organization):
            messages.error(
                request,
                _("This cannot be done while the organization is %(status)s.")
                % {"status": organization.get_status_display()},
            )
            return redirect(change_url)
        form = spec.form(request.POST or None) if spec.form else None
        if form is not None and not (request.method == "POST" and form.is_valid()):
            return self._contract_page(request, organization, spec, form=form)
        values = form.cleaned_data if form is not None else {}
        if request.method == "POST" and request.POST.get("confirmed") == "yes":
            try:
                spec.run(organization=organization, by=request.user, **values)
            except ServiceError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Done: %(step)s.") % {"step": spec.title})
                return redirect(change_url)
        try:
            consequences = spec.consequences(organization, values)
        except ServiceError as error:  # nothing to confirm
            messages.info(request, str(error))
            return redirect(change_url)
        return self._contract_page(request, organization, spec, form=form, consequences=consequences)

    def _contract_page(self, request, organization, spec, *, form, consequences=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "organization": organization,
            "title": f"{spec.title}: {organization.name}",
            "step": spec,
            "form": form,
            "consequences": consequences,
        }
        return render(request, "admin/classrooms/organization/contract_step.html", context)
