"""eddsa-rdfc-2022 proofs: sign, verify, and the reason when a proof does not verify (docs/design.md §12)."""

from __future__ import annotations

import copy
import re

import pytest

from badges import keys, proofs
from tests.badges.conftest import ISSUER


@pytest.fixture
def signed(vector, issuer_key):
    document = copy.deepcopy(vector["credentialWithoutProof"])
    document["issuer"] = ISSUER
    return proofs.sign(
        document,
        key=issuer_key,
        verification_method=keys.verification_method_id(ISSUER, issuer_key.public_key_multibase),
    )


def test_a_signed_document_verifies(signed, resolver):
    assert signed["proof"]["type"] == "DataIntegrityProof"
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert signed["proof"]["proofValue"].startswith("z")
    assert proofs.verify(signed, resolve_key=resolver) == proofs.Verification(True)


def test_signing_leaves_the_input_alone(vector, issuer_key):
    document = copy.deepcopy(vector["credentialWithoutProof"])
    proofs.sign(document, key=issuer_key, verification_method=f"{ISSUER}#{issuer_key.public_key_multibase}")
    assert document == vector["credentialWithoutProof"]


def test_one_character_of_the_name_changed_fails_with_a_reason(signed, resolver):
    signed["name"] = "Alumni Credentiak"
    result = proofs.verify(signed, resolve_key=resolver)
    assert not result
    assert result.reason == "the signature does not match: the document or its proof was changed"


def test_a_changed_proof_option_fails(signed, resolver):
    signed["proof"]["created"] = "2001-01-01T00:00:00Z"
    assert proofs.verify(signed, resolve_key=resolver).reason.startswith("the signature does not match")


def test_a_property_added_after_signing_fails_with_a_reason(signed, resolver):
    signed["credentialSubject"]["grade"] = "A+"  # not defined by the contexts: not signable, not verifiable
    signed["@context"] = signed["@context"][:1]  # without the examples @vocab
    result = proofs.verify(signed, resolve_key=resolver)
    assert not result
    assert "cannot be canonicalized" in result.reason


def test_another_key_is_an_unknown_verification_method(signed):
    stranger = keys.generate()
    result = proofs.verify(signed, resolve_key=proofs.key_resolver(ISSUER, [stranger.public_key_multibase]))
    assert result.reason.startswith("unknown verification method")


def test_a_key_of_another_issuer_name_does_not_resolve(issuer_key, signed):
    resolve = proofs.key_resolver("https://elsewhere.example/issuer", [issuer_key.public_key_multibase])
    assert proofs.verify(signed, resolve_key=resolve).reason.startswith("unknown verification method")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("type", "Ed25519Signature2020", "proof type"),
        ("cryptosuite", "eddsa-jcs-2022", "cryptosuite"),
        ("proofPurpose", "authentication", "proof purpose"),
        ("created", "yesterday", "created"),
        ("proofValue", "not multibase", "proofValue is not a signature"),
        ("proofValue", "z3mJ", "proofValue is not an Ed25519 signature"),
    ],
)
def test_a_proof_this_suite_does_not_accept_is_refused_with_a_reason(signed, resolver, field, value, reason):
    signed["proof"][field] = value
    result = proofs.verify(signed, resolve_key=resolver)
    assert not result
    assert reason in result.reason


def test_a_document_without_a_proof_does_not_verify(vector, resolver):
    assert proofs.verify(vector["credentialWithoutProof"], resolve_key=resolver).reason.startswith("the document has")


def test_a_proof_set_is_not_taken_for_one_proof(signed, resolver):
    signed["proof"] = [signed["proof"], signed["proof"]]
    assert not proofs.verify(signed, resolve_key=resolver)


def test_an_undefined_property_is_refused_before_signing(vector, issuer_key):
    document = copy.deepcopy(vector["credentialWithoutProof"])
    document["@context"] = document["@context"][:1]
    with pytest.raises(proofs.ProofError, match="alumniOf"):
        proofs.sign(document, key=issuer_key, verification_method=f"{ISSUER}#k")


def test_a_relative_type_or_id_is_refused_before_signing(vector, issuer_key):
    document = copy.deepcopy(vector["credentialWithoutProof"])
    document["@context"] = document["@context"][:1]
    document["type"] = ["VerifiableCredential", "Homemade"]
    document["credentialSubject"] = {"id": "pupils/7"}
    with pytest.raises(proofs.ProofError, match="Homemade, pupils/7"):
        proofs.sign(document, key=issuer_key, verification_method=f"{ISSUER}#k")


def test_a_document_is_signed_once(signed, issuer_key):
    with pytest.raises(proofs.ProofError, match="already has a proof"):
        proofs.sign(signed, key=issuer_key, verification_method=f"{ISSUER}#k")


def test_a_new_proof_is_dated_now_in_utc_whole_seconds(signed):
    assert re.fullmatch(
        r"20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z", signed["proof"]["created"]
    )


def test_a_document_without_context_does_not_verify(signed, resolver):
    del signed["@context"]
    assert proofs.verify(signed, resolve_key=resolver).reason == "the document has no @context"
