"""A stand-in for the service's published badge documents, for tests/badges/test_verification.py.

Served through a URLconf of its own (pytest.mark.urls), under the names of badges/urls.py, so the
offline verifier's in-process resolution is tested on its own: the issuer's key document and one status list credential,
whose contents each test sets in `PUBLISHED`.
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.urls import include, path

PUBLISHED: dict[str, dict | Exception] = {}


def document(request, name: str):
    if name not in PUBLISHED:
        raise Http404
    if isinstance(PUBLISHED[name], Exception):  # a view that fails (a server error)
        raise PUBLISHED[name]
    return JsonResponse(PUBLISHED[name])


documents = [
    path("issuer", document, {"name": "issuer"}, name="issuer"),
    path("status/1", document, {"name": "status"}, name="status_list"),
    path("page", document, {"name": "page"}, name="not_a_document"),  # a page of ours, not a badge document
]
urlpatterns = [path("badges/", include((documents, "badges")))]
