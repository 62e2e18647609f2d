"""State changes of organizations, accounts, classes and rosters.

Each service is one transaction and writes its audit entry in it. The
capacity rules (docs/design.md §2) are enforced here under row locks, so they hold
under concurrent requests.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

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
)
from classrooms.schoolyear import school_year_of, today
from config.errors import ServiceError
from exams.services import attempts_finish_departed
from sockets.publish import close_user_sockets

TEACHER_CAPACITY = 40
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - no 0/o, 1/l/i: read off a paper slip
LOGIN_SUFFIX_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class IssuedCredential:
    """What goes on a slip. The password exists only here, never in the database."""

    user: User
    password: str
    number: int | None = None
    class_name: str = ""


def initial_password() -> str:
    groups = ["".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)


def generated_login_id(organization: Organization) -> str:
    while True:
        candidate = f"{organization.code}-" + "".join(secrets.choice(LOGIN_SUFFIX_ALPHABET) for _ in range(6))
        if not User.objects.filter(login_id=candidate).exists():
            return candidate


# --- Organizations (operators, through the Django admin) ------------------------------


def organization_set_status(*, organization: Organization, status: str, by: User) -> Organization:
    """Approve, suspend, terminate or reinstate. Approval starts the contract on first approval."""
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        previous = organization.status
        organization.status = status
        if status == Organization.Status.APPROVED and organization.contract_starts_on is None:
            organization.contract_starts_on = today()
        organization.save(update_fields=["status", "contract_starts_on"])
        AuditEntry.record(
            organization=organization, actor=by, action=f"organization.{status}", target=organization, previous=previous
        )
        if status in (Organization.Status.SUSPENDED, Organization.Status.TERMINATED):
            member_ids = Membership.objects.filter(organization=organization).values("user_id")
            User.objects.filter(pk__in=member_ids).update(session_generation=F("session_generation") + 1)
            for user_id in Membership.objects.filter(organization=organization).values_list("user_id", flat=True):
                close_user_sockets(user_id)
    return organization


# --- Accounts ------------------------------------------------------------------------------


def _hashed_initial_passwords(count: int) -> list[tuple[str, str]]:
    """(password, hash) pairs. Hashing is slow on purpose (Argon2): do it before taking any lock."""
    return [(password, make_password(password)) for password in (initial_password() for _ in range(count))]


def _user_create(
    *,
    organization: Organization,
    role: str,
    login_id: str,
    name: str,
    kana: str,
    password: tuple[str, str] | None = None,
) -> IssuedCredential:
    plain, hashed = password or _hashed_initial_passwords(1)[0]
    user = User.objects.create(
        login_id=login_id.lower(), password=hashed, name=name, kana=kana, role=role, must_change_password=True
    )
    Membership.objects.create(user=user, organization=organization, starts_on=today())
    return IssuedCredential(user=user, password=plain)


def member_issue(
    *, organization: Organization, role: str, name: str, kana: str = "", login_id: str = "", by: User
) -> IssuedCredential:
    """Issue a teacher or org admin account with a one-time initial password."""
    if role not in (User.Role.TEACHER, User.Role.ORG_ADMIN):
        raise ServiceError(_("Only teacher and org admin accounts are issued here."), code="wrong_role")
    with transaction.atomic():
        login_id = login_id or generated_login_id(organization)
        if User.objects.filter(login_id=login_id).exists():
            raise ServiceError(
                _("The login id %(login_id)s is already taken.") % {"login_id": login_id}, code="login_taken"
            )
        issued = _user_create(organization=organization, role=role, login_id=login_id, name=name, kana=kana)
        AuditEntry.record(organization=organization, actor=by, action=f"{role}.issue", target=issued.user)
    return issued


def user_set_active(*, user: User, active: bool, by: User) -> User:
    """Suspend or reactivate an account. Suspension signs the user out everywhere at once."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.is_active = active
        if not active:
            user.session_generation += 1  # ends every session at once, and for good
            close_user_sockets(user.pk)
        user.save(update_fields=["is_active", "session_generation"])
        membership = active_membership(user)
        AuditEntry.record(
            organization=membership.organization if membership else None,
            actor=by,
            action=f"{user.role}.{'reactivate' if active else 'suspend'}",
            target=user,
        )
    return user


