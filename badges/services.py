"""Badges for passed tests: awarding, signing, revoking and the published documents (docs/design.md §12).

The exam code calls three functions, each inside its own transaction:

- `award_for_result` when an attempt finishes passed (exams.services.attempt_finish)
  or a regrade turns a fail into a pass: the Award row and its status index
  are created there; the credential is signed after the commit.
- `award_revoke` when the result is revoked (proctoring.services.result_revoke)
  or a regrade turns the pass into a fail: the award's status bit is set in the
  same transaction as the revocation.

Locks, after whatever the caller holds (the session, then the attempt): the
issuer's status list row, for the index and the bit.

Signing never decides whether the result stands: if it fails the Award row is
there without `credential`, and `award_sign` runs again on the first fetch of
the credential or from `manage.py issue_pending_badges`.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from badges import credentials, keys, picture, proofs, status_list, verification
from badges.documents import CREDENTIALS_V2, MULTIKEY_V1, OPEN_BADGES_V3
from badges.models import Achievement, Award, Issuer, StatusList, new_public_id, new_salt
from classrooms.models import AuditEntry, audit_actions

log = logging.getLogger(__name__)

AUDIT_ACTIONS = audit_actions(
    {"badges.pupil_name": gettext_lazy("Pupils' names in badges turned on or off")},
    # The value is stored as a boolean and shown as text ("True"): the log says it in words.
    details={
        "show_pupil_name": (
            gettext_lazy("names in badges"),
            {"True": gettext_lazy("written"), "False": gettext_lazy("not written")},
        )
    },
)

OPERATOR_ISSUER_NAME = "Kantoku"
# A list is taken as full when this share of it is allocated: a random free index is then still found quickly.
FULL_SHARE = 0.75
ALLOCATION_TRIES = 64


class BadgeError(RuntimeError):
    """A badge cannot be awarded as asked (the message says why)."""


# --- Addresses -----------------------------------------------------------------------------------


def absolute_url(name: str, **kwargs) -> str:
    """The public address of a badges route: PUBLIC_BASE_URL and the route, as ids in signed documents."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse(f"badges:{name}", kwargs=kwargs)


def issuer_url(issuer: Issuer) -> str:
    return absolute_url("issuer", public_id=issuer.public_id)


def status_list_url(entries: StatusList) -> str:
    return absolute_url("status_list", public_id=entries.public_id)


def achievement_url(achievement: Achievement, language: str = "ja") -> str:
    url = absolute_url("achievement", public_id=achievement.public_id)
    return url if language == "ja" else f"{url}?lang={language}"


def credential_url(award: Award) -> str:
    return absolute_url("credential", public_id=award.public_id)


def image_url(achievement: Achievement) -> str:
    return absolute_url("image", public_id=achievement.public_id)


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Issuers and achievements --------------------------------------------------------------------


def operator_issuer() -> Issuer:
    """The operator's issuer (one row, made on first use; get_or_create takes a racing creator's row)."""
    return Issuer.objects.get_or_create(is_operator=True, defaults={"name": OPERATOR_ISSUER_NAME})[0]


def school_issuer(organization) -> Issuer:
    """The school's issuer (made on first use)."""
    return Issuer.objects.get_or_create(organization=organization, defaults={"name": organization.name})[0]


def issuer_show_pupil_names(*, organization, show: bool, by) -> Issuer:
    """The org admin's choice: write pupils' names into the school's badges from now on, or not (audited).

    Badges signed before keep what they were signed with.
    """
    with transaction.atomic():
        issuer = Issuer.objects.select_for_update().get(pk=school_issuer(organization).pk)
        if issuer.show_pupil_name != show:
            issuer.show_pupil_name = show
            issuer.save(update_fields=["show_pupil_name"])
            AuditEntry.record(
                organization=organization, actor=by, action="badges.pupil_name", target=issuer, show_pupil_name=show
            )
    return issuer


def default_texts(version) -> dict[str, str]:
    """The badge's words made from the version: what an operator test awards, what the editor starts from."""
    title = version.plain_title
    return {
        "name_ja": f"{title} 合格"[: Achievement.NAME_MAX_LENGTH],
        "name_en": f"{title}: passed"[: Achievement.NAME_MAX_LENGTH],
        "description_ja": f"「{title}」に合格しました。",
        "description_en": f"Passed the test “{title}”.",
        "criteria_ja": f"監督付きのオンラインテスト「{title}」で{version.pass_mark_percent}%以上の得点をとること。",
        "criteria_en": f"A score of at least {version.pass_mark_percent}% in the supervised online test “{title}”.",
    }


