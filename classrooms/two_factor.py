"""Two-factor sign-in (docs/design.md §1): who owes a second factor, enrolment, codes, recovery, reset.

django-otp keeps the devices: one `TOTPDevice` per person (an authenticator app on their phone)
and one `StaticDevice` holding their ten recovery codes. A code is always checked against the one
device its shape names (six digits: the app; anything else: a recovery code), never against all of
them with `match_token`, which would count a right app code as a wrong recovery code and lock the
recovery codes out after a few good sign-ins (django-otp issues #110 and #186). Both devices
throttle wrong codes themselves (`OTP_TOTP_THROTTLE_FACTOR`, `OTP_STATIC_THROTTLE_FACTOR`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import DEVICE_ID_SESSION_KEY, verify_token
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key, key_validator

from classrooms.access import active_membership
from classrooms.models import AuditEntry, Organization, User, audit_actions
from classrooms.services import sessions_end
from config.errors import ServiceError

logger = logging.getLogger(__name__)

# The audit log's action codes written here, and what the org admin reads for each (docs/design.md §9).
AUDIT_ACTIONS = audit_actions(
    {
        "two_factor.enrol": gettext_lazy("Authenticator app set up for two-factor sign-in"),
        "two_factor.disable": gettext_lazy("Two-factor sign-in turned off"),
        "two_factor.recovery_codes": gettext_lazy("New recovery codes made"),
        "two_factor.recovery_code_used": gettext_lazy("Signed in with a recovery code"),
        "two_factor.failed": gettext_lazy("Wrong two-factor code entered"),
        "two_factor.reset": gettext_lazy("Two-factor sign-in reset by the operator"),
    },
    details={
        "kind": (
            gettext_lazy("code from"),
            {"app": gettext_lazy("the authenticator app"), "recovery": gettext_lazy("a recovery code")},
        )
    },
)

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


# --- Who owes a second factor ------------------------------------------------------------------


def may_use(user: User) -> bool:
    """Pupils never use a second factor, and never see its pages."""
    return user.is_authenticated and not user.is_examinee


def required_by_role(user: User) -> bool:
    """Owed whatever the person chose: operators, and org admins of a school that requires it."""
    if user.is_operator or user.is_superuser:
        return True
    if user.is_org_admin:
        membership = active_membership(user)
        return membership is not None and membership.organization.two_factor_required
    return False


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_any_device(user: User) -> bool:
    return has_authenticator(user) or StaticDevice.objects.filter(user=user, confirmed=True).exists()


def must_use(user: User) -> bool:
    """Required by the role, or turned on by the person (a teacher who opted in)."""
    return may_use(user) and (required_by_role(user) or has_authenticator(user))


def is_pending(request) -> bool:
    """Signed in with a password, still owing the second factor: this session reaches nothing else.

    `request.user.otp_device` is the device this browser session was verified with, set by
    django-otp's OTPMiddleware (None when the device was deleted, e.g. by an operator's reset).
    """
    user = request.user
    return user.is_authenticated and getattr(user, "otp_device", None) is None and must_use(user)


def sessions_passed(checks: list[tuple[User, Mapping]]) -> list[bool]:
    """For each (user, browser session data): did this session give its second factor, or does the
    user owe none? For the websockets (sockets/consumers.py); at most three queries however many.
    """
    if not any(may_use(user) for user, _data in checks):
        return [True] * len(checks)
    session_devices = {data.get(DEVICE_ID_SESSION_KEY) for _user, data in checks} - {None}
    verified = _confirmed_devices(session_devices)
    gave_it = [verified.get(data.get(DEVICE_ID_SESSION_KEY)) == user.pk for user, data in checks]
    owed_by_role = [may_use(user) and required_by_role(user) for user, _data in checks]
    # Only where neither settles it does the person's own choice (an authenticator) need a query.
    undecided = [
        user
        for (user, _data), gave, by_role in zip(checks, gave_it, owed_by_role, strict=True)
        if may_use(user) and not gave and not by_role
    ]
    with_authenticator = (
        set(TOTPDevice.objects.filter(user__in=undecided, confirmed=True).values_list("user_id", flat=True))
        if undecided
        else set()
    )
    return [
        gave or not (by_role or user.pk in with_authenticator)
        for (user, _data), gave, by_role in zip(checks, gave_it, owed_by_role, strict=True)
    ]


def _confirmed_devices(persistent_ids: set[str]) -> dict[str, int]:
    """Device persistent id -> owner's id, for those of `persistent_ids` that exist and are confirmed."""
    found = {}
    for model in (TOTPDevice, StaticDevice):
        prefix = f"{model.model_label()}/"
        ids = [int(rest) for rest in (pid.removeprefix(prefix) for pid in persistent_ids) if rest.isdigit()]
        if ids:
            for pk, user_id in model.objects.filter(pk__in=ids, confirmed=True).values_list("pk", "user_id"):
                found[f"{prefix}{pk}"] = user_id
    return found


