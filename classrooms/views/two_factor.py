"""Two-factor sign-in: the code after the password, enrolment, and the person's own settings (docs/design.md §1).

Pupils never reach these pages (404). The rules and every change are in classrooms/two_factor.py;
TwoFactorRequiredMiddleware keeps a session that owes its second factor on the first two pages.
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from classrooms import two_factor
from classrooms.access import role_required
from classrooms.forms import TwoFactorCodeForm
from classrooms.login_cards import qr_svg
from classrooms.models import User
from config.errors import ServiceError

SETUP_KEY_SESSION_KEY = "two_factor_setup_key"

staff_required = role_required(User.Role.OPERATOR, User.Role.ORG_ADMIN, User.Role.TEACHER)


def _next_url(request) -> str:
    """Where the person was going when the second factor was asked for; only this site's own pages."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else ""


@staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step of signing in: a code from the app, or one recovery code."""
    next_url = _next_url(request)
    if not request.two_factor_pending:
        return redirect(next_url or "classrooms:home")
    if not two_factor.has_any_device(request.user):
        return redirect("classrooms:two_factor_setup")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.two_factor_verify(user=request.user, code=form.cleaned_data["code"])
        except ServiceError as error:
            form.add_error("code", str(error))
        else:
            otp_login(request, device)
            if isinstance(device, StaticDevice) and not two_factor.has_authenticator(request.user):
                # Signed in with a recovery code: offer to set up an app now, or to go on (the setup page's link).
                query = f"?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else ""
                return redirect(reverse("classrooms:two_factor_setup") + query)
            return redirect(next_url or "classrooms:home")
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


@staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def setup(request):
    """Enrolment, or a new phone: scan the QR code (or type the key), confirm with a code, get the recovery
    codes once. Someone who has a device must have given the second factor in this session first.
    """
    if request.two_factor_pending and two_factor.has_any_device(request.user):
        return redirect("classrooms:two_factor_verify")  # a password alone never sets up an app
    key = request.session.get(SETUP_KEY_SESSION_KEY) or two_factor.new_key()
    request.session[SETUP_KEY_SESSION_KEY] = key  # the same QR code on every visit, until confirmed
    device = two_factor.enrolment_device(user=request.user, key=key)
    next_url = _next_url(request)
    form = TwoFactorCodeForm(request.POST or None)
    form.fields["code"].label = _("6-digit code")  # from the app: no recovery codes yet
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.two_factor_enrol(key=key, code=form.cleaned_data["code"], by=request.user)
        except ServiceError as error:
            form.add_error("code", str(error))
        else:
            del request.session[SETUP_KEY_SESSION_KEY]
            otp_login(request, device)
            return _recovery_codes_page(request, codes, next_url=next_url)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        # segno's own markup, and the title is ours: nothing in it comes from the person.
        "qr": mark_safe(qr_svg(device.config_url, title=_("QR code for your authenticator app"))),  # noqa: S308
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "next": next_url,
        "required": two_factor.required_by_role(request.user),
        "replacing": two_factor.has_authenticator(request.user),
        # Already signed in with both factors (a recovery code): the app can wait for another day.
        "may_skip": not request.two_factor_pending,
    }
    return render(request, "registration/two_factor_setup.html", context)


def _recovery_codes_page(request, codes: list[str], *, next_url: str = ""):
    """The only place recovery codes are ever shown: the answer to the request that made them."""
    context = {"codes": codes, "next": next_url}
    return render(request, "registration/two_factor_recovery_codes.html", context)


@staff_required
@never_cache
def account(request):
    """The person's own two-factor settings: on or off, recovery codes left, new codes, turning off."""
    status = two_factor.status_of(request.user)
    context = {"status": status, "organization_requires": request.user.is_org_admin and status.required}
    return render(request, "registration/two_factor_account.html", context)


@staff_required
@require_POST
def recovery_codes_renew(request):
    if not two_factor.has_authenticator(request.user):
        return redirect("classrooms:two_factor_account")
    return _recovery_codes_page(request, two_factor.recovery_codes_renew(user=request.user))


@staff_required
@require_POST
def disable(request):
    try:
        two_factor.two_factor_disable(user=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("classrooms:two_factor_account")