def password_reissue(*, user: User, by: User) -> IssuedCredential:
    """A new initial password for someone who forgot theirs; shown once on a slip."""
    password = initial_password()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        membership = active_membership(user)
        AuditEntry.record(
            organization=membership.organization if membership else None,
            actor=by,
            action="password.reissue",
            target=user,
        )
    return IssuedCredential(user=user, password=password)


def password_set(*, user: User, password: str) -> None:
    """The account holder chose their own password."""
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        membership = active_membership(user)
        AuditEntry.record(
            organization=membership.organization if membership else None,
            actor=user,
            action="password.change",
            target=user,
        )


# --- Classes ----------------------------------------------------------------------------------


def class_create(*, organization: Organization, teacher: User, school_year: int, name: str, by: User) -> SchoolClass:
    with transaction.atomic():
        if SchoolClass.objects.filter(organization=organization, school_year=school_year, name=name).exists():
            raise ServiceError(
                _("A class named %(name)s already exists in this school year.") % {"name": name}, code="name_taken"
            )
        school_class = SchoolClass.objects.create(
            organization=organization, teacher=teacher, school_year=school_year, name=name
        )
        AuditEntry.record(organization=organization, actor=by, action="class.create", target=school_class)
    return school_class


def class_rename(*, school_class: SchoolClass, name: str, by: User) -> SchoolClass:
    with transaction.atomic():
        clash = SchoolClass.objects.filter(
            organization=school_class.organization_id, school_year=school_class.school_year, name=name
        ).exclude(pk=school_class.pk)
        if clash.exists():
            raise ServiceError(
                _("A class named %(name)s already exists in this school year.") % {"name": name}, code="name_taken"
            )
        previous = school_class.name
        school_class.name = name
        school_class.save(update_fields=["name"])
        AuditEntry.record(
            organization=school_class.organization,
            actor=by,
            action="class.rename",
            target=school_class,
            previous=previous,
        )
    return school_class


# --- Rosters and the capacity rules -------------------------------------------------------------


def _pending_handovers():
    """Classes of teachers who are leaving, not yet handed to their named successor."""
    return TransferSuccessor.objects.filter(
        transfer__kind=Transfer.Kind.TEACHER_OUT,
        transfer__status=Transfer.Status.APPROVED,
        school_class__teacher_id=F("transfer__person_id"),
    )


def _lock_for_enrollment(school_class: SchoolClass) -> SchoolClass:
    """Lock the class row, then the rows of the teachers it counts against, in that order.

    Those are its teacher and, when the teacher is leaving, the successor due
    to take it over. Every enrollment into any class of a teacher takes that
    teacher's lock, so both limits (per class and per teacher and year) are
    checked and written by one transaction at a time. Call inside a transaction.
    """
    locked = SchoolClass.objects.select_for_update().get(pk=school_class.pk)
    successors = _pending_handovers().filter(school_class=locked).values_list("successor_id", flat=True)
    teacher_ids = sorted({locked.teacher_id, *successors})
    list(User.objects.select_for_update().filter(pk__in=teacher_ids).order_by("pk").values_list("pk", flat=True))
    return locked


def _teacher_examinee_ids(teacher_id: int, school_year: int, day: datetime.date) -> set[int]:
    """Distinct examinees the teacher proctors in `school_year`, with the classes they are due to take over."""
    inheriting = _pending_handovers().filter(successor_id=teacher_id).values("school_class_id")
    return set(
        Enrollment.objects.active_on(day)
        .filter(school_class__school_year=school_year)
        .filter(Q(school_class__teacher_id=teacher_id) | Q(school_class_id__in=inheriting))
        .values_list("examinee_id", flat=True)
    )


