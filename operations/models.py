"""Operations data: contracts and their terms, billing snapshots, data exports (docs/design.md §8)."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from classrooms.models import Organization


class ContractTerm(models.Model):
    """One year of an organization's contract, recorded when it begins (docs/design.md §8.1).

    Append-only: a renewal is a new row, and a row is never changed afterwards,
    so the history shows each term with the unit price it began with. An early
    termination is `Organization.ended_on`, not an edit of the term.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="contract_terms", verbose_name=_("organization")
    )
    starts_on = models.DateField(_("term start"))
    ends_on = models.DateField(_("term end"))
    unit_price = models.PositiveIntegerField(_("unit price (yen per account and month)"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["organization", "starts_on"]
        verbose_name = _("contract term")
        verbose_name_plural = _("contract terms")
        constraints = [
            models.UniqueConstraint(fields=["organization", "starts_on"], name="one_term_per_start"),
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="term_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.starts_on}–{self.ends_on}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Contract terms are append-only: a renewal is a new term.")
        super().save(*args, **kwargs)


class BillingSnapshotQuerySet(models.QuerySet):
    """Snapshots are kept for good: no bulk update or delete either (docs/design.md §8.2)."""

    def update(self, **kwargs):
        raise ValueError("Billing snapshots are immutable.")

    def delete(self):
        raise ValueError("Billing snapshots are immutable.")


class BillingSnapshot(models.Model):
    """One organization's billing count for one month, written once on the billing day (docs/design.md §8.2).

    The organization's name and code are copied, so the row still says whom it billed after
    the school's personal data is deleted; `organization` is cleared only if the row itself goes.
    """

    month = models.DateField(_("billing month"), help_text=_("The first day of the month billed."))
    billing_day = models.DateField(_("billing day"))
    organization = models.ForeignKey(
        Organization,
        null=True,
        on_delete=models.SET_NULL,
        related_name="billing_snapshots",
        verbose_name=_("organization"),
    )
    organization_name = models.CharField(_("organization name"), max_length=200)
    organization_code = models.CharField(_("organization code"), max_length=12)
    teacher_count = models.PositiveIntegerField(_("teacher accounts"))
    examinee_count = models.PositiveIntegerField(_("examinee accounts"))
    unit_price = models.PositiveIntegerField(_("unit price (yen)"))
    amount = models.PositiveBigIntegerField(_("amount (yen)"))
    due_on = models.DateField(_("payment due"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    objects = BillingSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "organization_code"]
        verbose_name = _("billing snapshot")
        verbose_name_plural = _("billing snapshots")
        constraints = [
            models.UniqueConstraint(fields=["organization", "month"], name="billing_snapshot_once_per_month"),
            models.UniqueConstraint(fields=["organization_code", "month"], name="billing_snapshot_code_once"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.organization_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Billing snapshots are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Billing snapshots are immutable.")

    @property
    def account_count(self) -> int:
        return self.teacher_count + self.examinee_count


class DataExport(models.Model):
    """One ZIP of everything a school may keep, built in the background (docs/design.md §8.4).

    `build_token` names the builder that holds the export: a builder writes its
    progress and its result only while the token is still its own, so an export
    taken over after its builder went silent is never finished twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being built")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    IN_PROGRESS = (Status.QUEUED, Status.RUNNING)

    organization = models.ForeignKey(
        "classrooms.Organization", on_delete=models.PROTECT, related_name="data_exports", verbose_name=_("organization")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True, help_text="Name of the ZIP file in EXPORT_DIR.")
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    build_token = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, help_text="The builder's last sign of life.")
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why the build failed, for operators.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status__in=["queued", "running"]),
                name="one_export_in_progress_per_organization",
            )
        ]

    def __str__(self) -> str:
        return f"Data export {self.pk}"

    @property
    def is_in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_downloadable(self, now: datetime.datetime | None = None) -> bool:
        return self.status == self.Status.DONE and bool(self.file_name) and not self.is_expired(now)

    @property
    def path(self) -> Path | None:
        return Path(settings.EXPORT_DIR) / self.file_name if self.file_name else None
