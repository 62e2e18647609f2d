"""The only door from user input to objects of this app.

Every helper raises Http404 for anything the user may not see, whether it
does not exist, belongs to another organization, or to a colleague: the
caller cannot tell these apart (docs/design.md §1). Visibility follows memberships
active today (docs/design.md §7).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Q
from django.http import Http404

from classrooms.models import Enrollment, Membership, Organization, SchoolClass, Transfer, User
from classrooms.schoolyear import today


def active_membership(user: User, day: datetime.date | None = None) -> Membership | None:
    """The user's membership active on `day` (today by default), with its organization.

    The result carries `checked_on`, the day it was checked for. Cached on the
    user object for the length of a request.
    """
    day = day or today()
    cache = user.__dict__.setdefault("_membership_cache", {})
    if day not in cache:
        membership = Membership.objects.active_on(day).filter(user=user).select_related("organization").first()
        if membership is not None:
            membership.checked_on = day
        cache[day] = membership
    return cache[day]


def account_in_good_standing(user: User) -> bool:
    """May this account act today: active, and an operator or a member of an organization in service?

    The authentication backend asks this on every request; websocket consumers
    ask it again at each re-check of an open socket (sockets/consumers.py), with a freshly loaded user.
    """
    if not user.is_active:
        return False
    if user.is_operator:
        return True
    membership = active_membership(user)
    return membership is not None and membership.organization.is_in_service_on(membership.checked_on)


def arrival_between_schools(user: User) -> Transfer | None:
    """The pending arrival of an examinee between schools (docs/design.md §7), or None.

    Between schools: an examinee with no membership today and an arrival at a
    new school, filed with the transfer code of their leaving, that is still
    waiting for approval. Cached on the user object for the length of a request.
    """
    if not user.is_examinee or active_membership(user) is not None:
        return None
    day = today()
    cache = user.__dict__.setdefault("_between_schools_cache", {})
    if day not in cache:
        cache[day] = transfer_requests_for(user).first()
    return cache[day]


def may_sign_in(user: User) -> bool:
    """May this account sign in: in good standing, or an active examinee between schools.

    The authentication backend asks this on every request. An examinee between
    schools is signed in to one page only (classrooms.middleware.BetweenSchoolsMiddleware)
    and opens no socket: everything else still asks `account_in_good_standing`.
    """
    if account_in_good_standing(user):
        return True
    return user.is_active and arrival_between_schools(user) is not None


def organization_of(user: User) -> Organization:
    membership = active_membership(user)
    if membership is None:
        raise Http404
    return membership.organization


def role_required(*roles: str):
    """Signed in, with one of `roles`; anyone else gets 404 (anonymous: sign in)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.role not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def members_of(organization: Organization, role: str, day: datetime.date | None = None):
    """Users of `role` whose membership in `organization` is active on `day`."""
    day = day or today()
    member_ids = Membership.objects.active_on(day).filter(organization=organization).values("user_id")
    return User.objects.filter(role=role, pk__in=member_ids)


def members_today(organization: Organization, user_ids: Iterable[int | None]) -> set[int]:
    """Which of these users are members of `organization` today: the only people its screens name.

    From the effective date of a transfer the old organization sees nothing of
    the person who left (docs/design.md §7). Where a row or a count must stay,
    the screen shows a neutral label instead of their name ("former member",
    "Transferred examinee"): each screen keeps its own label, this decides who
    is named. None (no user) is ignored. One query.
    """
    wanted = {user_id for user_id in user_ids if user_id is not None}
    members = Membership.objects.active_on(today()).filter(organization=organization, user_id__in=wanted)
    return set(members.values_list("user_id", flat=True))


def get_class_for_teacher(user: User, class_id: int) -> SchoolClass:
    """A class the teacher proctors, in their current organization."""
    try:
        return SchoolClass.objects.select_related("organization", "teacher").get(
            pk=class_id, teacher=user, organization=organization_of(user)
        )
    except SchoolClass.DoesNotExist:
        raise Http404 from None


def get_class_for_org_admin(user: User, class_id: int) -> SchoolClass:
    try:
        return SchoolClass.objects.select_related("organization", "teacher").get(
            pk=class_id, organization=organization_of(user)
        )
    except SchoolClass.DoesNotExist:
        raise Http404 from None


