"""Badges awarded for passed tests: issuers, achievements, status lists, awards (docs/design.md §12).

Every public URL names its object by a random `public_id`, never by a numeric
id, so nobody reaches another pupil's credential by counting.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from badges import status_list


def new_public_id() -> str:
    """An unguessable id for a public URL (128 random bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def new_salt() -> str:
    return secrets.token_hex(16)


def empty_bits() -> bytes:
    return bytes(status_list.MINIMUM_ENTRIES // 8)


class Issuer(models.Model):
    """Who signs badges: the operator (no organization, one row) or a school (docs/design.md §12)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    organization = models.OneToOneField(
        "classrooms.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="badge_issuer",
        verbose_name=_("school"),
    )
    is_operator = models.BooleanField(default=False, editable=False)
    name = models.CharField(_("name"), max_length=200)
    # Off by default: the pupil appears only as a salted hash (docs/design.md §12); the school's org
    # admin may have the name written into its badges.
    show_pupil_name = models.BooleanField(_("write the pupil's name into the badge"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("badge issuer")
        verbose_name_plural = _("badge issuers")
        constraints = [
            models.UniqueConstraint(fields=["is_operator"], condition=Q(is_operator=True), name="one_operator_issuer"),
            models.CheckConstraint(
                condition=Q(is_operator=True, organization__isnull=True)
                | Q(is_operator=False, organization__isnull=False),
                name="issuer_is_operator_or_school",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.organization.name if self.organization_id else self.name


class StatusList(models.Model):
    """An issuer's revocation list (W3C Bitstring Status List), its bits kept here.

    Indexes are handed out at random under the row's lock and never twice
    (`used`, `badges.services.allocate_index`). The signed list credential is cached
    with the digest of the bits it publishes and signed again when they differ.
    """

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="status_lists")
    bits = models.BinaryField(default=empty_bits)
    # Which indexes were ever handed out: an index is never given twice, even after its award's row went
    # with a school's deleted data (its bit, set or not, may still be read by a badge someone holds).
    used = models.BinaryField(default=empty_bits)
    signed = models.JSONField(null=True, blank=True, editable=False)
    signed_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("badge status list")
        verbose_name_plural = _("badge status lists")

    def __str__(self) -> str:
        return f"{self.issuer} ({self.allocated}/{self.size})"

    @property
    def size(self) -> int:
        return len(self.bits) * 8

    @property
    def allocated(self) -> int:
        """How many indexes were ever handed out: the bits set in `used`."""
        return int.from_bytes(bytes(self.used), "big").bit_count()

    def entries(self) -> status_list.StatusList:
        return status_list.StatusList(bits=bytes(self.bits))


class Achievement(models.Model):
    """What a version of a test awards (docs/design.md §12): texts in Japanese and English, and the issuer.

    An operator-catalog version always has one, enabled. A school's version has
    one only when its author turns the badge on in the editor; it is copied to
    the next draft and, like the rest of the version, frozen once published.
    """

    NAME_MAX_LENGTH = 200
    TEXT_MAX_LENGTH = 2000
    # The words an author writes (the editor's badge card), copied as they are to a next draft.
    TEXTS = ("name_ja", "name_en", "description_ja", "description_en", "criteria_ja", "criteria_en")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    version = models.OneToOneField(
        "exams.ExamVersion", on_delete=models.CASCADE, related_name="badge", verbose_name=_("exam version")
    )
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="achievements")
    enabled = models.BooleanField(_("award a badge"), default=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=NAME_MAX_LENGTH)
    name_en = models.CharField(_("name (English)"), max_length=NAME_MAX_LENGTH, blank=True)
    description_ja = models.TextField(_("description (Japanese)"), max_length=TEXT_MAX_LENGTH, blank=True)
    description_en = models.TextField(_("description (English)"), max_length=TEXT_MAX_LENGTH, blank=True)
    criteria_ja = models.TextField(_("criteria (Japanese)"), max_length=TEXT_MAX_LENGTH, blank=True)
    criteria_en = models.TextField(_("criteria (English)"), max_length=TEXT_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("badge achievement")
        verbose_name_plural = _("badge achievements")

    def __str__(self) -> str:
        return self.name_ja


class Award(models.Model):
    """A badge awarded for one passed attempt; the signed credential once signed (docs/design.md §12).

    Created with its status index in the transaction that finishes the attempt;
    `credential` is filled after the commit, and again by
    `manage.py issue_pending_badges` or the first fetch if signing failed, so a
    failure to sign never loses the result.
    """

    class RevokedFor(models.TextChoices):
        MISCONDUCT = "misconduct", _("The result was revoked")
        REGRADED = "regraded", _("The result was scored again and no longer passes")

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    attempt = models.OneToOneField("exams.Attempt", on_delete=models.PROTECT, related_name="badge_award")
    achievement = models.ForeignKey(Achievement, on_delete=models.PROTECT, related_name="awards")
    status_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="awards")
    status_index = models.PositiveIntegerField()
    # The salt of the pupil's identity hash, kept so the school can show whose badge it is.
    salt = models.CharField(max_length=64, default=new_salt, editable=False)
    awarded_at = models.DateTimeField(default=timezone.now)
    credential = models.JSONField(null=True, blank=True, editable=False)
    signed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_for = models.CharField(max_length=12, choices=RevokedFor.choices, blank=True)
    revocation_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-awarded_at", "-id"]
        verbose_name = _("badge award")
        verbose_name_plural = _("badge awards")
        constraints = [
            models.UniqueConstraint(fields=["status_list", "status_index"], name="badge_status_index_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.achievement} ({self.public_id})"

    @property
    def issuer(self) -> Issuer:
        """Who signs it: its achievement's issuer (whose status list holds its index)."""
        return self.achievement.issuer

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
