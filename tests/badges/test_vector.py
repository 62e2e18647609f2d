"""The W3C eddsa-rdfc-2022 test vector, reproduced byte for byte (docs/design.md §12).

Inputs and expected outputs: tests/badges/fixtures/vc-di-eddsa-rdfc-2022-b1.json,
copied from Data Integrity EdDSA Cryptosuites v1.0 (W3C Recommendation,
15 May 2025), Appendix B.1. The Open Badges 3.0 implementation guide's
linked-data-proof example follows the same algorithm.
"""

from __future__ import annotations

import hashlib

from badges import keys, proofs


def nquads(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def test_the_key_pair_is_read_from_its_multibase_forms(vector):
    pair = vector["keyPair"]
    key = keys.from_secret_multibase(pair["secretKeyMultibase"])
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    assert key.secret_key_multibase == pair["secretKeyMultibase"]


def test_canonical_credential_and_its_hash(vector):
    canonical = proofs.canonicalize(vector["credentialWithoutProof"])
    assert canonical == nquads(vector["canonicalCredential"])
    assert hashlib.sha256(canonical.encode()).hexdigest() == vector["credentialHashHex"]


def test_canonical_proof_options_and_their_hash(vector):
    options = {key: value for key, value in vector["proofOptions"].items() if key != "@context"}
    config = proofs.proof_configuration(vector["credentialWithoutProof"], options)
    assert config == vector["proofOptions"]
    canonical = proofs.canonicalize(config)
    assert canonical == nquads(vector["canonicalProofOptions"])
    assert hashlib.sha256(canonical.encode()).hexdigest() == vector["proofOptionsHashHex"]


def test_combined_hash_signature_and_proof_value(vector):
    options = {key: value for key, value in vector["proofOptions"].items() if key != "@context"}
    data = proofs.hash_data(vector["credentialWithoutProof"], options)
    assert data.hex() == vector["combinedHashHex"]
    key = keys.from_secret_multibase(vector["keyPair"]["secretKeyMultibase"])
    signature = key.sign(data)
    assert signature.hex() == vector["signatureHex"]
    assert keys.multibase_encode(signature) == vector["signatureBase58btc"]


def test_signing_gives_the_signed_credential_of_the_vector(vector):
    key = keys.from_secret_multibase(vector["keyPair"]["secretKeyMultibase"])
    signed = proofs.sign(
        vector["credentialWithoutProof"],
        key=key,
        verification_method=vector["proofOptions"]["verificationMethod"],
        created=vector["proofOptions"]["created"],
    )
    assert signed == vector["signedCredential"]
    assert list(signed["proof"]) == list(vector["signedCredential"]["proof"])


def test_the_signed_credential_of_the_vector_verifies(vector):
    public = keys.decode_public_key(vector["keyPair"]["publicKeyMultibase"])
    method = vector["signedCredential"]["proof"]["verificationMethod"]

    def resolve(verification_method):
        return public if verification_method == method else None

    assert proofs.verify(vector["signedCredential"], resolve_key=resolve) == proofs.Verification(True)
