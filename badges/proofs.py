"""DataIntegrityProof with the cryptosuite eddsa-rdfc-2022 (docs/design.md §12).

The steps are those of W3C Data Integrity EdDSA Cryptosuites v1.0, §3.3:

1. transformation: the document without `proof`, canonicalized with RDFC-1.0
   (pyld's URDNA2015, which is the same algorithm) into N-Quads;
2. proof configuration: the proof's options (type, cryptosuite, created,
   verificationMethod, proofPurpose; never proofValue) with the document's
   `@context`, canonicalized the same way;
3. hashing: SHA-256 of each; hashData = proofConfigHash + transformedDocumentHash;
4. Ed25519 signature of hashData; proofValue = multibase base58btc (`z…`).

Every canonicalization goes through `badges.documents.load_document`, so no
context is fetched. A property the contexts do not define would be dropped by
JSON-LD expansion and so left unsigned; signing refuses such a document instead.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import hashlib
import re
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld
from pyld.jsonld import JsonLdError

from badges import keys
from badges.documents import load_document

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
ASSERTION_METHOD = "assertionMethod"

# Finds the public key of a verificationMethod id (None when unknown).
KeyResolver = Callable[[str], Ed25519PublicKey | None]


class ProofError(ValueError):
    """The document cannot be signed as it is (the message says why)."""


@dataclasses.dataclass(frozen=True)
class Verification:
    """The outcome of verifying a proof: `verified`, or the reason it is not."""

    verified: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.verified


def canonicalize(document: dict) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, contexts served offline only.

    JSON-LD drops what its contexts do not define (a property, a relative type or
    id), and what is dropped is not signed: such a document is refused instead.
    No base IRI is set, as in other implementations, so a relative IRI is never
    turned into an absolute one that a verifier elsewhere would not compute.
    """
    options = {"documentLoader": load_document, "base": None}
    dropped: list[str | None] = []
    expanded = jsonld.expand(document, options, on_property_dropped=dropped.append)
    if dropped:
        names = ", ".join(sorted({str(name) for name in dropped}))
        raise ProofError(f"properties not defined by the document's contexts would be left unsigned: {names}")
    relative = sorted(set(_relative_iris(expanded)))
    if relative:
        raise ProofError(f"relative ids or types would be left unsigned: {', '.join(relative)}")
    return jsonld.normalize(expanded, {**options, "algorithm": "URDNA2015", "format": "application/n-quads"})


def _relative_iris(node) -> list[str]:
    """The @id and @type values of expanded JSON-LD that are neither absolute IRIs nor blank nodes."""
    found = []
    if isinstance(node, list):
        for item in node:
            found += _relative_iris(item)
    elif isinstance(node, dict) and "@value" not in node:
        for key, value in node.items():
            if key in ("@id", "@type"):
                found += [iri for iri in (value if isinstance(value, list) else [value]) if not _absolute(iri)]
            else:
                found += _relative_iris(value)
    return found


def _absolute(iri) -> bool:
    return isinstance(iri, str) and (iri.startswith("_:") or _SCHEME.match(iri) is not None)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def proof_configuration(document: dict, options: dict) -> dict:
    """The proof options without proofValue, with the document's @context (§3.3.5)."""
    config = {key: value for key, value in options.items() if key != "proofValue"}
    config["@context"] = document["@context"]
    return config


def hash_data(document: dict, options: dict) -> bytes:
    """The hashData: proofConfigHash followed by transformedDocumentHash (64 bytes, §3.3.4)."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    return sha256(canonicalize(proof_configuration(unsecured, options))) + sha256(canonicalize(unsecured))


def now_created() -> str:
    """`created` for a new proof: UTC, whole seconds, as the examples of the specification write it."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def proof_options(*, verification_method: str, created: str | None = None) -> dict:
    """The options of a new proof (everything but proofValue), in the specification's order."""
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created or now_created(),
        "verificationMethod": verification_method,
        "proofPurpose": ASSERTION_METHOD,
    }