def socket_may_open(scope) -> bool:
    """A websocket handshake: refused while its browser session still owes the second factor."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return True  # each route refuses an anonymous socket itself
    return sessions_passed([(user, scope.get("session") or {})])[0]


# --- Codes ---------------------------------------------------------------------------------------


def normalized(code: str) -> str:
    """Spaces and hyphens do not count; recovery codes are shown in lowercase."""
    return "".join(code.split()).replace("-", "").lower()


def is_app_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def recovery_code_display(token: str) -> str:
    """A recovery code as shown: two groups of four (abcd-efgh)."""
    return f"{token[:4]}-{token[4:]}"


def _throttled(device: Device) -> ServiceError | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (info or {}).get("locked_until")
    seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds())) if locked_until else 1
    return ServiceError(
        _("Too many wrong codes. Wait %(seconds)s seconds, then try again.") % {"seconds": seconds},
        code="throttled",
    )


def _wrong_code(user: User, device: Device) -> ServiceError:
    device.refresh_from_db(fields=["throttling_failure_count"])
    logger.warning(
        "wrong two-factor code for %s (%s, %s failures in a row)",
        user.login_id,
        device.model_label(),
        device.throttling_failure_count,
    )
    AuditEntry.record(
        organization=_organization_of(user),
        actor=user,
        action="two_factor.failed",
        target=user,
        kind="recovery" if isinstance(device, StaticDevice) else "app",
        count=device.throttling_failure_count,
    )
    return ServiceError(_("That code is not right. Check it and try again."), code="wrong_code")


def _checked(user: User, device: Device, code: str) -> Device:
    """The device, fresh, once it accepted `code`; throttled and wrong codes raise ServiceError."""
    refusal = _throttled(device)
    if refusal is not None:
        raise refusal
    verified = verify_token(user, device.persistent_id, code)
    if verified is None:
        raise _wrong_code(user, device)
    return verified


def two_factor_verify(*, user: User, code: str) -> Device:
    """Check the second factor at sign-in: a code from the app, or one recovery code (used up)."""
    code = normalized(code)
    model = TOTPDevice if is_app_code(code) else StaticDevice
    device = model.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise ServiceError(_("That code is not right. Check it and try again."), code="wrong_code")
    device = _checked(user, device, code)
    if isinstance(device, StaticDevice):
        AuditEntry.record(
            organization=_organization_of(user),
            actor=user,
            action="two_factor.recovery_code_used",
            target=user,
            count=device.token_set.count(),
        )
    return device


# --- Enrolment, recovery codes, turning off, reset -----------------------------------------------


def new_key() -> str:
    """A new authenticator's secret key (hex, 20 random bytes), kept in the browser session until confirmed."""
    return default_key()


def enrolment_device(*, user: User, key: str) -> TOTPDevice:
    """The authenticator being set up, not saved: nothing is stored until a code from it confirms it."""
    key_validator(key)
    return TOTPDevice(user=user, key=key, name=AUTHENTICATOR_NAME, confirmed=False)


def two_factor_enrol(*, key: str, code: str, by: User) -> tuple[TOTPDevice, list[str]]:
    """Confirm a new authenticator with a code from it (it replaces any earlier one); returns it and ten
    new recovery codes (shown once). The caller makes sure a person who had a device gave it first.

    Not throttled: the person was just shown the key, so there is nothing here to guess.
    """
    device = enrolment_device(user=by, key=key)
    code = normalized(code)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if not (is_app_code(code) and totp.verify(int(code), device.tolerance)):
        raise ServiceError(_("That code is not right. Check it and try again."), code="wrong_code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=by).delete()  # a new phone replaces the old one
        device.confirmed, device.last_t, device.drift = True, totp.t(), totp.drift  # this code is used up
        device.save()
        codes = _new_recovery_codes(by)
        AuditEntry.record(organization=_organization_of(by), actor=by, action="two_factor.enrol", target=by)
    return device, codes


def recovery_codes_renew(*, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        AuditEntry.record(
            organization=_organization_of(user), actor=user, action="two_factor.recovery_codes", target=user
        )
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    # The device stays (a session verified with a recovery code stays verified); its codes are replaced.
    device, _created = StaticDevice.objects.get_or_create(user=user, defaults={"name": RECOVERY_NAME})
    device.token_set.all().delete()
    tokens = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in tokens)
    return [recovery_code_display(token) for token in tokens]


def two_factor_disable(*, user: User) -> None:
    """A teacher (or an org admin whose school does not require it) turns the second factor off."""
    if required_by_role(user):
        raise ServiceError(_("Two-factor sign-in is required for your account."), code="required")
    if not has_any_device(user):
        raise ServiceError(_("Two-factor sign-in is already off."), code="already_off")
    with transaction.atomic():
        _delete_devices(user)
        AuditEntry.record(organization=_organization_of(user), actor=user, action="two_factor.disable", target=user)


def two_factor_reset(*, user: User, by: User) -> None:
    """The operator's reset for a lost phone: the devices go and the person is signed out everywhere;
    at their next sign-in they set up a new authenticator (docs/design.md §1).
    """
    if user.pk == by.pk:
        raise ServiceError(_("Another operator must reset your own two-factor sign-in."), code="self_reset")
    if not (TOTPDevice.objects.filter(user=user).exists() or StaticDevice.objects.filter(user=user).exists()):
        raise ServiceError(_("This account has no two-factor sign-in to reset."), code="nothing_to_reset")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _delete_devices(user)
        sessions_end([user.pk])
        AuditEntry.record(organization=_organization_of(user), actor=by, action="two_factor.reset", target=user)


def _delete_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _organization_of(user: User) -> Organization | None:
    membership = active_membership(user)
    return membership.organization if membership else None


@dataclass(frozen=True)
class Status:
    """What a person's two-factor page and the console show."""

    required: bool
    on: bool
    recovery_codes_left: int


def status_of(user: User) -> Status:
    recovery = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return Status(required=required_by_role(user), on=has_authenticator(user), recovery_codes_left=recovery)
