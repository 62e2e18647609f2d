"""Operations data: contracts and their terms, billing snapshots, data exports (docs/design.md §8)."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
