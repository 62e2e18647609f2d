from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from classrooms.schoolyear import today

LOGIN_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,29}$"
login_id_validator = RegexValidator(
    LOGIN_ID_PATTERN,
    _("Use 3–30 characters: lowercase letters, digits, '.', '-' or '_', starting with a letter or digit."),
)


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def term_end_after(starts_on: datetime.date) -> datetime.date:
    """Last day of a one-year contract term beginning on `starts_on` (docs/design.md §8.1).

    The day before the same date a year later; a term beginning on 29 February
    ends on 28 February, the last day of that month, since there is no 29th.
    """
    anniversary = add_years(starts_on, 1)
    if anniversary.day != starts_on.day:
        return anniversary
    return anniversary - datetime.timedelta(days=1)


def notice_deadline(term_end: datetime.date) -> datetime.date:
    """The last day notice of non-renewal counts for the term ending on `term_end`.

    A full month of the term must remain after the day notice is given: for a
    term ending on 31 March, notice given by the end of February (docs/design.md §8.1).
    """
    return add_months(term_end + datetime.timedelta(days=1), -1) - datetime.timedelta(days=1)


class Organization(models.Model):
    """A school or other body that runs proctored tests under a contract.

    Its contract's live state is here (status, start, notice, end, unit price);
    the terms as they began, each with its price, are operations.ContractTerm
    rows, and every change goes through operations/contracts.py (docs/design.md §8.1).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    class SchoolType(models.TextChoices):
        # What the school's screens call its pupils (docs/design.md §11): 児童 in elementary
        # schools, 生徒 in junior high and high schools, 児童生徒 where both learn.
        ELEMENTARY = "elementary", pgettext_lazy("school type", "Elementary school (pupils are 児童)")
        SECONDARY = "secondary", pgettext_lazy("school type", "Junior high or high school (pupils are 生徒)")
        MIXED = "mixed", pgettext_lazy("school type", "Both, or other (pupils are 児童生徒)")

    name = models.CharField(_("name"), max_length=200)
    school_type = models.CharField(
        _("school type"), max_length=12, choices=SchoolType.choices, default=SchoolType.MIXED
    )
    code = models.SlugField(
        _("code"),
        max_length=12,
        unique=True,
        help_text=_("Short lowercase code used as the prefix of generated login ids."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    contract_starts_on = models.DateField(_("contract start"), null=True, blank=True)
    notice_given_on = models.DateField(
        _("notice of non-renewal given on"),
        null=True,
        blank=True,
        help_text=_("The contract ends at the first term end at least one month after this date."),
    )
    unit_price = models.PositiveIntegerField(_("unit price (yen per account and month)"), default=0)
    next_unit_price = models.PositiveIntegerField(
        _("unit price from the next term"),
        null=True,
        blank=True,
        help_text=_("A changed unit price applies from the next term."),
    )
    suspended_on = models.DateField(_("suspended since"), null=True, blank=True)
    ended_on = models.DateField(
        _("contract ended on"),
        null=True,
        blank=True,
        help_text=_("Set when the contract is terminated; personal data is deleted after the retention period."),
    )
    # New organizations require it; those that existed before two-factor sign-in do not, until the
    # operator turns it on (docs/design.md §1).
    two_factor_required = models.BooleanField(
        _("org admins must use two-factor sign-in"),
        default=True,
        help_text=_("Org admins confirm each sign-in with a code from an authenticator app."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name

    def term_ends(self):
        """The ends of the contract's terms, one after the other, from its start (docs/design.md §8.1)."""
        end = term_end_after(self.contract_starts_on)
        while True:
            yield end
            end = term_end_after(end + datetime.timedelta(days=1))

    def notice_counts_for(self, term_end: datetime.date) -> bool:
        """Was notice of non-renewal given in time to end the contract at `term_end`?"""
        return self.notice_given_on is not None and self.notice_given_on <= notice_deadline(term_end)

    def contract_ends_on(self, day: datetime.date | None = None) -> datetime.date | None:
        """Last day of the contract as it stands on `day`.

        The day it ended or is set to end (termination), else the term end at
        which notice of non-renewal takes effect, else the end of the term
        running on `day`: without notice every term renews itself, whether or
        not the daily `renew_contracts` has recorded the new term yet.
        """
        if self.ended_on is not None:
            return self.ended_on
        if self.contract_starts_on is None:
            return None
        day = day or today()
        for term_end in self.term_ends():
            if self.notice_counts_for(term_end) or (self.notice_given_on is None and term_end >= day):
                return term_end
        raise AssertionError("unreachable")

    def known_end_on(self, day: datetime.date | None = None) -> datetime.date | None:
        """The day the contract ends for good, once known: termination, or notice that counts."""
        if self.ended_on is not None or self.notice_given_on is not None:
            return self.contract_ends_on(day)
        return None

    def data_deletion_date(self, ended_on: datetime.date | None = None) -> datetime.date | None:
        """The day after which a terminated school's personal data is deleted (docs/design.md §8).

        For a contract ending on `ended_on` (default: the day it ended), e.g. to say so in advance.
        """
        ended_on = ended_on or self.ended_on
        if ended_on is None:
            return None
        return ended_on + datetime.timedelta(days=settings.DATA_RETENTION_DAYS)

    def is_in_service_on(self, day: datetime.date) -> bool:
        if self.status != self.Status.APPROVED or self.contract_starts_on is None:
            return False
        end = self.contract_ends_on(day)
        return self.contract_starts_on <= day and (end is None or day <= end)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, login_id: str, password: str | None = None, **fields):
        user = self.model(login_id=login_id.lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, login_id: str, password: str | None = None, **fields):
        fields.update(role=User.Role.OPERATOR, is_staff=True, is_superuser=True)
        return self.create_user(login_id, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Every account. The role is fixed for life: a teacher never becomes an examinee."""

    class Role(models.TextChoices):
        OPERATOR = "operator", _("Operator")
        ORG_ADMIN = "org_admin", _("Org admin")
        TEACHER = "teacher", _("Teacher")
        EXAMINEE = "examinee", _("Examinee")

    login_id = models.CharField(_("login id"), max_length=30, unique=True, validators=[login_id_validator])
    name = models.CharField(_("name"), max_length=100)
    kana = models.CharField(_("name in kana"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Unticked means suspended: the account cannot sign in.")
    )
    is_staff = models.BooleanField(_("operator staff"), default=False)
    must_change_password = models.BooleanField(_("must choose a new password"), default=False)
    session_generation = models.PositiveIntegerField(
        default=0, editable=False, help_text="Raised to sign the user out of every session at once."
    )
    date_joined = models.DateTimeField(_("created"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "login_id"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["login_id"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return f"{self.name} ({self.login_id})"

    def _get_session_auth_hash(self, secret=None):
        # Django signs each session with this hash and drops sessions whose hash
        # no longer matches; mixing in the generation lets a suspension end every
        # session at once, without touching the session store.
        return salted_hmac(
            "classrooms.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_operator(self) -> bool:
        return self.role == self.Role.OPERATOR

    @property
    def is_org_admin(self) -> bool:
        return self.role == self.Role.ORG_ADMIN

    @property
    def is_teacher(self) -> bool:
        return self.role == self.Role.TEACHER

    @property
    def is_examinee(self) -> bool:
        return self.role == self.Role.EXAMINEE


class MembershipQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> MembershipQuerySet:
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day))


class Membership(models.Model):
    """A person's belonging to an organization from `starts_on` until the day before `ends_on`.

    Every visibility rule asks whether a membership is active on a day, so a
    transfer takes effect on its date without any scheduler (docs/design.md §7).
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (exclusive)"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["organization", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="membership_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"


class SchoolClass(models.Model):
    """A class (学級) of one organization, one school year and one proctoring teacher."""

    CAPACITY = 40

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="classes", verbose_name=_("organization")
    )
    school_year = models.PositiveSmallIntegerField(
        _("school year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    name = models.CharField(_("class name"), max_length=50)
    teacher = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="classes_taught", verbose_name=_("teacher")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-school_year", "name"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(fields=["organization", "school_year", "name"], name="class_name_unique_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.school_year} {self.name}"


class EnrollmentQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> EnrollmentQuerySet:
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day))


