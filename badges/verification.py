"""Verifying a badge without the network, with a report in plain words (docs/design.md §12).

`verify(credential)` checks, in order, what a verifier must know: that the
document is an Open Badges 3.0 credential, whose key signed it (the issuer's
own, published), that the signature matches the content, that today is
within its dates, and that it has not been revoked. Each check ends passed,
failed (with the reason), or not checked.

Nothing is fetched. A document the checks need (the issuer's key document, the
status list credential) is read only when its URL is under
settings.PUBLIC_BASE_URL, i.e. it is one of this service's own documents: the
URL's path is resolved through Django's URLconf and the view is called
in-process with a GET, as a verifier elsewhere would fetch it. Any other URL
is reported as "cannot be checked offline" and the badge is not called valid.
The same code serves `manage.py verify_badge` and the public verification page.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from badges import baking, credentials, keys, proofs
from badges.documents import CREDENTIALS_V2, OPEN_BADGES_V3

OPEN_BADGES_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/"  # any 3.0.x context
PASSED, FAILED, NOT_CHECKED = "passed", "failed", "not_checked"
# The largest credential file the command reads (a badge is a few kilobytes).
MAXIMUM_FILE_BYTES = 8 * 1024 * 1024

# Why a badge is not valid (Report.reason): the first failed or unchecked check decides.
FORMAT = "format"
UNKNOWN_KEY = "unknown_key"
OFFLINE = "offline"
SIGNATURE = "signature"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
REVOKED = "revoked"
STATUS = "status"
UNAVAILABLE = "unavailable"

# The only views called in-process: the badges' public JSON documents (badges/urls.py).
PUBLISHED_DOCUMENTS = frozenset(
    ("badges", name) for name in ("issuer", "keys", "status_list", "credential", "achievement")
)

log = logging.getLogger(__name__)


class UnreadableCredential(ValueError):
    """A file that holds no credential this can read (not JSON, not a baked PNG)."""


class NotOurs(LookupError):
    """A URL outside settings.PUBLIC_BASE_URL: it is not read, never fetched."""


class Unavailable(RuntimeError):
    """Our own view failed to answer (a server error, e.g. no signing keys configured): logged, not a verdict."""


@dataclasses.dataclass(frozen=True)
class Check:
    """One thing checked: its name, passed / failed / not_checked, what it means in words, and why."""

    name: str
    title: str
    outcome: str
    message: str
    detail: str = ""  # the libraries' technical reason (English), for the curious
    reason: str = ""  # the code given as Report.reason when this check decides

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED


@dataclasses.dataclass(frozen=True)
class Report:
    """All checks of one credential; valid only when every one passed."""

    checks: tuple[Check, ...]
    credential: dict | None = None

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def reason(self) -> str:
        """'' when valid, else the code of the first check that did not pass (e.g. 'revoked')."""
        for check in self.checks:
            if not check.passed:
                return check.reason
        return ""

    @property
    def summary(self) -> str:
        if self.valid:
            return _("This badge is valid.")
        if all(check.outcome != FAILED for check in self.checks):
            return _("This badge could not be fully checked without the network, so it is not shown as valid.")
        return _("This badge is not valid.")

    def lines(self) -> list[str]:
        """The report as text lines (the command prints them)."""
        marks = {PASSED: "OK", FAILED: "NG", NOT_CHECKED: "--"}
        lines = [self.summary]
        for check in self.checks:
            lines.append(f"[{marks[check.outcome]}] {check.title}: {check.message}")
            if check.detail and not check.passed:
                lines.append(f"     ({check.detail})")
        if not self.valid:
            lines.append(_("Reason: %(reason)s") % {"reason": self.reason})
        return lines


# --- Reading a file ---------------------------------------------------------------------------


def load_credential(data: bytes) -> dict:
    """The credential in a file's bytes: a baked PNG or the credential's JSON; UnreadableCredential otherwise."""
    if len(data) > MAXIMUM_FILE_BYTES:
        raise UnreadableCredential(f"the file is larger than {MAXIMUM_FILE_BYTES} bytes")
    if data.startswith(baking.PNG_SIGNATURE):
        try:
            return baking.unbake(data)
        except baking.BakingError as error:
            raise UnreadableCredential(str(error)) from None
    try:
        credential = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise UnreadableCredential("the file is neither a baked PNG nor JSON") from None
    if not isinstance(credential, dict):
        raise UnreadableCredential("the JSON is not an object")
    return credential


# --- Our own documents, in-process --------------------------------------------------------------


def public_base_url() -> str:
    """The service's public address (https://host[/prefix]), without the trailing slash."""
    return settings.PUBLIC_BASE_URL.rstrip("/")