def _check_capacity(school_class: SchoolClass, examinee_ids: Sequence[int], new_accounts: int) -> None:
    """Refuse if adding these examinees would break either limit of docs/design.md §2.

    The per-teacher limit is checked for the class's teacher and for a
    successor due to take the class over, counting the classes each is due to
    inherit: the limit holds on the handover date too.
    """
    day = today()
    class_count = Enrollment.objects.active_on(day).filter(school_class=school_class).count()
    adding = len(examinee_ids) + new_accounts
    if class_count + adding > SchoolClass.CAPACITY:
        raise ServiceError(
            _("A class holds at most %(limit)d examinees: it has %(count)d, and %(adding)d more would be %(total)d.")
            % {"limit": SchoolClass.CAPACITY, "count": class_count, "adding": adding, "total": class_count + adding},
            code="class_full",
        )
    successor_ids = _pending_handovers().filter(school_class=school_class).values_list("successor_id", flat=True)
    for teacher in User.objects.filter(pk__in=[school_class.teacher_id, *successor_ids]).order_by("pk"):
        current = _teacher_examinee_ids(teacher.pk, school_class.school_year, day)
        total = len(current | set(examinee_ids)) + new_accounts
        if total > TEACHER_CAPACITY:
            raise ServiceError(
                _(
                    "A teacher proctors at most %(limit)d examinees in school year %(year)d: "
                    "%(teacher)s has %(count)d, and this would make %(total)d."
                )
                % {
                    "limit": TEACHER_CAPACITY,
                    "year": school_class.school_year,
                    "teacher": teacher.name,
                    "count": len(current),
                    "total": total,
                },
                code="teacher_full",
            )


@dataclass(frozen=True)
class RosterRow:
    """One examinee to issue: from the single form or one line of a CSV file."""

    name: str
    kana: str = ""
    number: int | None = None
    login_id: str = ""


def examinees_issue(*, school_class: SchoolClass, rows: Sequence[RosterRow], by: User) -> list[IssuedCredential]:
    """Issue an account for each row and enroll it in the class: all of them, or none.

    Login ids given in rows must be free; blank ones are generated.
    """
    if not rows:
        raise ServiceError(_("There is nobody to add."), code="nobody")
    organization = school_class.organization
    passwords = _hashed_initial_passwords(len(rows))
    with transaction.atomic():
        school_class = _lock_for_enrollment(school_class)
        _check_capacity(school_class, examinee_ids=[], new_accounts=len(rows))
        wanted = [row.login_id for row in rows if row.login_id]
        taken = sorted(User.objects.filter(login_id__in=wanted).values_list("login_id", flat=True))
        if taken:
            raise ServiceError(
                _("These login ids are already taken: %(ids)s") % {"ids": ", ".join(taken)}, code="login_taken"
            )
        issued = []
        for row, password in zip(rows, passwords, strict=True):
            credential = _user_create(
                organization=organization,
                role=User.Role.EXAMINEE,
                login_id=row.login_id or generated_login_id(organization),
                name=row.name,
                kana=row.kana,
                password=password,
            )
            Enrollment.objects.create(
                school_class=school_class, examinee=credential.user, number=row.number, starts_on=today()
            )
            issued.append(
                IssuedCredential(
                    user=credential.user, password=credential.password, number=row.number, class_name=school_class.name
                )
            )
        AuditEntry.record(
            organization=organization,
            actor=by,
            action="examinee.issue",
            target=school_class,
            count=len(issued),
            login_ids=[credential.user.login_id for credential in issued],
        )
    return issued


def enrollment_create(*, school_class: SchoolClass, examinee: User, number: int | None, by: User) -> Enrollment:
    """Enroll an existing examinee of the organization in a class."""
    if not examinee.is_examinee:
        raise ServiceError(
            _("Only examinee accounts can be enrolled; teachers and org admins never take tests."), code="wrong_role"
        )
    with transaction.atomic():
        school_class = _lock_for_enrollment(school_class)
        # The examinee's row too, which approving their departure also locks: otherwise an
        # approval could end their enrollments while this one, checked against the membership
        # before the approval committed, is written after it and outlives the departure.
        User.objects.select_for_update().filter(pk=examinee.pk).first()
        day = today()
        if Enrollment.objects.active_on(day).filter(school_class=school_class, examinee=examinee).exists():
            raise ServiceError(
                _("%(name)s is already in this class.") % {"name": examinee.name}, code="already_enrolled"
            )
        if not members_of(school_class.organization, User.Role.EXAMINEE, day).filter(pk=examinee.pk).exists():
            raise ServiceError(_("This examinee is not a member of your organization."), code="not_member")
        _check_capacity(school_class, examinee_ids=[examinee.pk], new_accounts=0)
        enrollment = Enrollment.objects.create(
            school_class=school_class, examinee=examinee, number=number, starts_on=day
        )
        AuditEntry.record(
            organization=school_class.organization,
            actor=by,
            action="enrollment.create",
            target=school_class,
            examinee=examinee.login_id,
        )
    return enrollment