TIME_MULTIPLIERS = [
    (Decimal("1.00"), _("Standard time")),
    (Decimal("1.25"), _("1.25 × time")),
    (Decimal("1.50"), _("1.5 × time")),
    (Decimal("2.00"), _("2 × time")),
]


class Enrollment(models.Model):
    """An examinee in a class, with their number in the class (出席番号)."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="enrollments")
    examinee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="enrollments")
    number = models.PositiveSmallIntegerField(
        _("number in class"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (exclusive)"), null=True, blank=True)
    # A standing accommodation (docs/design.md §4): the pupil's time limit is the exam's times this.
    time_multiplier = models.DecimalField(
        _("time allowed"),
        max_digits=3,
        decimal_places=2,
        choices=TIME_MULTIPLIERS,
        default=Decimal("1.00"),
    )

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["number", "examinee__kana", "examinee__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "examinee"],
                condition=Q(ends_on__isnull=True),
                name="one_open_enrollment_per_class",
            )
        ]

    def __str__(self) -> str:
        return f"{self.examinee} in {self.school_class}"


# What the org admin reads for each action code of the audit log. Each module that writes
# entries declares its codes, with their labels, at its top with `audit_actions` (a new code is one
# line there, beside the code that writes it); AuditEntry.record refuses a code nobody declared.
# The same call declares the words for the detail keys those codes write and, for a detail whose
# values are codes (a reason, a status), the words for each value.
_AUDIT_ACTION_LABELS: dict[str, str] = {}
_AUDIT_DETAILS: dict[str, dict[str, tuple[str, dict[str, str]]]] = {}


def audit_actions(labels: dict[str, str], *, details: dict | None = None) -> dict[str, str]:
    """Declare the action codes a module writes to the audit log, each with its label.

    `details` names the detail keys these actions write: `{key: label}`, or
    `{key: (label, {value: label})}` for a key whose values are codes.
    """
    declared = {key: spec if isinstance(spec, tuple) else (spec, {}) for key, spec in (details or {}).items()}
    for code, label in labels.items():
        if _AUDIT_ACTION_LABELS.get(code, label) != label:
            raise ValueError(f"The audit action {code!r} is declared twice with different labels.")
        _AUDIT_ACTION_LABELS[code] = label
        for key, (key_label, values) in declared.items():
            _AUDIT_DETAILS.setdefault(code, {})[key] = (key_label, dict(values))
    return labels


def audit_action_labels() -> dict[str, str]:
    """Every declared action code and its label."""
    return dict(_AUDIT_ACTION_LABELS)


def audit_detail_declarations() -> dict[str, dict[str, tuple[str, dict[str, str]]]]:
    """Per action code, the detail keys declared beside it: {key: (label, {value: label})}."""
    return {code: dict(keys) for code, keys in _AUDIT_DETAILS.items()}


# Detail keys many modules write alike; a writer declares the others (and any value labels) itself.
AUDIT_DETAIL_LABELS = {
    "previous": _("before"),
    "count": _("number"),
    "login_ids": _("login ids"),
    "examinee": _("examinee"),
    "teacher": _("teacher"),
    "fields": _("changed"),
    "exam": _("test"),
    "minutes": _("minutes"),
    "session": _("test no."),
    "attempt": _("attempt no."),
    "incident": _("incident no."),
    "effective_on": _("effective date"),
    "successor": _("successor"),
}

# The first entry of a chain links to this instead of a previous hash.
AUDIT_CHAIN_START = "0" * 64


def audit_canonical(entry) -> bytes:
    """Canonical JSON of an audit entry's unchangeable fields and previous hash (also used by migration 0012)."""
    fields = {
        "organization": entry.organization_id,
        "sequence": entry.sequence,
        "at": entry.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class AuditQuerySet(models.QuerySet):
    """The audit log is append-only: no bulk insert past the chain, no update; delete only when purging."""

    def bulk_create(self, *args, **kwargs):
        raise ValueError("Audit entries are written one by one with AuditEntry.record (they form a chain).")

    def update(self, **kwargs):
        raise ValueError("Audit entries are append-only.")

    def delete(self):
        from classrooms.audit_chain import purging

        if not purging(self):
            raise ValueError("Audit entries are append-only; only a school's data deletion removes them.")
        return super().delete()


class AuditChain(models.Model):
    """The head of one organization's audit chain (docs/design.md §9).

    `key` is the organization's id, 0 for entries of no organization. Writers
    lock this row to take the next sequence number, so two entries written at
    once never fork the chain. `purged_*` says up to where a school's data
    deletion removed the chain's entries on purpose (docs/design.md §8.4).
    """

    key = models.PositiveBigIntegerField(unique=True)
    sequence = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default=AUDIT_CHAIN_START)
    purged_through = models.PositiveBigIntegerField(default=0)
    purged_hash = models.CharField(max_length=64, default=AUDIT_CHAIN_START)

    def __str__(self) -> str:
        return f"audit chain {self.key} at {self.sequence}"