def operator_achievement(version) -> Achievement:
    """The achievement of an operator-catalog version: always there, always enabled (made on publish)."""
    achievement, _created = Achievement.objects.select_related("issuer").get_or_create(
        version=version, defaults={"issuer": operator_issuer, "enabled": True, **default_texts(version)}
    )
    return achievement


def achievement_of(version) -> Achievement | None:
    """The badge this version awards, or None: an operator test's always, a school test's when turned on."""
    if version.exam.organization_id is None:
        return operator_achievement(version)
    achievement = Achievement.objects.filter(version=version).select_related("issuer").first()
    return achievement if achievement is not None and achievement.enabled else None


def achievement_save(*, version, enabled: bool, texts: dict[str, str]) -> Achievement:
    """Turn a school draft's badge on or off and set its words (the editor's badge card).

    A published version is frozen; the operator's versions always award theirs.
    """
    with transaction.atomic():
        # The version's row lock, as the editor's other writes and publishing take it: no badge change
        # slips in after the version is frozen.
        version = (
            type(version)
            .objects.select_for_update(of=("self",))
            .select_related("exam__organization")
            .get(pk=version.pk)
        )
        if version.is_published:
            raise BadgeError("a published version is frozen")
        if version.exam.organization_id is None:
            raise BadgeError("an operator test always awards the operator's badge")
        fields = {name: str(texts.get(name, "")).strip() for name in Achievement.TEXTS}
        achievement, _created = Achievement.objects.update_or_create(
            version=version,
            defaults={"issuer": school_issuer(version.exam.organization), "enabled": enabled, **fields},
        )
    return achievement


def achievement_copy(source_version, target_version) -> None:
    """A new draft keeps the badge settings of the version it was copied from."""
    achievement = Achievement.objects.filter(version=source_version).first()
    if achievement is None or source_version.exam.organization_id is None:
        return
    Achievement.objects.create(
        version=target_version,
        issuer=achievement.issuer,
        enabled=achievement.enabled,
        **{name: getattr(achievement, name) for name in Achievement.TEXTS},
    )


# --- Status lists --------------------------------------------------------------------------------


def allocate_index(issuer: Issuer) -> tuple[StatusList, int]:
    """A random, never used index of the issuer's current list, under the list's row lock (call inside a
    transaction: the caller's, which creates the award with it).

    Random so that the index says nothing about when or to whom a badge was
    given; a list allocated beyond FULL_SHARE is left for a new one.
    """
    Issuer.objects.select_for_update().filter(pk=issuer.pk).values_list("pk", flat=True).get()
    entries = StatusList.objects.select_for_update().filter(issuer=issuer).order_by("-pk").first()
    if entries is None or entries.allocated >= entries.size * FULL_SHARE:
        entries = StatusList.objects.create(issuer=issuer)
        entries = StatusList.objects.select_for_update().get(pk=entries.pk)
    used = status_list.StatusList(bits=bytes(entries.used))
    for _try in range(ALLOCATION_TRIES):
        index = secrets.randbelow(entries.size)
        if not used.get(index):
            break
    else:  # pragma: no cover - needs 64 misses in a row on a list at most 3/4 full
        raise BadgeError("no free status index found")
    used.set(index)
    entries.used = used.to_bytes()
    entries.save(update_fields=["used"])
    return entries, index


def _set_bit(entries: StatusList, index: int) -> None:
    """Set the entry's bit under the list's row lock (the signed list follows on its next fetch)."""
    locked = StatusList.objects.select_for_update().get(pk=entries.pk)
    bits = locked.entries()
    bits.set(index)
    locked.bits = bits.to_bytes()
    locked.save(update_fields=["bits"])


def signed_status_list(entries: StatusList) -> dict:
    """The signed BitstringStatusListCredential of the list's current bits, signed again only when they changed."""
    digest = hashlib.sha256(bytes(entries.bits)).hexdigest()
    if entries.signed and entries.signed_digest == digest:
        return entries.signed
    document = status_list.status_list_credential(
        list_credential_id=status_list_url(entries),
        issuer=issuer_url(entries.issuer),
        status_list=entries.entries(),
        valid_from=_timestamp(timezone.now()),
    )
    signed = credentials.issue(document, key=keys.current_signing_key())
    # Only if the bits are still those signed: a revocation meanwhile is published by the next fetch.
    StatusList.objects.filter(pk=entries.pk, bits=bytes(entries.bits)).update(signed=signed, signed_digest=digest)
    entries.signed, entries.signed_digest = signed, digest
    return signed


