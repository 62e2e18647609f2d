"""Transfers: people leaving and joining an organization on a date (docs/design.md §7).

Each service is one transaction and writes its audit entries in it. Like
memberships, transfers are effective-dated: approval writes the end (or start)
dates and every visibility rule asks what is active today. The one exception
is who teaches a class, rewritten on the date by `transfers_apply_due`.
An examinee's approved leaving carries a transfer code, stored as a keyed
hash, that their arrival at a new school must present.
"""

from __future__ import annotations

import datetime
import unicodedata

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from classrooms.access import active_membership, members_of
from classrooms.models import (
    AuditEntry,
    Enrollment,
    Membership,
    Organization,
    SchoolClass,
    Transfer,
    TransferSuccessor,
    User,
    audit_actions,
)
from classrooms.schoolyear import school_year_of, today

# The roster's locks and capacity rules, which a teacher's classes changing hands must respect too.
from classrooms.services import _lock_for_enrollment, _pending_handovers, teacher_capacity_check
from config.errors import ServiceError
from exams.services import attempts_finish_departed

# The audit log's action codes written here, and what the org admin reads for each (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {
        "transfer.examinee_out.file": gettext_lazy("Examinee's leaving filed"),
        "transfer.examinee_out.approve": gettext_lazy("Examinee's leaving approved"),
        "transfer.examinee_out.reject": gettext_lazy("Examinee's leaving rejected"),
        "transfer.examinee_out.code_issue": gettext_lazy("Transfer code issued for a leaving examinee"),
        "transfer.examinee_out.code_reissue": gettext_lazy("Transfer code reissued (the previous one no longer works)"),
        "transfer.examinee_in.code_refused": gettext_lazy("Arrival refused: login id and transfer code did not match"),
        "transfer.examinee_in.file": gettext_lazy("Examinee's arrival filed"),
        "transfer.examinee_in.consent": gettext_lazy("Arriving examinee answered about their history"),
        "transfer.examinee_in.approve": gettext_lazy("Examinee's arrival approved"),
        "transfer.examinee_in.reject": gettext_lazy("Examinee's arrival rejected"),
        "transfer.teacher_out.file": gettext_lazy("Teacher's leaving filed"),
        "transfer.teacher_out.approve": gettext_lazy("Teacher's leaving approved"),
        "transfer.teacher_out.reject": gettext_lazy("Teacher's leaving rejected"),
        "transfer.teacher_in.file": gettext_lazy("Teacher's arrival filed"),
        "transfer.teacher_in.approve": gettext_lazy("Teacher's arrival approved"),
        "class.teacher_change": gettext_lazy("Class handed to a successor"),
    },
    details={
        "consent": (gettext_lazy("answer"), {"yes": gettext_lazy("consents"), "no": gettext_lazy("does not consent")}),
        "expires_on": gettext_lazy("transfer code valid until"),
    },
)


# --- Transfer codes (docs/design.md §7) ------------------------------------------------------------

# No I, O, 0 or 1: nothing a family can mistake when typing it from paper. 12 of 32 letters: 60 bits.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
CODE_GROUP = 4
CODE_HASH_SALT = "kantoku.classrooms.transfers.transfer_code"
# The one answer for every login id and code that do not open a transfer, whatever is wrong with them.
CODE_REFUSAL = gettext_lazy(
    "This login id and transfer code do not match a transfer that can be filed. Check both against the "
    "transfer notice. A code works once and until the date on the notice; the previous school can issue a new one."
)


def transfer_code_format(code: str) -> str:
    """The code as printed: groups of four joined by hyphens (ABCD-EFGH-JKLM)."""
    return "-".join(code[start : start + CODE_GROUP] for start in range(0, len(code), CODE_GROUP))


