"""The org admin's warning that the school's contract ends (docs/design.md §8.1)."""

from __future__ import annotations

from django import template

from classrooms.access import active_membership

register = template.Library()


@register.inclusion_tag("operations/partials/contract_warning.html", takes_context=True)
def contract_warning(context) -> dict:
    """When the contract's end is known (termination, or notice that counts): its day and the day
    the school's data is deleted after. No query: the membership was loaded to let the user in.
    """
    user = context.get("user")
    if user is None or not getattr(user, "is_org_admin", False):
        return {}
    membership = active_membership(user)
    if membership is None:
        return {}
    ends_on = membership.organization.known_end_on(membership.checked_on)
    if ends_on is None:
        return {}
    return {"ends_on": ends_on, "deletion_date": membership.organization.data_deletion_date(ends_on)}
