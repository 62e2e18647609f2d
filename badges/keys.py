"""The issuer's Ed25519 keys and their Multikey form (docs/design.md §12).

A public key is published as `publicKeyMultibase`: multibase base58btc (`z…`)
of the multicodec prefix 0xed 0x01 followed by the 32 key bytes. A private key
is written the same way with the prefix 0x80 0x26 (`secretKeyMultibase`), which
is how `manage.py badge_keys generate` prints it.

Private keys never reach the database, so no dump holds them: they come from
the environment, `BADGE_SIGNING_KEYS`, secretKeyMultibase values newest first.
The newest signs; every configured key, and every public key in
`BADGE_RETIRED_PUBLIC_KEYS`, stays in the issuer's key documents so badges
signed before a rotation still verify (rotation: docs/badges.md). With DEBUG on
and no keys, development derives one stable key from SECRET_KEY, as
messaging/crypto.py does for message bodies.
"""

from __future__ import annotations

import dataclasses
import hashlib

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from badges.documents import MULTIKEY_V1

ED25519_PUBLIC_PREFIX = b"\xed\x01"  # multicodec ed25519-pub
ED25519_PRIVATE_PREFIX = b"\x80\x26"  # multicodec ed25519-priv
KEY_LENGTH = 32
SIGNATURE_LENGTH = 64


class KeyFormatError(ValueError):
    """A multibase key or signature that cannot be read."""


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: 'z' then the Bitcoin-alphabet base58 of the bytes."""
    return "z" + base58.b58encode(data).decode("ascii")


def multibase_decode(text: str) -> bytes:
    """The bytes of a multibase base58btc string; KeyFormatError for any other."""
    if not isinstance(text, str) or not text.startswith("z") or len(text) < 2:
        raise KeyFormatError("not multibase base58btc (it must start with 'z')")
    try:
        return base58.b58decode(text[1:])
    except ValueError as error:
        raise KeyFormatError(f"not base58btc: {error}") from None


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encode_public_key(public_key: Ed25519PublicKey) -> str:
    """The publicKeyMultibase of an Ed25519 public key."""
    return multibase_encode(ED25519_PUBLIC_PREFIX + _raw_public(public_key))


def decode_public_key(public_key_multibase: str) -> Ed25519PublicKey:
    """The Ed25519 public key of a publicKeyMultibase value."""
    raw = multibase_decode(public_key_multibase)
    if not raw.startswith(ED25519_PUBLIC_PREFIX) or len(raw) != len(ED25519_PUBLIC_PREFIX) + KEY_LENGTH:
        raise KeyFormatError("not an Ed25519 public key (multicodec 0xed01 and 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(raw[len(ED25519_PUBLIC_PREFIX) :])


@dataclasses.dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with its Multikey names."""

    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def public_key_multibase(self) -> str:
        return encode_public_key(self.public_key)

    @property
    def secret_key_multibase(self) -> str:
        seed = self.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return multibase_encode(ED25519_PRIVATE_PREFIX + seed)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    def __repr__(self) -> str:  # never print the private key by accident
        return f"SigningKey({self.public_key_multibase})"


def generate() -> SigningKey:
    """A new random key pair."""
    return SigningKey(Ed25519PrivateKey.generate())


def from_secret_multibase(secret_key_multibase: str) -> SigningKey:
    """The key pair of a secretKeyMultibase value (0x8026 and the 32-byte seed)."""
    raw = multibase_decode(secret_key_multibase)
    if not raw.startswith(ED25519_PRIVATE_PREFIX) or len(raw) != len(ED25519_PRIVATE_PREFIX) + KEY_LENGTH:
        raise KeyFormatError("not an Ed25519 private key (multicodec 0x8026 and a 32-byte seed)")
    return SigningKey(Ed25519PrivateKey.from_private_bytes(raw[len(ED25519_PRIVATE_PREFIX) :]))


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """Does the Ed25519 signature match the data under this key?"""
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def verification_method_id(controller: str, public_key_multibase: str) -> str:
    """The key's id: the controller (the issuer's id) and the key as fragment."""
    return f"{controller}#{public_key_multibase}"


def multikey_document(controller: str, public_key_multibase: str) -> dict:
    """The public Multikey document of one key, controlled by the issuer."""
    decode_public_key(public_key_multibase)  # refuse to publish something that is not a key
    return {
        "@context": MULTIKEY_V1,
        "id": verification_method_id(controller, public_key_multibase),
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": public_key_multibase,
    }


def development_key(secret_key: str) -> SigningKey:
    """The key used when DEBUG is on and BADGE_SIGNING_KEYS is empty: stable for one SECRET_KEY."""
    seed = hashlib.sha256(f"kantoku.badges.development-key:{secret_key}".encode()).digest()
    return SigningKey(Ed25519PrivateKey.from_private_bytes(seed))


def signing_keys() -> list[SigningKey]:
    """The configured private keys, newest first (the first one signs)."""
    configured = list(getattr(settings, "BADGE_SIGNING_KEYS", []))
    if configured:
        return [from_secret_multibase(value) for value in configured]
    if settings.DEBUG:
        return [development_key(settings.SECRET_KEY)]
    raise ImproperlyConfigured("BADGE_SIGNING_KEYS must be set to issue badges when DEBUG is off (docs/badges.md)")


def current_signing_key() -> SigningKey:
    """The key new badges are signed with."""
    return signing_keys()[0]


def published_public_keys() -> list[str]:
    """Every publicKeyMultibase a verifier may still need: current keys, then retired ones."""
    keys = [key.public_key_multibase for key in signing_keys()]
    retired = [value for value in getattr(settings, "BADGE_RETIRED_PUBLIC_KEYS", []) if value not in keys]
    return keys + retired


def key_problems() -> list[str]:
    """What is wrong with BADGE_SIGNING_KEYS and BADGE_RETIRED_PUBLIC_KEYS, for the system check."""
    problems = []
    for position, value in enumerate(getattr(settings, "BADGE_SIGNING_KEYS", []), start=1):
        try:
            from_secret_multibase(value)
        except (KeyFormatError, ValueError) as error:
            problems.append(f"BADGE_SIGNING_KEYS: key {position} is not an Ed25519 secretKeyMultibase ({error}).")
    for position, value in enumerate(getattr(settings, "BADGE_RETIRED_PUBLIC_KEYS", []), start=1):
        try:
            decode_public_key(value)
        except (KeyFormatError, ValueError) as error:
            problems.append(
                f"BADGE_RETIRED_PUBLIC_KEYS: key {position} is not an Ed25519 publicKeyMultibase ({error})."
            )
    return problems
