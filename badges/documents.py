"""The offline JSON-LD document loader for pyld (docs/design.md §12).

Canonicalizing a badge expands its `@context` URLs. pyld would fetch them over
the network by default; here every call hands pyld `load_document`, which
serves the vendored files of `badges/contexts/` (their sources are in the
README there) and refuses every other URL. Nothing is fetched at run time, so a
badge signs and verifies the same way on a machine without a network, and a
credential cannot make the server request an address of its choosing.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from pyld.jsonld import JsonLdError

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

# URL -> file in badges/contexts/ (its bytes and source: badges/contexts/README.md).
CONTEXTS = {
    CREDENTIALS_V2: "credentials-v2.jsonld",
    CREDENTIALS_EXAMPLES_V2: "credentials-examples-v2.jsonld",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
    OPEN_BADGES_V3: "ob-v3p0-context-3.0.3.json",
}


class UnknownDocument(JsonLdError):
    """A URL the loader does not serve (it never goes to the network)."""

    def __init__(self, url: str):
        super().__init__(
            f"Refused to load {url!r}: only the vendored contexts are served (badges/contexts/README.md).",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
        self.url = url


@functools.cache
def _text(name: str) -> str:
    """The file's text, read once (each caller gets a fresh dict parsed from it)."""
    return (CONTEXTS_DIR / name).read_text(encoding="utf-8")


def context_bytes(url: str) -> bytes:
    """The vendored bytes served for `url` (for digests and for publishing them)."""
    if url not in CONTEXTS:
        raise UnknownDocument(url)
    return (CONTEXTS_DIR / CONTEXTS[url]).read_bytes()


def load_document(url: str, options: dict | None = None) -> dict:
    """The document loader handed to pyld: the vendored context for a known URL, refusal for any other."""
    name = CONTEXTS.get(url)
    if name is None:
        raise UnknownDocument(url)
    return {
        "contextUrl": None,
        "documentUrl": url,
        "contentType": "application/ld+json",
        "document": json.loads(_text(name)),
        # The vendored files never change: "static" lets pyld keep the processed context in its shared
        # cache across operations, instead of parsing and processing it again for every expansion (which
        # was most of the cost of signing or verifying a badge).
        "tag": "static",
    }