def enrollment_end(*, enrollment: Enrollment, by: User) -> Enrollment:
    """Take an examinee out of a class from today on. Their account and history stay."""
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        day = today()
        if enrollment.ends_on is None or enrollment.ends_on > day:
            enrollment.ends_on = day
            enrollment.save(update_fields=["ends_on"])
            AuditEntry.record(
                organization=enrollment.school_class.organization,
                actor=by,
                action="enrollment.end",
                target=enrollment.school_class,
                examinee=enrollment.examinee.login_id,
            )
    return enrollment


def examinee_update(*, enrollment: Enrollment, name: str, kana: str, number: int | None, by: User) -> Enrollment:
    """Edit an examinee's basic information (name, kana, number in this class)."""
    with transaction.atomic():
        examinee = User.objects.select_for_update().get(pk=enrollment.examinee_id)
        changed = [
            field for field, old, new in (("name", examinee.name, name), ("kana", examinee.kana, kana)) if old != new
        ]
        examinee.name, examinee.kana = name, kana
        examinee.save(update_fields=["name", "kana"])
        enrollment.examinee = examinee
        if enrollment.number != number:
            changed.append("number")
            enrollment.number = number
            enrollment.save(update_fields=["number"])
        if changed:
            AuditEntry.record(
                organization=enrollment.school_class.organization,
                actor=by,
                action="examinee.update",
                target=examinee,
                fields=changed,
            )
    return enrollment


# --- Transfers (docs/design.md §7) ---------------------------------------------------------------------


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
    from_organization: Organization | None,
    to_organization: Organization | None,
    effective_on: datetime.date,
    reason: str,
    by: User,
    approved: bool = False,
) -> Transfer:
    """Create a transfer filed by `by` for `organization`, and its audit entries.

    `approved`: filed and decided at once (teacher transfers, filed by the org admin).
    Call inside a transaction.
    """
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
            from_organization=organization,
            to_organization=None,
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
    """The deciding org admin approves; the change takes effect on the transfer's date."""
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
        elif transfer.kind == Transfer.Kind.EXAMINEE_IN:
            _arrival_apply(transfer)
        else:
            raise ServiceError(_("This kind of transfer cannot be approved here."), code="wrong_kind")
        transfer.status = Transfer.Status.APPROVED
        transfer.decided_by = by
        transfer.decided_at = timezone.now()
        transfer.save(update_fields=["status", "decided_by", "decided_at"])
        AuditEntry.record(
            organization=transfer.deciding_organization,
            actor=by,
            action=f"transfer.{transfer.kind}.approve",
            target=transfer.person,
            effective_on=transfer.effective_on.isoformat(),
        )
    return transfer


