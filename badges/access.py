"""The badges' public objects by their random ids (docs/design.md §9, §12).

These documents are public by design, so there is no person to check: the
only rule is that an object is reached by its unguessable `public_id` alone,
never by a numeric id, and an unknown one is a 404. The pupil's own downloads are
the exception: they go through the examinee's attempt (`get_award_for_examinee`).
"""

from __future__ import annotations

from django.http import Http404

from badges.models import Achievement, Award, Issuer, StatusList
from exams.access import get_attempt_for_examinee


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
    return _public(Award.objects.select_related("achievement__issuer__organization"), public_id)


def public_status_list(public_id: str) -> StatusList:
    return _public(StatusList.objects.select_related("issuer__organization"), public_id)


def get_award_for_examinee(user, attempt_id: int) -> Award:
    """The badge of the examinee's own passed attempt, while it stands (the pupil's downloads).

    404 for anyone else's attempt (exams.access decides), for an attempt without a badge,
    and for a revoked badge (its result revoked, or no longer a pass after a regrade).
    """
    attempt = get_attempt_for_examinee(user, attempt_id)
    award = (
        Award.objects.filter(attempt=attempt, revoked_at__isnull=True)
        .select_related("achievement__issuer__organization", "status_list")
        .first()
    )
    if award is None or not attempt.passed:
        raise Http404
    return award
