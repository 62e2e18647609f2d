from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import Http404
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django_htmx.http import HttpResponseClientRedirect

from classrooms import two_factor
from classrooms.access import account_in_good_standing, active_membership
from classrooms.models import Organization


def _view_name(request) -> str | None:
    """The URL name of the page the request is for; None for an address no page has."""
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


class RestrictedSessionMiddleware:
    """Keeps some signed-in sessions to a few pages, named by URL name; static files stay reachable.

    A subclass says which sessions (`restricts`), which pages (`allowed_names`) and what any
    other address gets instead (`refuse`, which may return None to let the request through).
    """

    allowed_names: frozenset[str] = frozenset()

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.restricts(request) and not request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            name = _view_name(request)
            if name not in self.allowed_names:
                response = self.refuse(request, name)
                if response is not None:
                    return response
        return self.get_response(request)

    def restricts(self, request) -> bool:
        raise NotImplementedError

    def refuse(self, request, name: str | None):
        raise NotImplementedError


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class PasswordChangeRequiredMiddleware(RestrictedSessionMiddleware):
    """Accounts issued by someone else must choose their own password before anything else."""

    allowed_names = frozenset(
        {
            "classrooms:password_change_required",
            "classrooms:logout",
            "set_language",
            # The second factor comes first (TwoFactorRequiredMiddleware).
            "classrooms:two_factor_verify",
            "classrooms:two_factor_setup",
        }
    )

    def restricts(self, request) -> bool:
        return _signed_in(request) and request.user.must_change_password

    def refuse(self, request, name):
        return redirect("classrooms:password_change_required")


class SchoolWordsMiddleware:
    """Members of an elementary or a secondary school read 児童 or 生徒 where others read 児童生徒.

    The two catalogs are the Japanese one with that word replaced
    (scripts/school_words.py, docs/design.md §11). The membership is the one
    the authentication backend already loaded for this request: no extra query.
    """

    languages = {
        Organization.SchoolType.ELEMENTARY: "ja-elem",
        Organization.SchoolType.SECONDARY: "ja-sec",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if translation.get_language() == "ja" and user is not None and user.is_authenticated:
            membership = active_membership(user)
            language = membership and self.languages.get(membership.organization.school_type)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class BetweenSchoolsMiddleware(RestrictedSessionMiddleware):
    """An examinee between schools (signed in without a membership, docs/design.md §7) reaches one page.

    That page (their own results and the question about their history), the
    answer to it, signing out, choosing a password and the language; the home
    addresses lead to it, and every other address is a 404 for them. Nothing of
    either school's people is reachable.
    """

    allowed_names = frozenset(
        {
            "classrooms:examinee_between_schools",
            "classrooms:examinee_history_consent",
            "classrooms:logout",
            "classrooms:password_change_required",
            "set_language",
        }
    )
    home_names = frozenset({"classrooms:home", "classrooms:examinee_home"})

    def restricts(self, request) -> bool:
        return _signed_in(request) and not account_in_good_standing(request.user)

    def refuse(self, request, name):
        if name is None:
            return None  # a 404 anyway
        if name in self.home_names:
            return redirect("classrooms:examinee_between_schools")
        raise Http404


class TwoFactorRequiredMiddleware(RestrictedSessionMiddleware):
    """A session that owes its second factor reaches nothing but the two-factor pages, signing out
    and the language switch (docs/design.md §1). An htmx request is told to load the page instead.
    """

    allowed_names = frozenset(
        {"classrooms:two_factor_verify", "classrooms:two_factor_setup", "classrooms:logout", "set_language"}
    )

    def restricts(self, request) -> bool:
        # Every request learns whether it owes the factor: base.html hides the menus while it does.
        request.two_factor_pending = two_factor.is_pending(request)
        return request.two_factor_pending

    def refuse(self, request, name):
        target = reverse(
            "classrooms:two_factor_verify" if two_factor.has_any_device(request.user) else "classrooms:two_factor_setup"
        )
        if request.method == "GET" and not request.htmx:
            target = f"{target}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
        if request.htmx:
            return HttpResponseClientRedirect(target)
        return redirect(target)