# --- Awards --------------------------------------------------------------------------------------


def award_of(attempt) -> Award | None:
    """The badge of this attempt, revoked or not, or None (part of the badges API other code uses)."""
    return Award.objects.filter(attempt=attempt).select_related("achievement__issuer", "status_list").first()


def award_for_result(*, attempt, now: datetime.datetime | None = None) -> Award | None:
    """Award the badge of a passed attempt, if its version awards one. Call inside the finishing transaction.

    Idempotent; an award revoked by a regrade is awarded anew (revocation is for
    good in a status list, so it gets a new index, a new id and a new credential).
    """
    if not attempt.passed or _revoked(attempt):
        return None
    achievement = achievement_of(attempt.version)
    if achievement is None:
        return None
    now = now or timezone.now()
    award = Award.objects.select_for_update().filter(attempt=attempt).first()
    if award is not None and not award.is_revoked:
        return award
    entries, index = allocate_index(achievement.issuer)
    fields = {
        "achievement": achievement,
        "status_list": entries,
        "status_index": index,
        "awarded_at": now,
        "credential": None,
        "signed_at": None,
        "revoked_at": None,
        "revoked_for": "",
        "revocation_reason": "",
    }
    if award is None:
        award = Award.objects.create(attempt=attempt, **fields)
    else:
        for name, value in {**fields, "public_id": new_public_id(), "salt": new_salt()}.items():
            setattr(award, name, value)
        award.save()
    award_pk = award.pk
    transaction.on_commit(lambda: award_sign_quietly(award_pk))
    return award


def _revoked(attempt) -> bool:
    from proctoring.models import Revocation

    return Revocation.objects.filter(attempt=attempt).exists()


def award_revoke(*, attempt, revoked_for: str, reason: str = "", now: datetime.datetime | None = None) -> Award | None:
    """Revoke the attempt's badge, if it has one: its status bit set, in the caller's transaction."""
    award = Award.objects.select_for_update().filter(attempt=attempt).first()
    if award is None or award.is_revoked:
        return award
    _set_bit(award.status_list, award.status_index)
    award.revoked_at = now or timezone.now()
    award.revoked_for = revoked_for
    award.revocation_reason = reason[:500]
    award.save(update_fields=["revoked_at", "revoked_for", "revocation_reason"])
    return award


def pupil_identifiers(award: Award) -> list[dict]:
    """The pupil in the badge: a salted SHA-256 of their login id, and their name only if the school said so."""
    pupil = award.attempt.examinee
    digest = hashlib.sha256((pupil.login_id + award.salt).encode()).hexdigest()
    identifiers = [
        {
            "type": "IdentityObject",
            "identityHash": f"sha256${digest}",
            "identityType": "userName",
            "hashed": True,
            "salt": award.salt,
        }
    ]
    if award.issuer.show_pupil_name:
        identifiers.append(
            {"type": "IdentityObject", "identityHash": pupil.name, "identityType": "name", "hashed": False}
        )
    return identifiers


def achievement_document(achievement: Achievement, language: str = "ja") -> dict:
    """The Achievement in one language (ja, en), with the other edition as `related`."""
    english = language == "en"
    name = (achievement.name_en if english else "") or achievement.name_ja
    description = (achievement.description_en if english else "") or achievement.description_ja or name
    criteria = (achievement.criteria_en if english else "") or achievement.criteria_ja or description
    document = credentials.achievement(
        achievement_id=achievement_url(achievement, language), name=name, description=description, criteria=criteria
    )
    other = "ja" if english else "en"
    document["image"] = {"id": image_url(achievement), "type": "Image", "caption": credentials.clean_text(name)}
    document["inLanguage"] = language
    document["related"] = [{"id": achievement_url(achievement, other), "type": ["Related"], "inLanguage": other}]
    return document


def credential_document(award: Award) -> dict:
    """The unsigned OpenBadgeCredential of an award."""
    attempt = award.attempt
    document = credentials.open_badge_credential(
        credential_id=credential_url(award),
        issuer_id=issuer_url(award.issuer),
        issuer_name=award.issuer.display_name,
        name=award.achievement.name_ja,
        achievement=achievement_document(award.achievement),
        valid_from=_timestamp(attempt.finished_at or award.awarded_at),
        status=status_list.status_entry(
            list_credential_id=status_list_url(award.status_list),
            index=award.status_index,
            entries=award.status_list.size,
        ),
    )
    document["credentialSubject"]["identifier"] = pupil_identifiers(award)
    return document