def _code_normalize(text: str) -> str:
    """What was typed, as issued: full-width letters folded, upper case, hyphens and spaces dropped."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(character for character in folded if character.isascii() and character.isalnum())[:64]


def _code_digest(departure_id: int, code: str, secret: str | None = None) -> str:
    """A keyed hash (HMAC-SHA256 with the secret key) bound to the departure: the only form stored."""
    return salted_hmac(CODE_HASH_SALT, f"{departure_id}:{code}", secret=secret, algorithm="sha256").hexdigest()


def _code_matches(departure_id: int, code: str, stored: str) -> bool:
    """Compare against every key in use (a rotated key's codes keep working), always all of them."""
    matched = False
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        matched |= constant_time_compare(_code_digest(departure_id, code, secret), stored)
    return matched


def _code_usable(departure: Transfer) -> bool:
    expires_at = departure.code_expires_at
    return departure.code_used_at is None and expires_at is not None and timezone.now() < expires_at


def _code_issue(departure: Transfer, *, by: User, action: str) -> str:
    """A new code for an approved departure, replacing any earlier one; returns it in plain text. In a transaction."""
    code = get_random_string(CODE_LENGTH, CODE_ALPHABET)
    departure.code_hash = _code_digest(departure.pk, code)
    departure.code_expires_at = timezone.now() + datetime.timedelta(days=settings.TRANSFER_CODE_DAYS)
    departure.code_used_at = None
    departure.save(update_fields=["code_hash", "code_expires_at", "code_used_at"])
    AuditEntry.record(
        organization=departure.from_organization,
        actor=by,
        action=action,
        target=departure.person,
        expires_on=timezone.localdate(departure.code_expires_at).isoformat(),
    )
    return code


def transfer_code_reissue(*, transfer: Transfer, by: User) -> Transfer:
    """The old school's org admin issues a new code for an approved leaving; the previous code stops working.

    Refused once a new school has filed an arrival with the code (unless that
    arrival was rejected). The returned transfer carries the code in `issued_code`.
    """
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("person", "from_organization")
            .get(pk=transfer.pk)
        )
        if transfer.kind != Transfer.Kind.EXAMINEE_OUT or transfer.status != Transfer.Status.APPROVED:
            raise ServiceError(_("Only an approved leaving of an examinee has a transfer code."), code="wrong_kind")
        if transfer.arrivals.exclude(status=Transfer.Status.REJECTED).exists():
            raise ServiceError(
                _("A new school has already filed the arrival with this transfer code."), code="code_used"
            )
        transfer.issued_code = _code_issue(transfer, by=by, action="transfer.examinee_out.code_reissue")
    return transfer


def _departure_for_code(login_id: str, code: str) -> Transfer | None:
    """The approved leaving that this login id and code open, or None.

    The same work whatever is wrong (no such login id, no code, a wrong,
    expired or used code): one query, then the hash is always computed and compared.
    """
    departure = (
        Transfer.objects.filter(
            kind=Transfer.Kind.EXAMINEE_OUT,
            status=Transfer.Status.APPROVED,
            person__login_id=login_id.strip().lower(),
            person__role=User.Role.EXAMINEE,
        )
        .exclude(code_hash="")
        .select_related("person")
        .order_by("-decided_at", "-pk")
        .first()
    )
    stored = departure.code_hash if departure is not None else ""
    matched = _code_matches(departure.pk if departure is not None else 0, _code_normalize(code), stored)
    return departure if matched and departure is not None and _code_usable(departure) else None


def _check_code_attempts(organization: Organization, by: User) -> None:
    """At most TRANSFER_CODE_FAILURE_LIMIT refused pairs an hour per filing account (counted in the audit log)."""
    since = timezone.now() - datetime.timedelta(hours=1)
    refused = AuditEntry.objects.filter(
        organization=organization, actor=by, action="transfer.examinee_in.code_refused", at__gte=since
    )
    if refused.count() >= settings.TRANSFER_CODE_FAILURE_LIMIT:
        raise ServiceError(
            _("Too many login ids and transfer codes that did not match. Wait an hour, then try again."),
            code="throttled",
        )


def transfer_code_check(*, organization: Organization, login_id: str, code: str, by: User) -> Transfer:
    """The approved leaving a login id and transfer code open, for the new school to confirm whom it files.

    Anything else gets the one refusal `CODE_REFUSAL`, recorded in the filing
    school's audit log (without the id or the code), which also counts the
    refusals toward the hourly limit. Not in a transaction: a refusal stays
    recorded.
    """
    _check_code_attempts(organization, by)
    departure = _departure_for_code(login_id, code)
    if departure is None:
        AuditEntry.record(organization=organization, actor=by, action="transfer.examinee_in.code_refused")
        raise ServiceError(CODE_REFUSAL, code="transfer_code_refused")
    return departure


def _check_effective_on(effective_on: datetime.date) -> None:
    if effective_on < today():
        raise ServiceError(_("The effective date cannot be in the past."), code="date_past")


