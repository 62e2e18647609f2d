"""The badge for people: the pupil's downloads and the public verification page (docs/design.md §12).

badges/views.py publishes the documents machines fetch; these are the pages
people open. The pupil downloads their own badge, as the credential's JSON or
as the medal PNG with the credential baked in (badges/baking.py). Anyone with
the share link opens the verification page, which verifies the badge again
on every visit with badges/verification.py, the code `manage.py verify_badge`
runs, and says in plain words what was checked.
"""

from __future__ import annotations

import json
import re

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from badges import access, baking, picture, services, verification
from badges.credentials import clean_text
from badges.views import CREDENTIAL
from classrooms.access import role_required
from classrooms.models import User

# Characters that no file name on a pupil's tablet may hold.
_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\s]+')


def download_name(award, extension: str) -> str:
    """'<badge name>_<date>.<extension>': the badge's own words, without what a file system refuses."""
    name = _UNSAFE_IN_FILE_NAME.sub("_", clean_text(award.achievement.name_ja)).strip("._")[:60] or "badge"
    day = timezone.localtime(award.awarded_at).date().isoformat()
    return f"{name}_{day}.{extension}"


def _download(body: bytes, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(User.Role.EXAMINEE)
@require_GET
@never_cache  # a child's badge: not for a shared tablet's cache
def badge_json(request, attempt_id: int):
    award = services.award_sign(access.get_award_for_examinee(request.user, attempt_id))
    body = json.dumps(award.credential, ensure_ascii=False, indent=2).encode()
    return _download(body, f"{CREDENTIAL}; charset=utf-8", download_name(award, "json"))


@role_required(User.Role.EXAMINEE)
@require_GET
@never_cache
def badge_png(request, attempt_id: int):
    award = services.award_sign(access.get_award_for_examinee(request.user, attempt_id))
    image = picture.badge_png(operator=award.issuer.is_operator)
    return _download(baking.bake(image, award.credential), "image/png", download_name(award, "png"))


def badge_card(award) -> dict | None:
    """What the pupil's result page shows of the attempt's badge (None: the attempt has none)."""
    if award is None:
        return None
    english = get_language() == "en" and award.achievement.name_en
    return {
        "award": award,
        "name": award.achievement.name_en if english else award.achievement.name_ja,
        "issuer": award.issuer.display_name,
        "share_url": services.absolute_url("verify", public_id=award.public_id),
        "revoked": award.is_revoked,
    }


@require_safe
@never_cache
def verify_page(request, public_id: str):
    """Anyone's check of a shared badge: verified again now, every check said in words. Not indexed, not cached.

    A revoked badge says so, but never why: the reason is the pupil's and the school's, not the public's.
    """
    award = access.public_award(public_id)
    try:
        credential = services.award_sign(award).credential
    except Exception:  # noqa: BLE001  (no key to sign with now: the page says it cannot be checked)
        credential = None
    report = verification.verify(credential) if credential else None
    subject = (credential or {}).get("credentialSubject") or {}
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    response = render(
        request,
        "badges/verify.html",
        {
            "award": award,
            "report": report,
            "achievement": achievement if isinstance(achievement, dict) else {},
            "issuer_name": verification.issuer_name(credential) if credential else award.issuer.display_name,
            "valid_from": verification.moment(credential.get("validFrom")) if credential else None,
            "credential_url": services.credential_url(award),
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response