def award_sign(award: Award) -> Award:
    """Sign the award's credential and store it (once: a signed award is returned as it is)."""
    if award.credential:
        return award
    award = Award.objects.select_related("attempt__examinee", "achievement__issuer__organization", "status_list").get(
        pk=award.pk
    )
    if award.credential:
        return award
    signed = credentials.issue(credential_document(award), key=keys.current_signing_key())
    signed_at = timezone.now()
    Award.objects.filter(pk=award.pk, credential__isnull=True, public_id=award.public_id).update(
        credential=signed, signed_at=signed_at
    )
    award.credential, award.signed_at = signed, signed_at
    return award


def award_sign_quietly(award_pk: int) -> None:
    """Sign after the commit; a failure is logged and left for the retry (the result stands)."""
    try:
        award_sign(Award.objects.get(pk=award_pk))
    except Exception:
        log.exception("badge %s could not be signed; `manage.py issue_pending_badges` retries", award_pk)


def awards_sign_pending() -> tuple[int, int]:
    """Sign every award still without a credential: (signed, failed)."""
    signed = failed = 0
    for award in Award.objects.filter(credential__isnull=True).order_by("pk"):
        try:
            award_sign(award)
            signed += 1
        except Exception:
            log.exception("badge %s could not be signed", award.pk)
            failed += 1
    return signed, failed


# --- Published documents -------------------------------------------------------------------------


def key_documents(issuer: Issuer) -> list[dict]:
    """The Multikey documents of every key a verifier may need, controlled by this issuer."""
    controller = issuer_url(issuer)
    return [keys.multikey_document(controller, value) for value in keys.published_public_keys()]


def issuer_profile(issuer: Issuer) -> dict:
    """The issuer's Profile, with its keys as `verificationMethod` (what a verifier dereferences)."""
    methods = key_documents(issuer)
    for method in methods:
        method.pop("@context", None)
    return {
        "@context": [CREDENTIALS_V2, OPEN_BADGES_V3, MULTIKEY_V1],
        "id": issuer_url(issuer),
        "type": ["Profile"],
        "name": credentials.clean_text(issuer.display_name),
        "url": settings.PUBLIC_BASE_URL.rstrip("/") + "/",
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def key_resolver(issuer: Issuer) -> proofs.KeyResolver:
    """The resolver of this issuer's published keys (for checking a badge here)."""
    return proofs.key_resolver(issuer_url(issuer), keys.published_public_keys())


def verify_award(award: Award) -> proofs.Verification:
    """Check a stored badge as the verification page does: its key, proof, dates and bit in the served list."""
    report = verification.verify(award_sign(award).credential)
    return proofs.Verification(report.valid, report.reason)


def badge_svg(achievement: Achievement) -> str:
    """A simple round badge with the test's name and the issuer's, drawn here (no image library)."""
    name = escape(credentials.clean_text(achievement.name_ja))
    issuer = escape(credentials.clean_text(achievement.issuer.display_name))
    english = escape(credentials.clean_text(achievement.name_en))
    squeeze = ' textLength="320" lengthAdjust="spacingAndGlyphs"' if len(name) > 10 else ""
    ring, fill = ("#{:02x}{:02x}{:02x}".format(*color) for color in picture.colors(achievement.issuer.is_operator))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" '
        f'role="img" aria-label="{name}">\n'
        f"<title>{name}</title>\n"
        f'<circle cx="200" cy="200" r="190" fill="{fill}" stroke="{ring}" stroke-width="16"/>\n'
        f'<circle cx="200" cy="200" r="160" fill="none" stroke="{ring}" stroke-width="3"/>\n'
        f'<text x="200" y="120" text-anchor="middle" font-size="22" fill="{ring}" '
        f'font-family="sans-serif">{issuer}</text>\n'
        f'<text x="200" y="205" text-anchor="middle" font-size="30" font-weight="bold" fill="#111827" '
        f'font-family="sans-serif"{squeeze}>{name}</text>\n'
        f'<text x="200" y="250" text-anchor="middle" font-size="18" fill="#374151" '
        f'font-family="sans-serif">{english}</text>\n'
        f'<text x="200" y="310" text-anchor="middle" font-size="40" fill="{ring}">★</text>\n'
        "</svg>\n"
    )
