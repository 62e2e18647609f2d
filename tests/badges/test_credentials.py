"""OpenBadgeCredential: the document, issue → verify → revoke → verify fails, tampering (docs/design.md §12)."""

from __future__ import annotations

import copy

import pytest

from badges import credentials, keys, proofs, status_list
from badges.documents import CREDENTIALS_V2, OPEN_BADGES_V3
from tests.badges.conftest import ISSUER, LIST_ID, VALID_FROM

INDEX = 94_567


def badge(index: int = INDEX, **overrides) -> dict:
    fields = {
        "credential_id": "urn:uuid:7f1d4c1e-52a4-4e0c-9d55-2a1b7c3e9f10",
        "issuer_id": ISSUER,
        "issuer_name": "かんとく小学校",
        "name": "漢字テスト 3年 合格",
        "achievement": credentials.achievement(
            achievement_id="https://kantoku.example/badges/achievements/12",
            name="漢字テスト 3年",
            description="3年生で習う漢字の読み書き",
            criteria="80点以上で合格",
        ),
        "valid_from": VALID_FROM,
        "status": status_list.status_entry(list_credential_id=LIST_ID, index=index),
    }
    return credentials.open_badge_credential(**{**fields, **overrides})


def list_credential(entries: status_list.StatusList, key: keys.SigningKey, issuer: str = ISSUER) -> dict:
    document = status_list.status_list_credential(
        list_credential_id=LIST_ID, issuer=issuer, status_list=entries, valid_from=VALID_FROM
    )
    return credentials.issue(document, key=key)


def test_the_credential_is_an_open_badge_3_document():
    document = badge(subject_id="did:example:pupil")
    assert document["@context"] == [CREDENTIALS_V2, OPEN_BADGES_V3]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["issuer"] == {"id": ISSUER, "type": ["Profile"], "name": "かんとく小学校"}
    assert document["credentialSubject"]["type"] == ["AchievementSubject"]
    assert document["credentialSubject"]["id"] == "did:example:pupil"
    assert document["credentialSubject"]["achievement"]["criteria"] == {"narrative": "80点以上で合格"}
    assert document["credentialStatus"]["statusListIndex"] == str(INDEX)
    assert proofs.canonicalize(document)  # every term is defined by the two contexts


def test_control_characters_are_stripped_from_badge_text():
    assert credentials.clean_text("合格\x00\x07\x1b[31m\x7f\x85") == "合格[31m"
    assert credentials.clean_text(" 1行目\r\n2行目\r3行目\t! ") == "1行目\n2行目\n3行目\t!"
    assert credentials.clean_text("abc\u202edcba\u2066x\u2069") == "abcdcbax"
    document = badge(name="漢字\x08テスト\u202e", issuer_name="\x1bかんとく")
    assert document["name"] == "漢字テスト"
    assert document["issuer"]["name"] == "かんとく"


def test_issue_verify_revoke_verify_fails(issuer_key, resolver):
    entries = status_list.StatusList()
    signed = credentials.issue(badge(), key=issuer_key)
    assert signed["proof"]["verificationMethod"] == f"{ISSUER}#{issuer_key.public_key_multibase}"
    assert credentials.verify_badge(
        signed, resolve_key=resolver, status_list_credential=list_credential(entries, issuer_key)
    ) == proofs.Verification(True)

    entries.set(INDEX)
    result = credentials.verify_badge(
        signed, resolve_key=resolver, status_list_credential=list_credential(entries, issuer_key)
    )
    assert result == proofs.Verification(False, "the badge was revoked")


def test_revoking_another_badge_leaves_this_one_valid(issuer_key, resolver):
    entries = status_list.StatusList()
    entries.set(INDEX + 1)
    signed = credentials.issue(badge(), key=issuer_key)
    assert credentials.verify_badge(
        signed, resolve_key=resolver, status_list_credential=list_credential(entries, issuer_key)
    )


def test_one_character_of_the_name_changed_fails(issuer_key, resolver):
    signed = credentials.issue(badge(), key=issuer_key)
    tampered = copy.deepcopy(signed)
    tampered["name"] = "漢字テスト 4年 合格"
    result = credentials.verify_badge(
        tampered, resolve_key=resolver, status_list_credential=list_credential(status_list.StatusList(), issuer_key)
    )
    assert not result
    assert "signature does not match" in result.reason


def test_the_status_list_must_verify_and_come_from_the_issuer(issuer_key, resolver):
    signed = credentials.issue(badge(), key=issuer_key)
    assert "none was given" in credentials.verify_badge(signed, resolve_key=resolver).reason

    forged = list_credential(status_list.StatusList(), keys.generate())
    assert (
        "status list does not verify"
        in credentials.verify_badge(signed, resolve_key=resolver, status_list_credential=forged).reason
    )

    other_issuer = "https://elsewhere.example/issuer"
    both = proofs.key_resolver(ISSUER, [issuer_key.public_key_multibase])
    other_key = keys.generate()
    other = proofs.key_resolver(other_issuer, [other_key.public_key_multibase])

    def resolve(method):
        return both(method) or other(method)

    foreign = list_credential(status_list.StatusList(), other_key, issuer=other_issuer)
    assert (
        "issued by someone else"
        in credentials.verify_badge(signed, resolve_key=resolve, status_list_credential=foreign).reason
    )


def test_a_badge_signed_with_a_key_of_someone_else_is_refused(issuer_key):
    stranger = keys.generate()
    document = badge()
    signed = proofs.sign(
        document, key=stranger, verification_method=f"https://elsewhere.example/issuer#{stranger.public_key_multibase}"
    )
    resolve = proofs.key_resolver("https://elsewhere.example/issuer", [stranger.public_key_multibase])
    result = credentials.verify_badge(signed, resolve_key=resolve)
    assert result.reason == "the proof's key is not one of the issuer's"


def test_a_badge_without_status_verifies_on_its_proof(issuer_key, resolver):
    signed = credentials.issue(badge(status=None), key=issuer_key)
    assert "credentialStatus" not in signed
    assert credentials.verify_badge(signed, resolve_key=resolver)


def test_a_credential_without_issuer_id_is_not_issued(issuer_key):
    document = badge()
    document["issuer"] = {"type": ["Profile"], "name": "x"}
    with pytest.raises(proofs.ProofError, match="no issuer id"):
        credentials.issue(document, key=issuer_key)
