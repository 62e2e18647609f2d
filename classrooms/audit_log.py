"""The audit log as an organization may read it today: its page and its export say the same (docs/design.md §1, §7)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from classrooms.access import members_today
from classrooms.models import AuditEntry, Organization, User


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as the organization may see it today."""

    at: datetime.datetime
    who: str
    action: str
    target: str
    details: list[tuple[str, str]]


def audit_rows(entries, organization: Organization) -> list[AuditRow]:
    """Format entries for display, without naming anyone who is no longer a member (docs/design.md §1, §7).

    The log keeps its labels as they were written; whether a person may be
    named is decided today, like everywhere else. Constant number of queries.
    """
    entries = list(entries)
    user_ids = {entry.actor_id for entry in entries}
    user_ids |= {int(entry.target_id) for entry in entries if entry.target_type == "user" and entry.target_id.isdigit()}
    # Details name people by login id; any detail value that is one follows the same rule.
    login_ids = {value for entry in entries for _key, value in _detail_values(entry.details)}
    people_in_details = dict(User.objects.filter(login_id__in=login_ids).values_list("login_id", "pk"))
    present = members_today(organization, user_ids | set(people_in_details.values()))
    hidden_login_ids = {login_id for login_id, pk in people_in_details.items() if pk not in present}
    former = _("former member")

    def who(entry: AuditEntry) -> str:
        if entry.actor is None:
            return _("System") if entry.actor_label == "system" else entry.actor_label
        if entry.actor.is_operator:
            return _("Kantoku operator")
        return entry.actor_label if entry.actor_id in present else former

    def target(entry: AuditEntry) -> str:
        if entry.target_type == "user" and (not entry.target_id.isdigit() or int(entry.target_id) not in present):
            return former
        return entry.target_label

    def details(entry: AuditEntry) -> list[tuple[str, str]]:
        shown: dict[str, list[str]] = {}
        for key, value in _detail_values(entry.details):
            # A code a writer declared words for (a reason, a status) is shown in those words.
            value = AuditEntry.detail_value_label(key, value, entry.action)
            shown.setdefault(key, []).append(former if value in hidden_login_ids else value)
        return [(AuditEntry.detail_label(key, entry.action), ", ".join(values)) for key, values in shown.items()]

    return [
        AuditRow(
            at=entry.at,
            who=who(entry),
            action=AuditEntry.action_label(entry.action),
            target=target(entry),
            details=details(entry),
        )
        for entry in entries
    ]


# Details kept for the code, not for people: the one-time token of the import form (services.examinees_issue).
AUDIT_DETAILS_NOT_SHOWN = {"form"}


def _detail_values(details: dict) -> list[tuple[str, str]]:
    """(key, value) pairs of an entry's details, lists flattened, as text.

    Services never store a password; a key that says otherwise is still not shown.
    """
    return [
        (key, str(item))
        for key, value in details.items()
        if "password" not in key.lower() and key not in AUDIT_DETAILS_NOT_SHOWN
        for item in (value if isinstance(value, list) else [value])
    ]
