"""An organization's contract: approval, suspension, notice, termination, unit price, renewal.

Every change of a contract goes through these services (docs/design.md §8.1).
Each takes the organization's row lock, refuses with a ServiceError and
changes nothing when the contract is not in a state that allows it, and writes
its audit entry in the same transaction. Suspension and termination lock every
account of the organization out at once (docs/design.md §2).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from classrooms.models import AuditEntry, Membership, Organization, User, audit_actions, term_end_after
from classrooms.schoolyear import today
from classrooms.services import sessions_end
from config.errors import ServiceError
from operations.models import ContractTerm

# The audit log's action codes written here, and what the org admin reads for each (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {
        "organization.approved": gettext_lazy("Organization approved"),
        "organization.suspended": gettext_lazy("Organization suspended"),
        "organization.reinstated": gettext_lazy("Organization reinstated"),
        "contract.termination_scheduled": gettext_lazy("Contract termination scheduled"),
        "contract.renewed": gettext_lazy("Contract renewed for a year"),
        "contract.notice_given": gettext_lazy("Notice of non-renewal given"),
        "contract.notice_withdrawn": gettext_lazy("Notice of non-renewal withdrawn"),
        "contract.unit_price_changed": gettext_lazy("Unit price changed"),
    },
    details={
        "term_ends_on": gettext_lazy("term end"),
        "given_on": gettext_lazy("notice received on"),
        "unit_price": gettext_lazy("unit price"),
    },
) | audit_actions(
    {"organization.terminated": gettext_lazy("Organization terminated")},
    details={"previous": (gettext_lazy("before"), Organization.Status.choices)},  # the status it ended from
)

Status = Organization.Status


@dataclass(frozen=True)
class RenewalRun:
    """What one run of `contracts_renew_due` did: terms begun, contracts ended."""

    renewed: list[ContractTerm]
    ended: list[Organization]


def _locked(organization: Organization) -> Organization:
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _refuse_unless(organization: Organization, *statuses: str) -> None:
    if organization.status not in statuses:
        raise ServiceError(
            _("This cannot be done while the organization is %(status)s.")
            % {"status": organization.get_status_display()},
            code="wrong_status",
        )


def accounts_locked_out_by(organization: Organization, day: datetime.date | None = None) -> int:
    """How many accounts suspending or ending `organization` locks out: active members, active accounts."""
    memberships = Membership.objects.active_on(day or today()).filter(organization=organization)
    return memberships.filter(user__is_active=True).values("user_id").distinct().count()


def _lock_everyone_out(organization: Organization) -> None:
    """Sign every member out of every session and close their sockets, after commit (docs/design.md §10.3).

    Sign-in already fails once the organization is out of service; this ends what was open.
    """
    sessions_end(Membership.objects.filter(organization=organization).values_list("user_id", flat=True))


def _record(organization: Organization, by: User | None, action: str, **details) -> None:
    AuditEntry.record(organization=organization, actor=by, action=action, target=organization, **details)


def _begin_term(organization: Organization, starts_on: datetime.date) -> ContractTerm:
    """Record the term beginning on `starts_on`; a changed unit price takes effect with it."""
    if organization.next_unit_price is not None:
        organization.unit_price, organization.next_unit_price = organization.next_unit_price, None
        organization.save(update_fields=["unit_price", "next_unit_price"])
    return ContractTerm.objects.create(
        organization=organization,
        starts_on=starts_on,
        ends_on=term_end_after(starts_on),
        unit_price=organization.unit_price,
    )


def contract_approve(*, organization: Organization, starts_on: datetime.date | None = None, by: User) -> Organization:
    """Approve a pending organization: its first one-year term begins on `starts_on` (today by
    default), and from that day its accounts may act.
    """
    with transaction.atomic():
        organization = _locked(organization)
        _refuse_unless(organization, Status.PENDING)
        organization.status = Status.APPROVED
        organization.contract_starts_on = starts_on or today()
        organization.save(update_fields=["status", "contract_starts_on"])
        term = _begin_term(organization, organization.contract_starts_on)
        _record(organization, by, "organization.approved", term_ends_on=term.ends_on.isoformat())
        _bring_up_to(organization, term, today(), by)  # a start more than a year ago: the renewals since
    return organization


def contract_suspend(*, organization: Organization, by: User) -> Organization:
    """Suspend from today: every account is locked out until reinstated; the contract runs on."""
    with transaction.atomic():
        organization = _locked(organization)
        _refuse_unless(organization, Status.APPROVED)
        organization.status, organization.suspended_on = Status.SUSPENDED, today()
        organization.save(update_fields=["status", "suspended_on"])
        _record(organization, by, "organization.suspended", effective_on=organization.suspended_on.isoformat())
        _lock_everyone_out(organization)
    return organization


def contract_reinstate(*, organization: Organization, by: User) -> Organization:
    """Lift a suspension: the accounts may sign in again (if the contract has not ended meanwhile)."""
    with transaction.atomic():
        organization = _locked(organization)
        _refuse_unless(organization, Status.SUSPENDED)
        suspended_on, organization.status, organization.suspended_on = organization.suspended_on, Status.APPROVED, None
        organization.save(update_fields=["status", "suspended_on"])
        _record(organization, by, "organization.reinstated", previous=suspended_on.isoformat() if suspended_on else "")
    return organization


def contract_terminate(*, organization: Organization, on: datetime.date | None = None, by: User) -> Organization:
    """End the contract on `on` (today by default), its last day.

    Today or earlier: terminated now, every account locked out. A later day:
    scheduled; the school stays in service through that day and the daily
    `renew_contracts` terminates it the day after. Either way `ended_on` fixes
    the date after which its data is deleted (Organization.data_deletion_date).
    """
    on = on or today()
    with transaction.atomic():
        organization = _locked(organization)
        _refuse_unless(organization, Status.PENDING, Status.APPROVED, Status.SUSPENDED)
        if organization.contract_starts_on and on < organization.contract_starts_on:
            raise ServiceError(_("A contract cannot end before it started."), code="before_start")
        if organization.status == Status.PENDING and on > today():
            raise ServiceError(_("An organization awaiting approval cannot be given a later end."), code="bad_date")
        known_end = organization.known_end_on()
        if known_end is not None and on > known_end:
            _refuse_known_end(known_end)
        organization.ended_on = on
        if on <= today():
            _end_now(organization, by)
        else:
            organization.save(update_fields=["ended_on"])
            _record(organization, by, "contract.termination_scheduled", effective_on=on.isoformat())
    return organization


def _refuse_known_end(known_end: datetime.date) -> None:
    raise ServiceError(
        _("The contract already ends on %(date)s.") % {"date": date_format(known_end)}, code="already_ending"
    )


def _end_now(organization: Organization, by: User | None) -> None:
    """Terminate an organization whose `ended_on` is set and has come (inside the caller's transaction)."""
    previous = organization.status
    organization.status = Status.TERMINATED
    organization.save(update_fields=["status", "ended_on"])
    _record(
        organization, by, "organization.terminated", previous=previous, effective_on=organization.ended_on.isoformat()
    )
    _lock_everyone_out(organization)


def contract_give_notice(*, organization: Organization, on: datetime.date | None = None, by: User) -> Organization:
    """Record notice of non-renewal given on `on` (today by default).

    It ends the contract at the first term end it is at least a month ahead of
    (`Organization.contract_ends_on`); a later notice lets the term renew once more.
    """
    on = on or today()
    with transaction.atomic():
        organization = _locked(organization)
        _refuse_unless(organization, Status.APPROVED, Status.SUSPENDED)
        known_end = organization.known_end_on()
        if known_end is not None:
            _refuse_known_end(known_end)
        organization.notice_given_on = on
        if on > today() or on < organization.contract_starts_on or organization.contract_ends_on(on) < today():
            # in the future, before the contract, or ending it at a term end already past
            raise ServiceError(_("Notice is given on a day of the contract, not in the future."), code="bad_date")
        organization.save(update_fields=["notice_given_on"])
        _record(
            organization,
            by,
            "contract.notice_given",
            effective_on=organization.contract_ends_on(on).isoformat(),
            given_on=on.isoformat(),
        )
    return organization


def contract_withdraw_notice(*, organization: Organization, by: User) -> Organization:
    """Withdraw notice of non-renewal before it took effect: the contract renews itself again."""
    with transaction.atomic():
        organization = _locked(organization)
        if organization.notice_given_on is None or organization.status == Status.TERMINATED:
            raise ServiceError(_("There is no notice of non-renewal to withdraw."), code="no_notice")
        if organization.contract_ends_on() < today():
            raise ServiceError(_("The notice has taken effect: the contract has ended."), code="ended")
        previous, organization.notice_given_on = organization.notice_given_on, None
        organization.save(update_fields=["notice_given_on"])
        _record(organization, by, "contract.notice_withdrawn", previous=previous.isoformat())
    return organization


def contract_change_unit_price(*, organization: Organization, unit_price: int, by: User) -> Organization:
    """Change the unit price: from the next term, since a term keeps the price it began with.

    Before approval there is no term yet, so the new price is simply the price.
    """
    if unit_price < 0:
        raise ServiceError(_("The unit price cannot be negative."), code="bad_price")
    with transaction.atomic():
        organization = _locked(organization)
        _refuse_unless(organization, Status.PENDING, Status.APPROVED, Status.SUSPENDED)
        previous = organization.next_unit_price or organization.unit_price
        if organization.status == Status.PENDING:
            organization.unit_price, organization.next_unit_price = unit_price, None
        else:
            organization.next_unit_price = None if unit_price == organization.unit_price else unit_price
        organization.save(update_fields=["unit_price", "next_unit_price"])
        _record(organization, by, "contract.unit_price_changed", previous=previous, unit_price=unit_price)
    return organization


def renewal_plan(
    organization: Organization, last_term_end: datetime.date, day: datetime.date
) -> tuple[list[datetime.date], datetime.date | None]:
    """What bringing the contract up to `day` means after the term ending on `last_term_end`:
    the start of each term due to begin, and the contract's last day if it ends first.
    """
    starts: list[datetime.date] = []
    end = last_term_end
    while end < day and (organization.ended_on is None or end < organization.ended_on):
        if organization.notice_counts_for(end):
            return starts, end
        starts.append(end + datetime.timedelta(days=1))
        end = term_end_after(starts[-1])
    return starts, organization.ended_on


def contract_renew(*, organization: Organization, day: datetime.date | None = None, by: User | None) -> RenewalRun:
    """Bring one contract up to `day` (today by default): record each term that has begun, or end
    the contract at the term end where notice takes effect, or on its scheduled termination day.

    Terms follow each other without a gap whenever this runs, so running it
    twice, or days late, records the same terms (docs/design.md §8.1).
    """
    day = day or today()
    with transaction.atomic():
        organization = _locked(organization)
        if organization.status not in (Status.APPROVED, Status.SUSPENDED) or organization.contract_starts_on is None:
            return RenewalRun(renewed=[], ended=[])
        term = organization.contract_terms.order_by("-starts_on").first()
        if term is None:  # a contract approved before terms were recorded
            term = _begin_term(organization, organization.contract_starts_on)
        return _bring_up_to(organization, term, day, by)


def _bring_up_to(organization: Organization, term: ContractTerm, day: datetime.date, by: User | None) -> RenewalRun:
    """Record the terms after `term` that have begun by `day`, then end the contract if its end has
    passed (inside the caller's transaction, holding the organization's lock).
    """
    renewed = []
    starts, organization.ended_on = renewal_plan(organization, term.ends_on, day)
    for starts_on in starts:
        renewed.append(_begin_term(organization, starts_on))
        _record(organization, by, "contract.renewed", effective_on=starts_on.isoformat())
    if organization.ended_on is not None and organization.ended_on < day:
        _end_now(organization, by)
        return RenewalRun(renewed=renewed, ended=[organization])
    return RenewalRun(renewed=renewed, ended=[])


def contracts_renew_due(*, day: datetime.date | None = None, by: User | None = None) -> RenewalRun:
    """Bring every running contract up to `day`: the daily `renew_contracts` command."""
    renewed: list[ContractTerm] = []
    ended: list[Organization] = []
    running = Organization.objects.filter(status__in=[Status.APPROVED, Status.SUSPENDED])
    for organization in running.exclude(contract_starts_on=None).order_by("pk"):
        run = contract_renew(organization=organization, day=day, by=by)
        renewed += run.renewed
        ended += run.ended
    return RenewalRun(renewed=renewed, ended=ended)