class AuditCheckpoint(models.Model):
    """How far one chain was last verified, so the audit page re-checks only what is new (docs/design.md §9)."""

    key = models.PositiveBigIntegerField(unique=True)
    sequence = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default=AUDIT_CHAIN_START)
    entry_at = models.DateTimeField(null=True, blank=True)
    count = models.PositiveBigIntegerField(default=0)
    checked_at = models.DateTimeField(null=True, blank=True)
    broken = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"audit checkpoint {self.key} at {self.sequence}"


class AuditEntry(models.Model):
    """Append-only record of who did what, when, to what.

    Never holds a password, an answer or a message body: `details` carries
    identifiers and short labels only. Each entry carries the hash of the
    previous entry of its organization (a chain, docs/design.md §9).
    """

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        verbose_name=_("organization"),
    )
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("by"), max_length=150)
    action = models.CharField(_("action"), max_length=60)
    target_type = models.CharField(_("kind of target"), max_length=40, blank=True)
    target_id = models.CharField(_("target id"), max_length=40, blank=True)
    target_label = models.CharField(_("target"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    sequence = models.PositiveBigIntegerField(_("sequence"), editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["organization", "-at"])]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sequence"], name="one_audit_entry_per_chain_link"),
            models.UniqueConstraint(
                fields=["sequence"], condition=Q(organization__isnull=True), name="one_audit_entry_per_link_of_no_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        """Insert the entry as the next link of its organization's chain; an entry is never saved twice."""
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        from classrooms.audit_chain import link

        with transaction.atomic():
            link(self)
            super().save(*args, **kwargs)

    @property
    def chain_key(self) -> int:
        return self.organization_id or 0

    def canonical(self) -> bytes:
        """The entry's unchangeable fields and the previous hash, as canonical JSON (what `hash` is over)."""
        return audit_canonical(self)

    def compute_hash(self) -> str:
        return hashlib.sha256(audit_canonical(self)).hexdigest()

    @classmethod
    def record(
        cls,
        *,
        organization: Organization | None,
        actor: User | None,
        action: str,
        target: models.Model | None = None,
        **details,
    ) -> AuditEntry:
        if action not in _AUDIT_ACTION_LABELS:
            raise ValueError(
                f"Declare the audit action {action!r} with audit_actions() beside the code that writes it."
            )
        return cls.objects.create(
            organization=organization,
            actor=actor,
            actor_label=str(actor) if actor else "system",
            action=action,
            target_type=target._meta.model_name if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            target_label=str(target)[:200] if target is not None else "",
            details=details,
        )

    @staticmethod
    def action_label(action: str) -> str:
        """The words for an action code; a code without a label is shown as it is."""
        return str(_AUDIT_ACTION_LABELS.get(action, action))

    @staticmethod
    def detail_label(key: str, action: str = "") -> str:
        """The words for a key of `details`; a key without a label is shown as it is."""
        declared = _AUDIT_DETAILS.get(action, {}).get(key)
        return str(declared[0] if declared else AUDIT_DETAIL_LABELS.get(key, key))

    @staticmethod
    def detail_value_label(key: str, value: str, action: str = "") -> str:
        """The words for a detail value that is a code declared beside its action; any other value as it is."""
        declared = _AUDIT_DETAILS.get(action, {}).get(key)
        return str(declared[1].get(value, value) if declared else value)


class Transfer(models.Model):
    """A person leaving or joining an organization on a date (docs/design.md §7).

    Effective-dated like memberships: approval writes the end (or start) dates,
    and every visibility rule asks what is active today, so nothing has to run
    on the date itself. "Completed" is not stored: it is an approved transfer
    whose date has come (`is_completed_on`).
    """

    class Kind(models.TextChoices):
        EXAMINEE_OUT = "examinee_out", _("Examinee leaves")
        EXAMINEE_IN = "examinee_in", _("Examinee arrives")
        TEACHER_OUT = "teacher_out", _("Teacher leaves")
        TEACHER_IN = "teacher_in", _("Teacher arrives")

    # Arrivals are decided by, and visible to, the new organization only.
    ARRIVALS = (Kind.EXAMINEE_IN, Kind.TEACHER_IN)

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="transfers")
    from_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_in"
    )
    effective_on = models.DateField(_("effective date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    filed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    history_consent = models.BooleanField(
        _("past history may be seen"),
        null=True,
        blank=True,
        help_text=_("For an arriving examinee: their answer; empty until they answer."),
    )
    # An examinee's departure, once approved, carries the transfer code for the family (docs/design.md §7):
    # only its keyed hash is stored (classrooms/transfers.py), valid until it expires or an arrival uses it.
    code_hash = models.CharField(max_length=128, blank=True, editable=False)
    code_expires_at = models.DateTimeField(_("transfer code expires"), null=True, blank=True, editable=False)
    code_used_at = models.DateTimeField(_("transfer code used"), null=True, blank=True, editable=False)
    # An examinee's arrival: the departure whose transfer code it was filed with.
    departure = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="arrivals", editable=False
    )

    class Meta:
        ordering = ["-effective_on", "-filed_at"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        indexes = [models.Index(fields=["person", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person} {self.effective_on}"

    @property
    def deciding_organization_id(self) -> int | None:
        """The organization whose org admin approves: the new one for arrivals, else the old one."""
        return self.to_organization_id if self.kind in self.ARRIVALS else self.from_organization_id

    @property
    def deciding_organization(self) -> Organization | None:
        return self.to_organization if self.kind in self.ARRIVALS else self.from_organization

    def is_completed_on(self, day: datetime.date) -> bool:
        return self.status == self.Status.APPROVED and self.effective_on <= day


class TransferSuccessor(models.Model):
    """Who takes over one class of a leaving teacher."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="successors")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    successor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transfer", "school_class"], name="one_successor_per_class_and_transfer")
        ]

    def __str__(self) -> str:
        return f"{self.school_class} → {self.successor}"
