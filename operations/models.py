"""Operations data: contracts and their terms, billing snapshots, data exports (docs/design.md §8)."""

from __future__ import annotations

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
