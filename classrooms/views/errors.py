"""The error pages: in the site's look and language, each saying what to do next (docs/design.md §9).

Wired in config/urls.py (handler404, handler403, handler500) and settings.CSRF_FAILURE_VIEW.
"""

from __future__ import annotations

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def not_found(request, exception=None):
    return render(request, "404.html", status=404)


@requires_csrf_token
def forbidden(request, exception=None):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason: str = ""):
    """A form sent from a page left open too long (its token expired) or from a stale tab."""
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    return render(request, "403_csrf.html", {"back": back}, status=403)


def server_error(request):
    # No request context: what broke may be the database, which the context processors would touch.
    return HttpResponseServerError(loader.get_template("500.html").render())
