"""The badges' public objects by their random ids (docs/design.md §9, §12).

These documents are public by design, so there is no person to check: the
only rule is that an object is reached by its unguessable `public_id` alone,
never by a numeric id, and an unknown one is a 404.
"""

from __future__ import annotations

from django.http import Http404

from badges.models import Achievement, Award, Issuer, StatusList


def _public(queryset, public_id: str):
    found = queryset.filter(public_id=public_id).first()
    if found is None:
        raise Http404
    return found


def public_issuer(public_id: str) -> Issuer:
    return _public(Issuer.objects.select_related("organization"), public_id)


def public_achievement(public_id: str) -> Achievement:
    return _public(Achievement.objects.select_related("issuer__organization"), public_id)


def public_award(public_id: str) -> Award:
    return _public(Award.objects.all(), public_id)


def public_status_list(public_id: str) -> StatusList:
    return _public(StatusList.objects.select_related("issuer__organization"), public_id)