def _check_no_open_transfer(person: User, kind: str) -> None:
    open_transfers = Transfer.objects.filter(person=person, kind=kind, status=Transfer.Status.PENDING)
    if open_transfers.exists():
        raise ServiceError(
            _("A transfer of %(name)s is already waiting for approval.") % {"name": person.name},
            code="transfer_pending",
        )


def _transfer_file(
    *,
    kind: str,
    person: User,
    organization: Organization,
    effective_on: datetime.date,
    reason: str,
    by: User,
    approved: bool = False,
    departure: Transfer | None = None,
) -> Transfer:
    """Create a transfer filed by `by` for `organization`, and its audit entries.

    A departure goes from `organization` to nobody yet; an arrival comes to
    `organization` from the organization of `departure` (the leaving whose
    transfer code it was filed with), else from the person's organization today, if any.
    `approved`: filed and decided at once (teacher transfers, filed by the org admin).
    Call inside a transaction.
    """
    if kind in Transfer.ARRIVALS and departure is not None:
        from_organization, to_organization = departure.from_organization, organization
    elif kind in Transfer.ARRIVALS:
        current = active_membership(person)
        from_organization, to_organization = (current.organization if current else None), organization
    else:
        from_organization, to_organization = organization, None
    now = timezone.now()
    transfer = Transfer.objects.create(
        kind=kind,
        person=person,
        from_organization=from_organization,
        to_organization=to_organization,
        effective_on=effective_on,
        reason=reason,
        status=Transfer.Status.APPROVED if approved else Transfer.Status.PENDING,
        filed_by=by,
        filed_at=now,
        decided_by=by if approved else None,
        decided_at=now if approved else None,
        departure=departure,
    )
    for step in ("file", "approve") if approved else ("file",):
        AuditEntry.record(
            organization=organization,
            actor=by,
            action=f"transfer.{kind}.{step}",
            target=person,
            effective_on=effective_on.isoformat(),
        )
    return transfer


def transfer_file_examinee_out(
    *, enrollment: Enrollment, effective_on: datetime.date, reason: str, by: User
) -> Transfer:
    """A teacher files that an examinee of their class leaves the organization on `effective_on`."""
    _check_effective_on(effective_on)
    organization = enrollment.school_class.organization
    examinee = enrollment.examinee
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=examinee.pk).first()
        _check_no_open_transfer(examinee, Transfer.Kind.EXAMINEE_OUT)
        return _transfer_file(
            kind=Transfer.Kind.EXAMINEE_OUT,
            person=examinee,
            organization=organization,
            effective_on=effective_on,
            reason=reason,
            by=by,
        )


def _membership_end(*, user: User, organization: Organization, day: datetime.date) -> None:
    """End the user's membership in `organization` on `day` (exclusive), unless it ends earlier already."""
    membership = (
        Membership.objects.select_for_update()
        .filter(user=user, organization=organization)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day))
        .order_by("-starts_on")
        .first()
    )
    if membership is None:
        return
    if membership.starts_on >= day:
        raise ServiceError(
            _("The effective date must be after the day the membership began."), code="date_before_start"
        )
    membership.ends_on = day
    membership.save(update_fields=["ends_on"])


def _examinee_out_apply(transfer: Transfer) -> None:
    """End membership and open enrollments on the date; finish a running attempt if the date is today."""
    day = transfer.effective_on
    _membership_end(user=transfer.person, organization=transfer.from_organization, day=day)
    open_enrollments = Enrollment.objects.filter(
        examinee=transfer.person, school_class__organization=transfer.from_organization
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day))
    # An enrollment that starts on or after the date never becomes active: end it on its first day.
    open_enrollments.filter(starts_on__gte=day).update(ends_on=F("starts_on"))
    open_enrollments.filter(starts_on__lt=day).update(ends_on=day)
    if day <= today():
        attempts_finish_departed(examinee=transfer.person)