def sign(document: dict, *, key: keys.SigningKey, verification_method: str, created: str | None = None) -> dict:
    """A copy of `document` with an eddsa-rdfc-2022 proof added (Add Proof, §3.3.1)."""
    if "@context" not in document:
        raise ProofError("the document has no @context")
    if "proof" in document:
        raise ProofError("the document already has a proof")
    options = proof_options(verification_method=verification_method, created=created)
    try:
        data = hash_data(document, options)
    except JsonLdError as error:
        raise ProofError(f"the document cannot be canonicalized: {_jsonld_reason(error)}") from None
    secured = copy.deepcopy(document)
    secured["proof"] = {**options, "proofValue": keys.multibase_encode(key.sign(data))}
    return secured


def verify(document: dict, *, resolve_key: KeyResolver) -> Verification:
    """Verify the document's one eddsa-rdfc-2022 proof (Verify Proof, §3.3.2), with the reason when it fails."""
    proof = document.get("proof") if isinstance(document, dict) else None
    if not isinstance(proof, dict):
        return Verification(False, "the document has no proof (or more than one)")
    if "@context" not in document:
        return Verification(False, "the document has no @context")
    problem = _proof_problem(proof)
    if problem:
        return Verification(False, problem)
    public_key = resolve_key(proof["verificationMethod"])
    if public_key is None:
        return Verification(False, f"unknown verification method {proof['verificationMethod']!r}")
    try:
        signature = keys.multibase_decode(proof["proofValue"])
    except keys.KeyFormatError as error:
        return Verification(False, f"proofValue is not a signature: {error}")
    if len(signature) != keys.SIGNATURE_LENGTH:
        return Verification(False, f"proofValue is not an Ed25519 signature ({len(signature)} bytes, not 64)")
    try:
        data = hash_data(document, proof)
    except (JsonLdError, ProofError) as error:
        reason = _jsonld_reason(error) if isinstance(error, JsonLdError) else str(error)
        return Verification(False, f"the document cannot be canonicalized: {reason}")
    if not keys.verify_signature(public_key, signature, data):
        return Verification(False, "the signature does not match: the document or its proof was changed")
    return Verification(True)


def _proof_problem(proof: dict) -> str:
    """Why the proof is not one this suite verifies ('' when it is)."""
    if proof.get("type") != PROOF_TYPE:
        return f"proof type {proof.get('type')!r} is not {PROOF_TYPE}"
    if proof.get("cryptosuite") != CRYPTOSUITE:
        return f"cryptosuite {proof.get('cryptosuite')!r} is not {CRYPTOSUITE}"
    if proof.get("proofPurpose") != ASSERTION_METHOD:
        return f"proof purpose {proof.get('proofPurpose')!r} is not {ASSERTION_METHOD}"
    for name in ("verificationMethod", "proofValue", "created"):
        if not isinstance(proof.get(name), str) or not proof[name]:
            return f"the proof has no {name}"
    if "@context" in proof:
        return "the proof carries its own @context (not supported)"
    try:
        datetime.datetime.fromisoformat(proof["created"])
    except ValueError:
        return f"created {proof['created']!r} is not a date and time"
    return ""


def _jsonld_reason(error: JsonLdError) -> str:
    """What went wrong, in a line: the refused context URL, or pyld's innermost message."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    details = getattr(error, "details", None)
    url = details.get("url") if isinstance(details, dict) else None
    if url and getattr(error, "code", None) in ("loading remote context failed", "loading document failed"):
        return f"the context {url} is not one this server knows (nothing is fetched: badges/contexts/README.md)"
    return str(error.args[0]) if error.args else type(error).__name__


def key_resolver(controller: str, public_keys_multibase: list[str]) -> KeyResolver:
    """A resolver for the issuer's own keys: `controller#publicKeyMultibase` ids only."""
    known = {keys.verification_method_id(controller, value): value for value in public_keys_multibase}

    def resolve(verification_method: str) -> Ed25519PublicKey | None:
        value = known.get(verification_method)
        return keys.decode_public_key(value) if value else None

    return resolve