def is_ours(url: str) -> bool:
    """Is this URL one of this service's own (under PUBLIC_BASE_URL, same scheme and host)?"""
    if not isinstance(url, str):
        return False
    base, target = urlsplit(public_base_url()), urlsplit(url)
    if (target.scheme.lower(), target.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
        return False
    prefix = base.path.rstrip("/")
    return target.path == prefix or target.path.startswith(prefix + "/")


def own_document(url: str) -> dict | None:
    """The JSON our view answers for `url`, called in-process; None when no view answers 200 with JSON.

    NotOurs for any URL outside PUBLIC_BASE_URL: nothing is ever fetched. Only the badges' public
    documents are called (PUBLISHED_DOCUMENTS): a badge naming any other page of ours gets None.
    """
    if not is_ours(url):
        raise NotOurs(url)
    from django.test import RequestFactory  # in-process GET: no socket, no middleware

    base, target = urlsplit(public_base_url()), urlsplit(url)
    path = "/" + target.path[len(base.path.rstrip("/")) :].lstrip("/")
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if (match.app_name, match.url_name) not in PUBLISHED_DOCUMENTS:
        return None  # a page of ours, but not a document a badge may name: never called
    request = RequestFactory().get(
        path, secure=base.scheme.lower() == "https", HTTP_HOST=base.netloc, HTTP_ACCEPT="application/json"
    )
    request.user = AnonymousUser()
    try:
        response = match.func(request, *match.args, **match.kwargs)
    except Http404:
        return None
    except Exception as error:  # what a fetch elsewhere would see as a 500
        log.exception("badge verification: %s failed in-process", path)
        raise Unavailable(path) from error
    if getattr(response, "render", None) and not getattr(response, "is_rendered", True):
        response.render()
    if response.status_code != 200:
        return None
    body = b"".join(response.streaming_content) if response.streaming else response.content
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict | list) else None


def _find_key(document, verification_method: str, controller: str) -> str | None:
    """The publicKeyMultibase of the Multikey `verification_method` anywhere in a key document."""
    if isinstance(document, list):
        for item in document:
            found = _find_key(item, verification_method, controller)
            if found:
                return found
    elif isinstance(document, dict):
        if (
            document.get("id") == verification_method
            and document.get("type") == "Multikey"
            and document.get("controller") == controller
            and isinstance(document.get("publicKeyMultibase"), str)
        ):
            return document["publicKeyMultibase"]
        for value in document.values():
            if isinstance(value, dict | list):
                found = _find_key(value, verification_method, controller)
                if found:
                    return found
    return None


def key_document_urls(issuer: str, verification_method: str) -> list[str]:
    """Where the issuer's key is published: the verification method's own URL without its fragment (the
    issuer's Profile, whose `verificationMethod` lists the Multikeys), then the issuer's key list.
    """
    return [verification_method.split("#", 1)[0], f"{issuer}/keys"]


# --- The checks ---------------------------------------------------------------------------------


def _check(name: str, outcome: str, message: str, *, detail: str = "", reason: str = "") -> Check:
    titles = {
        "format": _("Kind of document"),
        "issuer": _("Issuer and key"),
        "signature": _("Signature"),
        "dates": _("Validity dates"),
        "status": _("Revocation"),
    }
    return Check(name, titles[name], outcome, message, detail, reason if outcome != PASSED else "")