def transfer_approve(*, transfer: Transfer, by: User) -> Transfer:
    """The deciding org admin approves; the change takes effect on the transfer's date.

    Approving an examinee's leaving issues their transfer code: the returned
    transfer carries it in `issued_code`, the only place the code ever is in
    plain text (for the transfer notice, shown once).
    """
    with transaction.atomic():
        transfer = (
            # of=("self",): PostgreSQL cannot lock the nullable side of an outer join (from_organization).
            Transfer.objects.select_for_update(of=("self",))
            .select_related("person", "from_organization")
            .get(pk=transfer.pk)
        )
        if transfer.status != Transfer.Status.PENDING:
            raise ServiceError(_("This transfer has already been decided."), code="decided")
        if transfer.effective_on < today():
            raise ServiceError(
                _("The effective date has passed; reject this transfer and file it again."), code="date_past"
            )
        User.objects.select_for_update().filter(pk=transfer.person_id).first()
        if transfer.kind == Transfer.Kind.EXAMINEE_OUT:
            _examinee_out_apply(transfer)
            transfer.issued_code = _code_issue(transfer, by=by, action="transfer.examinee_out.code_issue")
        elif transfer.kind == Transfer.Kind.EXAMINEE_IN:
            _arrival_apply(transfer)
        else:
            raise ServiceError(_("This kind of transfer cannot be approved here."), code="wrong_kind")
        _decision_record(transfer, status=Transfer.Status.APPROVED, by=by)
    return transfer


def transfer_reject(*, transfer: Transfer, by: User) -> Transfer:
    """The deciding org admin rejects: nothing changes but the transfer's status."""
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().select_related("person").get(pk=transfer.pk)
        if transfer.status != Transfer.Status.PENDING:
            raise ServiceError(_("This transfer has already been decided."), code="decided")
        _decision_record(transfer, status=Transfer.Status.REJECTED, by=by)
    return transfer


def _decision_record(transfer: Transfer, *, status: str, by: User) -> None:
    """Write the org admin's decision on a locked pending transfer, and its audit entry. Call inside a transaction."""
    transfer.status = status
    transfer.decided_by = by
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "decided_by", "decided_at"])
    step = "approve" if status == Transfer.Status.APPROVED else "reject"
    AuditEntry.record(
        organization=transfer.deciding_organization,
        actor=by,
        action=f"transfer.{transfer.kind}.{step}",
        target=transfer.person,
        effective_on=transfer.effective_on.isoformat(),
    )


def transfer_file_teacher_out(
    *,
    teacher: User,
    effective_on: datetime.date,
    reason: str,
    successors: dict[SchoolClass, User],
    by: User,
) -> Transfer:
    """The org admin files, and thereby approves, that a teacher leaves on `effective_on`.

    Every class of the teacher in the current school year needs a successor
    who stays within the 40-examinee limit with the classes they take over.
    The teacher's membership ends on the date (they are locked out from then
    on); the classes change hands on the date by `transfers_apply_due`, run at
    filing and daily by the `apply_transfers` command.
    """
    _check_effective_on(effective_on)
    organization = active_membership(by).organization
    day = today()
    year = school_year_of(day)
    with transaction.atomic():
        locked = [teacher.pk, *(successor.pk for successor in successors.values())]
        list(User.objects.select_for_update().filter(pk__in=locked).order_by("pk"))
        _check_no_open_transfer(teacher, Transfer.Kind.TEACHER_OUT)
        _check_no_approved_departure(teacher, day)
        classes = list(SchoolClass.objects.filter(organization=organization, teacher=teacher, school_year=year))
        taking_over = _handovers(
            teacher=teacher, classes=classes, successors=successors, organization=organization, day=effective_on
        )
        _check_successors_capacity(taking_over, school_year=year, day=day)
        transfer = _transfer_file(
            kind=Transfer.Kind.TEACHER_OUT,
            person=teacher,
            organization=organization,
            effective_on=effective_on,
            reason=reason,
            by=by,
            approved=True,
        )
        TransferSuccessor.objects.bulk_create(
            TransferSuccessor(transfer=transfer, school_class=school_class, successor=successors[school_class])
            for school_class in classes
        )
        _membership_end(user=teacher, organization=organization, day=effective_on)
        transfers_apply_due()
    return transfer


def _check_successors_capacity(
    taking_over: dict[User, list[SchoolClass]], *, school_year: int, day: datetime.date
) -> None:
    """Each successor stays within the per-teacher limit with the examinees of the classes they take over."""
    for successor, handed in taking_over.items():
        added = Enrollment.objects.active_on(day).filter(school_class__in=handed).values_list("examinee_id", flat=True)
        teacher_capacity_check(
            teacher=successor, school_year=school_year, day=day, examinee_ids=set(added), taking_over=handed
        )