def transfer_reject(*, transfer: Transfer, by: User) -> Transfer:
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().select_related("person").get(pk=transfer.pk)
        if transfer.status != Transfer.Status.PENDING:
            raise ServiceError(_("This transfer has already been decided."), code="decided")
        transfer.status = Transfer.Status.REJECTED
        transfer.decided_by = by
        transfer.decided_at = timezone.now()
        transfer.save(update_fields=["status", "decided_by", "decided_at"])
        AuditEntry.record(
            organization=transfer.deciding_organization,
            actor=by,
            action=f"transfer.{transfer.kind}.reject",
            target=transfer.person,
            effective_on=transfer.effective_on.isoformat(),
        )
    return transfer


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
        if Transfer.objects.filter(
            person=teacher, kind=Transfer.Kind.TEACHER_OUT, status=Transfer.Status.APPROVED, effective_on__gte=day
        ).exists():
            raise ServiceError(
                _("%(name)s already has an approved transfer.") % {"name": teacher.name}, code="transfer_pending"
            )
        classes = list(SchoolClass.objects.filter(organization=organization, teacher=teacher, school_year=year))
        missing = [school_class.name for school_class in classes if school_class not in successors]
        if missing:
            raise ServiceError(
                _("Name a successor for every class: %(classes)s") % {"classes": ", ".join(missing)},
                code="successor_missing",
            )
        colleagues = members_of(organization, User.Role.TEACHER, effective_on).filter(is_active=True)
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
        for successor, handed in taking_over.items():
            current = _teacher_examinee_ids(successor.pk, year, day)
            added = set(
                Enrollment.objects.active_on(day).filter(school_class__in=handed).values_list("examinee_id", flat=True)
            )
            total = len(current | added)
            if total > TEACHER_CAPACITY:
                raise ServiceError(
                    _(
                        "A teacher proctors at most %(limit)d examinees in school year %(year)d: "
                        "%(teacher)s has %(count)d, and taking over %(classes)s would make %(total)d."
                    )
                    % {
                        "limit": TEACHER_CAPACITY,
                        "year": year,
                        "teacher": successor.name,
                        "count": len(current),
                        "classes": ", ".join(school_class.name for school_class in handed),
                        "total": total,
                    },
                    code="teacher_full",
                )
        transfer = _transfer_file(
            kind=Transfer.Kind.TEACHER_OUT,
            person=teacher,
            organization=organization,
            from_organization=organization,
            to_organization=None,
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


def transfers_apply_due(*, day: datetime.date | None = None) -> int:
    """Hand the classes of teachers whose transfer date has come to their successors. Idempotent.

    The one part of a transfer that is not effective-dated: a class has one
    teacher, so ownership is rewritten on the date (at filing when the date is
    today, otherwise by the daily `apply_transfers` command). Returns the
    number of classes handed over.
    """
    day = day or today()
    due = TransferSuccessor.objects.filter(
        transfer__kind=Transfer.Kind.TEACHER_OUT,
        transfer__status=Transfer.Status.APPROVED,
        transfer__effective_on__lte=day,
        school_class__teacher_id=F("transfer__person_id"),
    ).select_related("transfer__from_organization", "school_class", "successor")
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


def _arriving_person(login_id: str, role: str) -> User | None:
    """The existing account of `role` with this login id, row-locked; None if there is none."""
    return User.objects.select_for_update().filter(login_id=login_id.strip().lower(), role=role).first()


def transfer_file_examinee_in(
    *, organization: Organization, login_id: str, effective_on: datetime.date, reason: str, by: User
) -> Transfer:
    """The new organization files that an examinee who already has an account joins it on `effective_on`.

    The examinee then answers whether the new school may see their past
    history, and the new organization's org admin approves. An examinee without
    an account needs no transfer: the roster flow issues one.
    """
    _check_effective_on(effective_on)
    with transaction.atomic():
        examinee = _arriving_person(login_id, User.Role.EXAMINEE)
        if examinee is None:
            raise ServiceError(
                _(
                    "There is no examinee account with the login id %(login_id)s. "
                    "An examinee without an account is added to a class, which issues a new account."
                )
                % {"login_id": login_id},
                code="not_found",
            )
        if members_of(organization, User.Role.EXAMINEE, effective_on).filter(pk=examinee.pk).exists():
            raise ServiceError(
                _("%(name)s is already a member of your school on that date.") % {"name": examinee.name},
                code="already_member",
            )
        _check_no_open_transfer(examinee, Transfer.Kind.EXAMINEE_IN)
        current = active_membership(examinee)
        return _transfer_file(
            kind=Transfer.Kind.EXAMINEE_IN,
            person=examinee,
            organization=organization,
            from_organization=current.organization if current else None,
            to_organization=organization,
            effective_on=effective_on,
            reason=reason,
            by=by,
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
        teacher = _arriving_person(login_id, User.Role.TEACHER)
        if teacher is None:
            raise ServiceError(
                _(
                    "There is no teacher account with the login id %(login_id)s. "
                    "A teacher without an account is issued one on the Teachers page."
                )
                % {"login_id": login_id},
                code="not_found",
            )
        if members_of(organization, User.Role.TEACHER, effective_on).filter(pk=teacher.pk).exists():
            raise ServiceError(
                _("%(name)s is already a member of your school on that date.") % {"name": teacher.name},
                code="already_member",
            )
        current = active_membership(teacher)
        transfer = _transfer_file(
            kind=Transfer.Kind.TEACHER_IN,
            person=teacher,
            organization=organization,
            from_organization=current.organization if current else None,
            to_organization=organization,
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
