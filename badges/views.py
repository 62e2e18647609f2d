"""The badges' public documents: no sign-in, GET and HEAD only, any origin (docs/design.md §12, docs/badges.md).

A verifier anywhere fetches these: the issuer's profile with its keys, a
key's Multikey document, an achievement, a badge by its unguessable id, the
status list credential and the achievement's image. Every object is named by
its random `public_id`; an unknown one is a 404 like any other.
"""

from __future__ import annotations

import hashlib
import json

from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from badges import access, services

JSON_LD = "application/ld+json"
CREDENTIAL = "application/vc+ld+json"  # VC 2.0's media type of a credential secured by an embedded proof
SVG = "image/svg+xml"

# How long a fetched document may be reused: a status list briefly (a revocation must show soon), the
# rest for an hour (an ETag makes the revalidation cheap).
STATUS_MAX_AGE = 60
DOCUMENT_MAX_AGE = 3600


def _published(request, body: bytes, content_type: str, max_age: int) -> HttpResponse:
    """A public document: CORS for any origin, cacheable by anyone, with an ETag of its bytes."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=max_age)
    return response


def _json(request, document: dict | list, content_type: str = JSON_LD, max_age: int = DOCUMENT_MAX_AGE):
    # Sorted keys: the same document gives the same bytes (and ETag) whether it comes from memory or from
    # PostgreSQL's jsonb, which keeps no key order. The proofs sign the canonical form, not these bytes.
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode()
    return _published(request, body, f"{content_type}; charset=utf-8", max_age)


@require_safe
def issuer(request, public_id: str):
    found = access.public_issuer(public_id)
    return _json(request, services.issuer_profile(found))


@require_safe
def issuer_keys(request, public_id: str):
    """The Multikey documents of every key a verifier may need, controlled by this issuer (as `badge_keys show`)."""
    found = access.public_issuer(public_id)
    return _json(request, services.key_documents(found))


@require_safe
def achievement(request, public_id: str):
    found = access.public_achievement(public_id)
    language = "en" if request.GET.get("lang") == "en" else "ja"
    document = {
        "@context": [services.CREDENTIALS_V2, services.OPEN_BADGES_V3],
        **services.achievement_document(found, language),
    }
    return _json(request, document)


@require_safe
def image(request, public_id: str):
    found = access.public_achievement(public_id)
    return _published(request, services.badge_svg(found).encode(), f"{SVG}; charset=utf-8", DOCUMENT_MAX_AGE)


@require_safe
def credential(request, public_id: str):
    """The signed badge (signed now if signing after the result failed). A revoked badge is still served:
    its status list is what says it is revoked.
    """
    found = access.public_award(public_id)
    signed = services.award_sign(found).credential
    return _json(request, signed, CREDENTIAL)


@require_safe
def status_list(request, public_id: str):
    found = access.public_status_list(public_id)
    return _json(request, services.signed_status_list(found), CREDENTIAL, STATUS_MAX_AGE)