def _check_no_approved_departure(teacher: User, day: datetime.date) -> None:
    """A teacher leaves once: refuse a second departure while an approved one is still to come."""
    approved = Transfer.objects.filter(
        person=teacher, kind=Transfer.Kind.TEACHER_OUT, status=Transfer.Status.APPROVED, effective_on__gte=day
    )
    if approved.exists():
        raise ServiceError(
            _("%(name)s already has an approved transfer.") % {"name": teacher.name}, code="transfer_pending"
        )


def _handovers(
    *,
    teacher: User,
    classes: list[SchoolClass],
    successors: dict[SchoolClass, User],
    organization: Organization,
    day: datetime.date,
) -> dict[User, list[SchoolClass]]:
    """The classes each successor takes over, once every class has one who is a teacher of the school on `day`."""
    missing = [school_class.name for school_class in classes if school_class not in successors]
    if missing:
        raise ServiceError(
            _("Name a successor for every class: %(classes)s") % {"classes": ", ".join(missing)},
            code="successor_missing",
        )
    colleagues = members_of(organization, User.Role.TEACHER, day).filter(is_active=True)
    taking_over: dict[User, list[SchoolClass]] = {}
    for school_class in classes:
        successor = successors[school_class]
        if successor.pk == teacher.pk or not colleagues.filter(pk=successor.pk).exists():
            raise ServiceError(
                _("%(name)s cannot take over %(class_name)s: they are not a teacher of the school on that date.")
                % {"name": successor.name, "class_name": school_class.name},
                code="successor_not_member",
            )
        taking_over.setdefault(successor, []).append(school_class)
    return taking_over


def transfers_apply_due(*, day: datetime.date | None = None) -> int:
    """Hand the classes of teachers whose transfer date has come to their successors. Idempotent.

    The one part of a transfer that is not effective-dated: a class has one
    teacher, so ownership is rewritten on the date (at filing when the date is
    today, otherwise by the daily `apply_transfers` command). Returns the
    number of classes handed over.
    """
    day = day or today()
    due = (
        _pending_handovers()
        .filter(transfer__effective_on__lte=day)
        .select_related("transfer__from_organization", "school_class", "successor")
    )
    handed = 0
    for row in due:
        with transaction.atomic():
            school_class = _lock_for_enrollment(row.school_class)
            if school_class.teacher_id != row.transfer.person_id:
                continue
            school_class.teacher = row.successor
            school_class.save(update_fields=["teacher"])
            AuditEntry.record(
                organization=row.transfer.from_organization,
                actor=None,
                action="class.teacher_change",
                target=school_class,
                successor=row.successor.login_id,
            )
            handed += 1
    return handed


def _arriving_person(*, organization: Organization, login_id: str, role: str, day: datetime.date) -> User:
    """The existing account of `role` with this login id, row-locked, not yet a member of `organization` on `day`."""
    person = User.objects.select_for_update().filter(login_id=login_id.strip().lower(), role=role).first()
    if person is None:
        if role == User.Role.EXAMINEE:
            message = _(
                "There is no examinee account with the login id %(login_id)s. "
                "An examinee without an account is added to a class, which issues a new account."
            )
        else:
            message = _(
                "There is no teacher account with the login id %(login_id)s. "
                "A teacher without an account is issued one on the Teachers page."
            )
        raise ServiceError(message % {"login_id": login_id}, code="not_found")
    if members_of(organization, role, day).filter(pk=person.pk).exists():
        raise ServiceError(
            _("%(name)s is already a member of your school on that date.") % {"name": person.name},
            code="already_member",
        )
    return person


def transfer_check_examinee_in(
    *, organization: Organization, login_id: str, code: str, effective_on: datetime.date, by: User
) -> User:
    """The examinee a new school is about to file the arrival of: the confirmation step, nothing is changed.

    The same checks as filing: the date, the login id and transfer code
    (`transfer_code_check`, refusals recorded), and the leaving's date.
    """
    _check_effective_on(effective_on)
    departure = transfer_code_check(organization=organization, login_id=login_id, code=code, by=by)
    _check_after_departure(departure, effective_on)
    return departure.person


