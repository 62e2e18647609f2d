"""The 1EdTech Open Badges 3.0 linked-data-proof test vector (docs/design.md §12).

Inputs and expected outputs: tests/badges/fixtures/1edtech-ob-v3p0-ldp.json,
copied from the 1EdTech repository 1EdTech/openbadges-specification, file
ob_v3p0/impl/linked-data-proof-ob.md at commit
47fa8253413f39715714647947ff4a992258298a ("Linked Data Proof Test Vector for
Open Badges 3.0"): an OpenBadgeCredential with the @context
credentials/v1 + ob_v3p0.jsonld + data-integrity/v1, signed with
eddsa-rdfc-2022.

Everything is reproduced byte for byte: the key pair's multibase forms, the
credential's and the proof options' canonical N-Quads, both SHA-256 hashes,
the data to sign, the Ed25519 signature and the proofValue; the signed
credential verifies and fails after one changed character.

The vector's three contexts (credentials/v1, the 2022 ob_v3p0.jsonld,
data-integrity/v1) are not ones our badges use, so the production loader
refuses them (`test_our_loader_refuses_the_vectors_contexts`); this module
serves them from tests/badges/fixtures/contexts-1edtech/ (sources in its
README) through `vector_contexts`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from badges import keys, proofs

VECTOR_FILE = Path(__file__).resolve().parent / "fixtures" / "1edtech-ob-v3p0-ldp.json"

CONTEXTS_DIR = VECTOR_FILE.parent / "contexts-1edtech"
VECTOR_CONTEXTS = {
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld": "ob_v3p0.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
}


@pytest.fixture
def vector() -> dict:
    return json.loads(VECTOR_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def vector_contexts(monkeypatch):
    """The production loader, and the vector's three contexts beside it (for this module only)."""
    served = proofs.load_document

    def load_document(url: str, options: dict | None = None) -> dict:
        if url in VECTOR_CONTEXTS:
            document = json.loads((CONTEXTS_DIR / VECTOR_CONTEXTS[url]).read_text(encoding="utf-8"))
            return {"contextUrl": None, "documentUrl": url, "document": document}
        return served(url, options)

    monkeypatch.setattr(proofs, "load_document", load_document)


def nquads(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def signing_key(vector) -> keys.SigningKey:
    """The vector's key: its secretKeyMultibase is 0x8026 + the 64-byte seed-and-public-key form."""
    raw = keys.multibase_decode(vector["keyPair"]["secretKeyMultibase"])
    assert raw[:2] == keys.ED25519_PRIVATE_PREFIX
    assert raw[2:].hex() == vector["keyPair"]["privateKeyHex"]
    seed, public = raw[2:34], raw[34:]
    key = keys.SigningKey(Ed25519PrivateKey.from_private_bytes(seed))
    assert keys.encode_public_key(key.public_key) == keys.multibase_encode(keys.ED25519_PUBLIC_PREFIX + public)
    return key


def test_the_key_pair_and_its_multibase_forms(vector):
    pair = vector["keyPair"]
    key = signing_key(vector)
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    assert keys.multibase_decode(pair["publicKeyMultibase"]).hex() == "ed01" + pair["publicKeyHex"]
    assert keys.verification_method_id(pair["controller"], pair["publicKeyMultibase"]) == pair["id"]
    assert pair["id"] == vector["proofOptions"]["verificationMethod"]


def test_the_published_canonical_forms_give_the_published_hashes(vector):
    document = nquads(vector["canonicalCredential"])
    options = nquads(vector["canonicalProofOptions"])
    assert proofs.sha256(document).hex() == vector["credentialHashHex"]
    assert proofs.sha256(options).hex() == vector["proofOptionsHashHex"]
    assert hashlib.sha256(options.encode()).digest() + hashlib.sha256(document.encode()).digest() == bytes.fromhex(
        vector["combinedHashHex"]
    )


def test_signature_and_proof_value(vector):
    data = bytes.fromhex(vector["combinedHashHex"])
    signature = signing_key(vector).sign(data)
    assert signature.hex() == vector["signatureHex"]
    assert keys.multibase_encode(signature) == vector["proofValue"]
    assert vector["signedCredential"]["proof"]["proofValue"] == vector["proofValue"]
    public = keys.decode_public_key(vector["keyPair"]["publicKeyMultibase"])
    assert keys.verify_signature(public, signature, data)


def test_one_changed_character_of_the_name_breaks_the_signature(vector):
    public = keys.decode_public_key(vector["keyPair"]["publicKeyMultibase"])
    signature = keys.multibase_decode(vector["proofValue"])
    changed = [line.replace('"Teamwork Badge"', '"Teamwork Badgf"') for line in vector["canonicalCredential"]]
    assert changed != vector["canonicalCredential"]
    options_hash = bytes.fromhex(vector["proofOptionsHashHex"])
    assert keys.verify_signature(public, signature, options_hash + proofs.sha256(nquads(vector["canonicalCredential"])))
    assert not keys.verify_signature(public, signature, options_hash + proofs.sha256(nquads(changed)))


def test_the_signed_credential_is_the_unsigned_one_with_the_proof(vector):
    signed = dict(vector["signedCredential"])
    proof = signed.pop("proof")
    assert signed == vector["credentialWithoutProof"]
    assert {key: value for key, value in proof.items() if key != "proofValue"} == vector["proofOptions"]
    assert proofs.proof_configuration(signed, vector["proofOptions"]) == {
        **vector["proofOptions"],
        "@context": vector["credentialWithoutProof"]["@context"],
    }


def test_our_loader_refuses_the_vectors_contexts(vector, no_network):
    public = keys.decode_public_key(vector["keyPair"]["publicKeyMultibase"])
    outcome = proofs.verify(vector["signedCredential"], resolve_key=lambda method: public)
    assert not outcome
    assert "is not one this server knows" in outcome.reason


def test_canonical_credential_and_its_hash(vector, vector_contexts, no_network):
    canonical = proofs.canonicalize(vector["credentialWithoutProof"])
    assert canonical == nquads(vector["canonicalCredential"])
    assert proofs.sha256(canonical).hex() == vector["credentialHashHex"]


def test_canonical_proof_options_and_their_hash(vector, vector_contexts, no_network):
    config = proofs.proof_configuration(vector["credentialWithoutProof"], vector["proofOptions"])
    canonical = proofs.canonicalize(config)
    assert canonical == nquads(vector["canonicalProofOptions"])
    assert proofs.sha256(canonical).hex() == vector["proofOptionsHashHex"]


def test_hash_data_of_the_credential(vector, vector_contexts, no_network):
    assert proofs.hash_data(vector["credentialWithoutProof"], vector["proofOptions"]).hex() == vector["combinedHashHex"]


def test_the_signed_credential_verifies_and_a_changed_name_does_not(vector, vector_contexts, no_network):
    public = keys.decode_public_key(vector["keyPair"]["publicKeyMultibase"])
    method = vector["signedCredential"]["proof"]["verificationMethod"]

    def resolve(verification_method):
        return public if verification_method == method else None

    assert proofs.verify(vector["signedCredential"], resolve_key=resolve) == proofs.Verification(True)
    changed = json.loads(json.dumps(vector["signedCredential"]))
    changed["name"] = "Teamwork Badgf"
    assert not proofs.verify(changed, resolve_key=resolve)