def _unavailable(name: str) -> Check:
    return _check(
        name,
        NOT_CHECKED,
        _("This service could not read its own published document just now; please try again later."),
        reason=UNAVAILABLE,
    )


def _format_problem(credential) -> str:
    if not isinstance(credential, dict):
        return "the credential is not a JSON object"
    context = credential.get("@context")
    if not isinstance(context, list) or not context or context[0] != CREDENTIALS_V2:
        return f"@context does not start with {CREDENTIALS_V2}"
    if not any(isinstance(item, str) and item.startswith(OPEN_BADGES_PREFIX) for item in context):
        return f"@context does not name Open Badges 3.0 ({OPEN_BADGES_V3})"
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types or "OpenBadgeCredential" not in types:
        return "type is not VerifiableCredential and OpenBadgeCredential"
    if not isinstance(credentials.issuer_id_of(credential), str):
        return "the credential names no issuer"
    if not isinstance(credential.get("proof"), dict):
        return "the credential has no proof (or more than one)"
    return ""


def issuer_name(credential: dict) -> str:
    issuer = credential.get("issuer")
    name = issuer.get("name") if isinstance(issuer, dict) else None
    return str(name) if name else str(credentials.issuer_id_of(credential))


def _resolve_issuer_key(credential: dict) -> tuple[Check, proofs.KeyResolver | None]:
    issuer = credentials.issuer_id_of(credential)
    method = credential["proof"].get("verificationMethod")
    if not isinstance(method, str) or not method.startswith(f"{issuer}#"):
        check = _check(
            "issuer",
            FAILED,
            _("It was not signed with a key of the issuer it names."),
            detail=f"verificationMethod {method!r} is not a key of {issuer}",
            reason=UNKNOWN_KEY,
        )
        return check, None
    if not is_ours(issuer):
        check = _check(
            "issuer",
            NOT_CHECKED,
            _("The issuer is not this service, so its key cannot be checked offline (nothing was fetched)."),
            detail=f"issuer {issuer}",
            reason=OFFLINE,
        )
        return check, None
    found = None
    try:
        for url in key_document_urls(issuer, method):
            found = _find_key(own_document(url), method, issuer) if is_ours(url) else None
            if found:
                break
    except Unavailable:
        return _unavailable("issuer"), None
    try:
        published = keys.published_public_keys()
    except Exception:  # noqa: BLE001  (keys not configured: no key of ours can be confirmed)
        published = []
    if not found or found not in published:
        check = _check(
            "issuer",
            FAILED,
            _("The key that signed it is not one this issuer publishes (it may have been withdrawn)."),
            detail=f"unknown verification method {method}",
            reason=UNKNOWN_KEY,
        )
        return check, None
    check = _check(
        "issuer",
        PASSED,
        _("Issued by %(issuer)s, signed with a key this issuer publishes.") % {"issuer": issuer_name(credential)},
    )
    return check, proofs.key_resolver(issuer, [found])


def _signature_check(credential: dict, resolve_key: proofs.KeyResolver | None) -> Check:
    if resolve_key is None:
        return _check(
            "signature",
            NOT_CHECKED,
            _("The signature could not be checked without the issuer's key."),
            reason=OFFLINE,
        )
    verified = proofs.verify(credential, resolve_key=resolve_key)
    if not verified:
        return _check(
            "signature",
            FAILED,
            _("The signature does not match: the content was changed after it was issued, or it was not signed here."),
            detail=verified.reason,
            reason=SIGNATURE,
        )
    return _check(
        "signature", PASSED, _("The signature is correct: the content has not been changed since it was issued.")
    )


def moment(value) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


