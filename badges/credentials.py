"""Open Badges 3.0 credentials: the document, issuing and verifying (docs/design.md §12).

An `OpenBadgeCredential` (1EdTech Open Badges 3.0, a W3C Verifiable Credential
2.0) names the issuer's Profile, the Achievement (the test passed, with its
criteria) and the pupil's AchievementSubject; it carries a
BitstringStatusListEntry so it can be revoked, and an eddsa-rdfc-2022
DataIntegrityProof. Text written by people (badge and achievement names,
descriptions, criteria) loses its control characters before it goes into the
document, so what is signed is what a displayer shows.

Nothing here knows about exams: the caller (the code that awards a badge for a
result) passes ids, URLs and words, and keeps the list index it was given.
"""

from __future__ import annotations

import re

from badges import keys, proofs, status_list
from badges.documents import CREDENTIALS_V2, OPEN_BADGES_V3

# C0 and C1 controls except tab and line feed, DEL, and the bidirectional overrides and
# isolates (U+202A-U+202E, U+2066-U+2069) that can make a name display as another.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """Badge text without control characters (tab and line breaks kept, as LF), trimmed."""
    return _CONTROL.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n")).strip()


def achievement(*, achievement_id: str, name: str, description: str, criteria: str) -> dict:
    """The Achievement: what was achieved and how (criteria as a narrative)."""
    return {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": clean_text(name),
        "description": clean_text(description),
        "criteria": {"narrative": clean_text(criteria)},
    }


def open_badge_credential(
    *,
    credential_id: str,
    issuer_id: str,
    issuer_name: str,
    name: str,
    achievement: dict,
    valid_from: str,
    subject_id: str | None = None,
    status: dict | None = None,
) -> dict:
    """The unsigned OpenBadgeCredential (sign it with `issue`)."""
    subject = {"type": ["AchievementSubject"], "achievement": achievement}
    if subject_id:
        subject = {"id": subject_id, **subject}
    document = {
        "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": clean_text(issuer_name)},
        "validFrom": valid_from,
        "name": clean_text(name),
        "credentialSubject": subject,
    }
    if status is not None:
        document["credentialStatus"] = status
    return document


def issuer_id_of(credential: dict) -> str | None:
    """The issuer's id, whether `issuer` is a string or a Profile object."""
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def issue(document: dict, *, key: keys.SigningKey, created: str | None = None) -> dict:
    """The document signed by `key`, its verification method being the issuer's `id#publicKeyMultibase`."""
    issuer = issuer_id_of(document)
    if not issuer:
        raise proofs.ProofError("the credential has no issuer id")
    method = keys.verification_method_id(issuer, key.public_key_multibase)
    return proofs.sign(document, key=key, verification_method=method, created=created)


def verify_badge(
    credential: dict, *, resolve_key: proofs.KeyResolver, status_list_credential: dict | None = None
) -> proofs.Verification:
    """Is the badge genuine and not revoked? The reason when it is not.

    The proof must verify and its key must be the issuer's own; with a
    `credentialStatus`, the status list credential (as fetched from its URL by
    the caller) must verify too, come from the same issuer, and have the
    badge's entry unset.
    """
    checked = proofs.verify(credential, resolve_key=resolve_key)
    if not checked:
        return checked
    issuer = issuer_id_of(credential)
    if not str(credential["proof"]["verificationMethod"]).startswith(f"{issuer}#"):
        return proofs.Verification(False, "the proof's key is not one of the issuer's")
    entry = credential.get("credentialStatus")
    if entry is None:
        return checked
    return status_verification(entry, issuer, resolve_key, status_list_credential)


REVOKED_REASON = "the badge was revoked"


def status_verification(
    entry: dict, issuer: str, resolve_key: proofs.KeyResolver, list_credential: dict | None
) -> proofs.Verification:
    """The status half of `verify_badge`: the list's proof and issuer, then the badge's bit."""
    if list_credential is None:
        return proofs.Verification(False, "the badge has a status list but none was given to check it")
    checked = proofs.verify(list_credential, resolve_key=resolve_key)
    if not checked:
        return proofs.Verification(False, f"the status list does not verify: {checked.reason}")
    if issuer_id_of(list_credential) != issuer:
        return proofs.Verification(False, "the status list was issued by someone else")
    try:
        revoked = status_list.entry_is_set(entry, list_credential)
    except status_list.StatusListError as error:
        return proofs.Verification(False, f"the status cannot be read: {error}")
    if revoked:
        return proofs.Verification(False, REVOKED_REASON)
    return proofs.Verification(True)
