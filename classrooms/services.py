"""State changes of organizations, accounts, classes and rosters.

Each service is one transaction and writes its audit entry in it. The
capacity rules (docs/design.md §2) are enforced here under row locks, so they hold
under concurrent requests. Transfers (docs/design.md §7) are in classrooms/transfers.py.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from classrooms.access import active_membership, members_of
from classrooms.models import (
    TIME_MULTIPLIERS,
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
from classrooms.schoolyear import today
from config.errors import ServiceError
from sockets.publish import close_user_sockets

# The audit log's action codes written here, and what the org admin reads for each (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {
        # No longer written (contracts are changed in operations/contracts.py); kept for old entries.
        "organization.pending": gettext_lazy("Organization set to pending approval"),
        "org_admin.issue": gettext_lazy("Org admin account issued"),
        "org_admin.suspend": gettext_lazy("Org admin suspended"),
        "org_admin.reactivate": gettext_lazy("Org admin reactivated"),
        "teacher.issue": gettext_lazy("Teacher account issued"),
        "teacher.suspend": gettext_lazy("Teacher suspended"),
        "teacher.reactivate": gettext_lazy("Teacher reactivated"),
        "examinee.issue": gettext_lazy("Examinee accounts issued"),
        "examinee.update": gettext_lazy("Examinee details edited"),
        "examinee.suspend": gettext_lazy("Examinee suspended"),
        "examinee.reactivate": gettext_lazy("Examinee reactivated"),
        "enrollment.create": gettext_lazy("Examinee added to a class"),
        "enrollment.end": gettext_lazy("Examinee removed from a class"),
        "class.create": gettext_lazy("Class created"),
        "class.rename": gettext_lazy("Class renamed"),
        "password.reissue": gettext_lazy("Password reissued"),
        "password.change": gettext_lazy("Password changed"),
    }
)

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


def sessions_end(user_ids: Iterable[int]) -> None:
    """Sign these users out of every browser session and close their sockets (after commit), for good.

    Their session hash includes `session_generation` (classrooms/models.py), so every session made
    before is refused at its next request or socket re-check (docs/design.md §10.3). Suspension, the
    operator's reset of a second factor and a contract that locks a school out all end sessions here.
    """
    ids = list(user_ids)
    User.objects.filter(pk__in=ids).update(session_generation=F("session_generation") + 1)
    for user_id in ids:
        close_user_sockets(user_id)


def user_set_active(*, user: User, active: bool, by: User) -> User:
    """Suspend or reactivate an account. Suspension signs the user out everywhere at once."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            sessions_end([user.pk])
            user.session_generation += 1  # what sessions_end wrote, on the row this transaction holds
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
        _record_about_account(user, by=by, action="password.reissue")
    return IssuedCredential(user=user, password=password)


def password_set(*, user: User, password: str) -> None:
    """The account holder chose their own password."""
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        _record_about_account(user, by=user, action="password.change")


def _record_about_account(user: User, *, by: User, action: str) -> None:
    """An audit entry about an account, in the log of the organization it belongs to today (if any)."""
    membership = active_membership(user)
    AuditEntry.record(
        organization=membership.organization if membership else None, actor=by, action=action, target=user
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


def teacher_capacity_check(
    *,
    teacher: User,
    school_year: int,
    day: datetime.date,
    examinee_ids: Collection[int] = (),
    new_accounts: int = 0,
    taking_over: Sequence[SchoolClass] = (),
) -> None:
    """Refuse if `teacher` would proctor more than TEACHER_CAPACITY distinct examinees in `school_year` (§2).

    The examinees they proctor on `day`, with the classes they are due to take
    over, count together with `examinee_ids` (some may be theirs already) and
    `new_accounts` (new, so never theirs). `taking_over` names the classes
    that bring `examinee_ids` when the teacher inherits them (docs/design.md §7).
    Call inside a transaction that holds the teacher's row lock.
    """
    current = _teacher_examinee_ids(teacher.pk, school_year, day)
    total = len(current | set(examinee_ids)) + new_accounts
    if total <= TEACHER_CAPACITY:
        return
    values = {"limit": TEACHER_CAPACITY, "year": school_year, "teacher": teacher.name, "count": len(current)}
    if taking_over:
        message = _(
            "A teacher proctors at most %(limit)d examinees in school year %(year)d: "
            "%(teacher)s has %(count)d, and taking over %(classes)s would make %(total)d."
        ) % {**values, "classes": ", ".join(school_class.name for school_class in taking_over), "total": total}
    else:
        message = _(
            "A teacher proctors at most %(limit)d examinees in school year %(year)d: "
            "%(teacher)s has %(count)d, and this would make %(total)d."
        ) % {**values, "total": total}
    raise ServiceError(message, code="teacher_full")


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
        teacher_capacity_check(
            teacher=teacher,
            school_year=school_class.school_year,
            day=day,
            examinee_ids=examinee_ids,
            new_accounts=new_accounts,
        )


@dataclass(frozen=True)
class RosterRow:
    """One examinee to issue: from the single form or one line of a CSV file."""

    name: str
    kana: str = ""
    number: int | None = None
    login_id: str = ""
    time_multiplier: Decimal = Decimal("1.00")  # the standing accommodation (docs/design.md §4)


def examinees_issue(
    *, school_class: SchoolClass, rows: Sequence[RosterRow], by: User, once: str = ""
) -> list[IssuedCredential]:
    """Issue an account for each row and enroll it in the class: all of them, or none.

    Login ids given in rows must be free; blank ones are generated. `once`, the one-time token of
    the import form, makes a second submission of the same form refused, even when both arrive
    together (a double click): checked under the class's row lock against the audit entries.
    """
    if not rows:
        raise ServiceError(_("There is nobody to add."), code="nobody")
    organization = school_class.organization
    passwords = _hashed_initial_passwords(len(rows))
    with transaction.atomic():
        school_class = _lock_for_enrollment(school_class)
        if (
            once
            and AuditEntry.objects.filter(
                action="examinee.issue", target_type="schoolclass", target_id=str(school_class.pk), details__form=once
            ).exists()
        ):
            raise ServiceError(_("This form was already sent, so nothing was imported again."), code="already_imported")
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
                school_class=school_class,
                examinee=credential.user,
                number=row.number,
                starts_on=today(),
                time_multiplier=row.time_multiplier,
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
            **({"form": once} if once else {}),
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


def examinee_update(
    *,
    enrollment: Enrollment,
    name: str,
    kana: str,
    number: int | None,
    by: User,
    time_multiplier: Decimal | None = None,
) -> Enrollment:
    """Edit an examinee's basic information (name, kana, number in this class) and their standing
    accommodation in this class (`time_multiplier`; None: unchanged). The accommodation applies to
    attempts started from now on (docs/design.md §4).
    """
    if time_multiplier is not None and time_multiplier not in {value for value, _label in TIME_MULTIPLIERS}:
        raise ServiceError(_("This time allowance is not one of the choices."), code="bad_multiplier")
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
        if time_multiplier is not None and enrollment.time_multiplier != time_multiplier:
            changed.append("time_multiplier")
            enrollment.time_multiplier = time_multiplier
            enrollment.save(update_fields=["time_multiplier"])
        if changed:
            AuditEntry.record(
                organization=enrollment.school_class.organization,
                actor=by,
                action="examinee.update",
                target=examinee,
                fields=changed,
            )
    return enrollment