def _shown(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _dates_check(credential: dict, now: datetime.datetime) -> Check:
    valid_from, written_until = moment(credential.get("validFrom")), credential.get("validUntil")
    valid_until = moment(written_until)
    if valid_from is None:
        return _check(
            "dates",
            FAILED,
            _("It has no readable start date."),
            detail=f"validFrom {credential.get('validFrom')!r}",
            reason=FORMAT,
        )
    if written_until is not None and valid_until is None:
        return _check(
            "dates", FAILED, _("Its end date cannot be read."), detail=f"validUntil {written_until!r}", reason=FORMAT
        )
    if now < valid_from:
        return _check(
            "dates",
            FAILED,
            _("It is not valid yet: it starts on %(date)s.") % {"date": _shown(valid_from)},
            reason=NOT_YET_VALID,
        )
    if valid_until is not None and now >= valid_until:
        return _check(
            "dates",
            FAILED,
            _("It has expired: it was valid until %(date)s.") % {"date": _shown(valid_until)},
            reason=EXPIRED,
        )
    if valid_until is None:
        message = _("Valid from %(start)s, with no end date.") % {"start": _shown(valid_from)}
    else:
        message = _("Valid from %(start)s until %(end)s.") % {
            "start": _shown(valid_from),
            "end": _shown(valid_until),
        }
    return _check("dates", PASSED, message)


def _status_check(credential: dict, resolve_key: proofs.KeyResolver | None, now: datetime.datetime) -> Check:
    entry = credential.get("credentialStatus")
    if entry is None:
        return _check("status", PASSED, _("It carries no revocation list, so it cannot be revoked."))
    url = entry.get("statusListCredential") if isinstance(entry, dict) else None
    if not is_ours(url):
        return _check(
            "status",
            NOT_CHECKED,
            _("Its revocation list is not on this service, so it cannot be checked offline (nothing was fetched)."),
            detail=f"statusListCredential {url!r}",
            reason=OFFLINE,
        )
    if resolve_key is None:
        return _check(
            "status",
            NOT_CHECKED,
            _("The revocation list could not be checked without the issuer's key."),
            reason=OFFLINE,
        )
    try:
        list_credential = own_document(url)
    except Unavailable:
        return _unavailable("status")
    if not isinstance(list_credential, dict):
        return _check(
            "status",
            FAILED,
            _("Its revocation list cannot be found."),
            detail=f"no status list credential at {url}",
            reason=STATUS,
        )
    list_until = moment(list_credential.get("validUntil"))
    if list_until is not None and now >= list_until:
        return _check(
            "status",
            FAILED,
            _("Its revocation list is out of date."),
            detail="the list's validUntil has passed",
            reason=STATUS,
        )
    verified = credentials.status_verification(
        entry, credentials.issuer_id_of(credential), resolve_key, list_credential
    )
    if verified:
        return _check("status", PASSED, _("It has not been revoked."))
    if verified.reason == credentials.REVOKED_REASON:
        return _check("status", FAILED, _("This credential has been revoked."), reason=REVOKED)
    return _check(
        "status", FAILED, _("Its revocation status cannot be confirmed."), detail=verified.reason, reason=STATUS
    )


def verify(credential: dict, *, now: datetime.datetime | None = None) -> Report:
    """Every check of the credential, offline; see the module's docstring."""
    now = now or timezone.now()
    problem = _format_problem(credential)
    if problem:
        check = _check(
            "format",
            FAILED,
            _("This is not an Open Badges 3.0 credential, so nothing else was checked."),
            detail=problem,
            reason=FORMAT,
        )
        return Report((check,), credential if isinstance(credential, dict) else None)
    checks = [_check("format", PASSED, _("An Open Badges 3.0 credential (a W3C Verifiable Credential)."))]
    issuer_check, resolve_key = _resolve_issuer_key(credential)
    checks += [
        issuer_check,
        _signature_check(credential, resolve_key),
        _dates_check(credential, now),
        _status_check(credential, resolve_key, now),
    ]
    return Report(tuple(checks), credential)


def verify_bytes(data: bytes, *, now: datetime.datetime | None = None) -> Report:
    """The report of a file's credential (a baked PNG or JSON); UnreadableCredential when it holds none."""
    return verify(load_credential(data), now=now)