def _check_after_departure(departure: Transfer, effective_on: datetime.date) -> None:
    if effective_on < departure.effective_on:
        raise ServiceError(
            _("%(name)s leaves their previous school on %(day)s: the arrival date cannot be earlier.")
            % {"name": departure.person.name, "day": departure.effective_on.isoformat()},
            code="date_before_departure",
        )


def transfer_file_examinee_in(
    *, organization: Organization, login_id: str, code: str, effective_on: datetime.date, reason: str, by: User
) -> Transfer:
    """The new organization files that an examinee who already has an account joins it on `effective_on`.

    It needs the login id and the transfer code from the transfer notice of the
    examinee's leaving (`transfer_code_check`); filing uses the code up. The
    examinee then answers whether the new school may see their past history,
    and the new organization's org admin approves. An examinee without an
    account needs no transfer: the roster flow issues one.
    """
    _check_effective_on(effective_on)
    departure = transfer_code_check(organization=organization, login_id=login_id, code=code, by=by)
    with transaction.atomic():
        departure = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("person", "from_organization")
            .get(pk=departure.pk)
        )
        if not _code_usable(departure):  # used by a filing that committed in the meantime
            raise ServiceError(CODE_REFUSAL, code="transfer_code_refused")
        examinee = _arriving_person(
            organization=organization, login_id=departure.person.login_id, role=User.Role.EXAMINEE, day=effective_on
        )
        _check_after_departure(departure, effective_on)
        _check_no_open_transfer(examinee, Transfer.Kind.EXAMINEE_IN)
        departure.code_used_at = timezone.now()
        departure.save(update_fields=["code_used_at"])
        return _transfer_file(
            kind=Transfer.Kind.EXAMINEE_IN,
            person=examinee,
            organization=organization,
            effective_on=effective_on,
            reason=reason,
            by=by,
            departure=departure,
        )


def transfer_file_teacher_in(
    *, organization: Organization, login_id: str, effective_on: datetime.date, reason: str, by: User
) -> Transfer:
    """The new organization's org admin files, and thereby approves, that a teacher joins it on `effective_on`.

    The teacher keeps their account and gets a membership in the new
    organization from the date; their old school must have recorded their
    leaving (a teacher transfer-out) on or before that date.
    """
    _check_effective_on(effective_on)
    with transaction.atomic():
        teacher = _arriving_person(
            organization=organization, login_id=login_id, role=User.Role.TEACHER, day=effective_on
        )
        transfer = _transfer_file(
            kind=Transfer.Kind.TEACHER_IN,
            person=teacher,
            organization=organization,
            effective_on=effective_on,
            reason=reason,
            by=by,
            approved=True,
        )
        _arrival_apply(transfer)
    return transfer


def transfer_consent(*, transfer: Transfer, consent: bool, by: User) -> Transfer:
    """The arriving examinee answers whether the new school may see their past history."""
    with transaction.atomic():
        transfer = (
            Transfer.objects.select_for_update(of=("self",)).select_related("to_organization").get(pk=transfer.pk)
        )
        if transfer.status != Transfer.Status.PENDING or transfer.person_id != by.pk:
            raise ServiceError(_("This request has already been decided."), code="decided")
        transfer.history_consent = consent
        transfer.save(update_fields=["history_consent"])
        AuditEntry.record(
            organization=transfer.to_organization,
            actor=by,
            action="transfer.examinee_in.consent",
            target=transfer.person,
            consent="yes" if consent else "no",
        )
    return transfer


def _arrival_apply(transfer: Transfer) -> None:
    """Start the membership in the new organization on the date; the old one must have ended by then.

    The same account carries on: a person belongs to one organization at a
    time, so every membership still running on the date refuses the arrival.
    """
    day = transfer.effective_on
    overlapping = (
        Membership.objects.select_for_update()
        .filter(user=transfer.person)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day))
    )
    if overlapping.exists():
        if transfer.person.is_teacher:
            message = _(
                "%(name)s is still a member of another school on %(day)s. A teacher belongs to one school at "
                "a time: their current school must record their leaving on or before that date first."
            )
        else:
            message = _(
                "%(name)s is still a member of another school on %(day)s. An examinee belongs to one school at "
                "a time: their current school must approve their leaving on or before that date first."
            )
        raise ServiceError(message % {"name": transfer.person.name, "day": day.isoformat()}, code="still_member")
    Membership.objects.create(user=transfer.person, organization=transfer.to_organization, starts_on=day)
