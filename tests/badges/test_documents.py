"""The offline document loader: vendored bytes, refusal of every other URL, no network (docs/design.md §12)."""

from __future__ import annotations

import hashlib
import urllib.request

import pytest
from pyld import jsonld

from badges import documents, proofs

# The digests badges/contexts/README.md gives for the upstream documents.
DIGESTS = {
    documents.CREDENTIALS_V2: "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    documents.CREDENTIALS_EXAMPLES_V2: "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
    documents.DATA_INTEGRITY_V2: "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
    documents.MULTIKEY_V1: "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
    documents.OPEN_BADGES_V3: "01d87cc8b5357af557bfb09428f603c4691c49ef8a6089945a70bda1b96b1db2",
}


def test_every_vendored_context_has_the_upstream_bytes():
    assert set(documents.CONTEXTS) == set(DIGESTS)
    for url, digest in DIGESTS.items():
        assert hashlib.sha256(documents.context_bytes(url)).hexdigest() == digest, url


def test_the_readme_names_every_context_and_its_digest():
    readme = (documents.CONTEXTS_DIR / "README.md").read_text(encoding="utf-8")
    for url, digest in DIGESTS.items():
        assert url in readme
        assert digest in readme
        assert documents.CONTEXTS[url] in readme


def test_a_known_context_is_served_as_a_fresh_document(no_network):
    first = documents.load_document(documents.OPEN_BADGES_V3, {})
    assert first["documentUrl"] == documents.OPEN_BADGES_V3
    assert "OpenBadgeCredential" in first["document"]["@context"]
    first["document"]["@context"]["OpenBadgeCredential"] = "changed"
    again = documents.load_document(documents.OPEN_BADGES_V3, {})
    assert again["document"]["@context"]["OpenBadgeCredential"] != "changed"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/context.jsonld",
        "https://www.w3.org/ns/credentials/v2/",  # near misses are not the same URL
        "http://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        "http://127.0.0.1:8000/",
        "file:///etc/passwd",
    ],
)
def test_the_loader_refuses_unknown_urls(url, no_network):
    with pytest.raises(documents.UnknownDocument) as refused:
        documents.load_document(url, {})
    assert refused.value.url == url
    assert isinstance(refused.value, jsonld.JsonLdError)


def test_a_document_with_an_unknown_context_is_refused_without_any_network(no_network, issuer_key):
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://attacker.example/context.jsonld"],
        "type": ["VerifiableCredential"],
        "issuer": "https://kantoku.example/badges/issuer",
        "credentialSubject": {"id": "urn:uuid:1"},
    }
    with pytest.raises(proofs.ProofError, match=r"attacker\.example"):
        proofs.sign(document, key=issuer_key, verification_method="https://kantoku.example/badges/issuer#k")


def test_signing_and_verifying_never_touch_the_network(no_network, vector):
    with pytest.raises(AssertionError, match="the network was used"):
        urllib.request.urlopen("https://www.w3.org/ns/credentials/v2")  # the guard itself works
    assert proofs.canonicalize(vector["credentialWithoutProof"])


def test_pyld_is_never_left_with_a_default_loader_that_would_fetch(monkeypatch, vector, no_network):
    def fetching_loader(url, options):
        raise AssertionError(f"pyld's default loader was asked for {url}")

    monkeypatch.setattr(jsonld, "_default_document_loader", fetching_loader)
    assert proofs.canonicalize(vector["credentialWithoutProof"])