def get_enrollment_for_teacher(user: User, class_id: int, enrollment_id: int) -> Enrollment:
    """An active enrollment in one of the teacher's classes, of an examinee still in the organization."""
    school_class = get_class_for_teacher(user, class_id)
    day = today()
    try:
        return (
            roster_of(school_class, day)
            .select_related("examinee", "school_class__organization", "school_class__teacher")
            .get(pk=enrollment_id)
        )
    except Enrollment.DoesNotExist:
        raise Http404 from None


def roster_of(school_class: SchoolClass, day: datetime.date | None = None):
    """Active enrollments of the class whose examinee is still a member of its organization."""
    day = day or today()
    member_ids = (
        Membership.objects.active_on(day).filter(organization_id=school_class.organization_id).values("user_id")
    )
    return (
        Enrollment.objects.active_on(day)
        .filter(school_class=school_class, examinee_id__in=member_ids)
        .select_related("examinee")
    )


def get_member_for_org_admin(user: User, member_id: int, role: str) -> User:
    try:
        return members_of(organization_of(user), role).get(pk=member_id)
    except User.DoesNotExist:
        raise Http404 from None


def examinees_enrollable(school_class: SchoolClass):
    """Active examinees of the class's organization who are not in the class now."""
    day = today()
    in_class = Enrollment.objects.active_on(day).filter(school_class=school_class).values("examinee_id")
    return (
        members_of(school_class.organization, User.Role.EXAMINEE, day)
        .filter(is_active=True)
        .exclude(pk__in=in_class)
        .order_by("kana", "name")
    )


def with_roster_counts(classes, day: datetime.date | None = None):
    """Annotate `examinee_count`: the roster size by the same rules as `roster_of`, in one query."""
    day = day or today()
    active_members = Membership.objects.active_on(day).filter(organization_id=OuterRef("organization_id"))
    return classes.annotate(
        examinee_count=Count(
            "enrollments",
            filter=Q(enrollments__starts_on__lte=day)
            & (Q(enrollments__ends_on__isnull=True) | Q(enrollments__ends_on__gt=day))
            & Q(enrollments__examinee_id__in=active_members.values("user_id")),
        )
    )


def _transfers_of_filter(organization: Organization) -> Q:
    """Transfers out of `organization` and arrivals into it: the ones its org admin sees and decides."""
    # An arrival belongs to the new school only: the old one never learns where someone went.
    arriving = Q(kind__in=Transfer.ARRIVALS, to_organization=organization)
    leaving = ~Q(kind__in=Transfer.ARRIVALS) & Q(from_organization=organization)
    return arriving | leaving


def transfers_of(organization: Organization):
    """Transfers out of `organization` (people leaving) and into it (examinees and teachers arriving)."""
    return Transfer.objects.filter(_transfers_of_filter(organization)).select_related(
        "person", "filed_by", "decided_by", "from_organization", "to_organization"
    )


def get_transfer_for_decision(user: User, transfer_id: int) -> Transfer:
    """A transfer this org admin decides: out of their organization, or (arrivals) into it."""
    deciding = _transfers_of_filter(organization_of(user))
    try:
        return Transfer.objects.select_related("person").get(deciding, pk=transfer_id)
    except Transfer.DoesNotExist:
        raise Http404 from None


def get_transfer_for_examinee(user: User, transfer_id: int) -> Transfer:
    """A pending arrival at a new school that the examinee is asked about."""
    try:
        return transfer_requests_for(user).get(pk=transfer_id)
    except Transfer.DoesNotExist:
        raise Http404 from None


def transfer_requests_for(user: User):
    """Pending arrivals of this examinee at a new school: they answer whether it may see their history.

    Only arrivals filed with the transfer code of their leaving: a login id
    alone never puts a question to the examinee (docs/design.md §7).
    """
    return Transfer.objects.filter(
        kind=Transfer.Kind.EXAMINEE_IN, person=user, status=Transfer.Status.PENDING, departure__isnull=False
    ).select_related("to_organization")


def history_shared_until(examinee: User, organization: Organization) -> datetime.date | None:
    """The arrival date before which the examinee's past history is visible to `organization` (docs/design.md §7).

    An examinee who arrived by transfer answered whether the new school may
    see their past history: yes gives the arrival date (everything before it
    is visible, as well as everything in the school itself); no, or no such
    arrival, gives None (only the school's own classes).
    """
    return (
        Transfer.objects.filter(
            kind=Transfer.Kind.EXAMINEE_IN,
            person=examinee,
            to_organization=organization,
            status=Transfer.Status.APPROVED,
            history_consent=True,
        )
        .order_by("-effective_on")
        .values_list("effective_on", flat=True)
        .first()
    )
