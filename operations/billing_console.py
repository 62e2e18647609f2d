"""The operator console's billing pages: a month's count per school, with totals, the change from
the month before, month navigation and a CSV download (docs/design.md §8.2). Snapshots are read-only.
"""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import re_path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from classrooms.models import add_months
from classrooms.schoolyear import today
from classrooms.spreadsheet import csv_download
from config.console import ReadOnlyAdmin
from operations.billing import MonthSummary, month_of, month_summary
from operations.export_files import number
from operations.models import BillingSnapshot

MONTH_IN_URL = r"(?P<year>20\d\d)-(?P<month>\d\d)"


def _month(year: str, month: str) -> datetime.date:
    """The month named in a URL; 404 for a month that does not exist."""
    try:
        return datetime.date(int(year), int(month), 1)
    except ValueError as error:
        raise Http404 from error


def _csv_rows(summary: MonthSummary):
    """Numbers only, never a signed change: a leading minus would be neutralized as a formula start."""
    for line in summary.lines:
        yield [
            f"{summary.month:%Y-%m}",
            summary.billing_day.isoformat(),
            line.organization_code,
            line.organization_name,
            str(line.teacher_count),
            str(line.examinee_count),
            str(line.accounts),
            str(line.unit_price),
            str(line.amount),
            summary.due_on.isoformat(),
            number(line.previous_accounts),
            number(line.previous_amount),
        ]


class BillingSnapshotAdmin(ReadOnlyAdmin):
    """The month page replaces the list; a snapshot's own page is read-only."""

    list_display = ["month", "organization_name", "account_count", "amount"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            re_path(rf"^{MONTH_IN_URL}/$", view(self.month_view), name="operations_billingsnapshot_month"),
            re_path(rf"^{MONTH_IN_URL}/csv/$", view(self.csv_view), name="operations_billingsnapshot_csv"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        return self._month_page(request, month_of(today()))

    def month_view(self, request, year: str, month: str):
        return self._month_page(request, _month(year, month))

    def csv_view(self, request, year: str, month: str):
        """The month's snapshots as a CSV for Excel; only a written month has one."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        summary = month_summary(_month(year, month))
        if summary.state != "written":
            raise Http404
        header = [
            _("Billing month"),
            _("Billing day"),
            _("Organization code"),
            _("Organization"),
            _("Teacher accounts counted"),
            _("Examinee accounts counted"),
            _("Accounts billed"),
            _("Unit price (yen)"),
            _("Amount (yen)"),
            _("Payment due"),
            _("Accounts billed last month"),
            _("Amount last month (yen)"),
        ]
        return csv_download(f"billing-{summary.month:%Y-%m}.csv", header, _csv_rows(summary))

    def _month_page(self, request, month: datetime.date):
        if not self.has_view_permission(request):
            raise PermissionDenied
        summary = month_summary(month)
        written_months = BillingSnapshot.objects.order_by("-month").values_list("month", flat=True).distinct()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Billing count for %(month)s") % {"month": date_format(month, "YEAR_MONTH_FORMAT")},
            "summary": summary,
            "previous_url": self._month_url(add_months(month, -1)),
            "next_url": self._month_url(add_months(month, 1)),
            "written_months": [(written, self._month_url(written)) for written in written_months[:24]],
        }
        return render(request, "admin/operations/billingsnapshot/month.html", context)

    @staticmethod
    def _month_url(month: datetime.date) -> str:
        return reverse("admin:operations_billingsnapshot_month", args=[f"{month:%Y}", f"{month:%m}"])


admin.site.register(BillingSnapshot, BillingSnapshotAdmin)
