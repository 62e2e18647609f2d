"""Badge keys: Multikey encoding, where private keys come from, and the key command (docs/design.md §12)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from badges import keys

VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"


def test_public_key_multibase_is_z_base58btc_of_0xed01_and_the_key():
    raw = keys.multibase_decode(VECTOR_PUBLIC)
    assert raw[:2] == b"\xed\x01"
    assert len(raw) == 34
    public = keys.decode_public_key(VECTOR_PUBLIC)
    assert keys.encode_public_key(public) == VECTOR_PUBLIC
    assert raw[2:].hex() == "b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f"


def test_a_generated_key_round_trips_through_its_secret():
    key = keys.generate()
    again = keys.from_secret_multibase(key.secret_key_multibase)
    assert again.public_key_multibase == key.public_key_multibase
    assert key.public_key_multibase.startswith("z6Mk")
    assert key.secret_key_multibase not in repr(key)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",  # no multibase prefix
        "u7QGwDY2Tjn93PVFWWq02piP1NE9_XRlg-c8-jhJiDqKBDw",  # base64url, not base58btc
        "z0OIl",  # characters outside the base58 alphabet
        VECTOR_SECRET,  # a private key is not a public key
        keys.multibase_encode(b"\xed\x01" + bytes(31)),  # one byte short
    ],
)
def test_what_is_not_an_ed25519_public_key_is_refused(value):
    with pytest.raises(keys.KeyFormatError):
        keys.decode_public_key(value)


def test_a_public_key_is_not_accepted_as_a_secret():
    with pytest.raises(keys.KeyFormatError):
        keys.from_secret_multibase(VECTOR_PUBLIC)


def test_the_multikey_document_is_controlled_by_the_issuer():
    document = keys.multikey_document("https://kantoku.example/badges/issuer", VECTOR_PUBLIC)
    assert document == {
        "@context": "https://w3id.org/security/multikey/v1",
        "id": f"https://kantoku.example/badges/issuer#{VECTOR_PUBLIC}",
        "type": "Multikey",
        "controller": "https://kantoku.example/badges/issuer",
        "publicKeyMultibase": VECTOR_PUBLIC,
    }


def test_configured_keys_newest_first_sign_and_retired_ones_stay_published(settings):
    newer, older = keys.generate(), keys.generate()
    retired = keys.generate().public_key_multibase
    settings.BADGE_SIGNING_KEYS = [newer.secret_key_multibase, older.secret_key_multibase]
    settings.BADGE_RETIRED_PUBLIC_KEYS = [retired]
    assert keys.current_signing_key().public_key_multibase == newer.public_key_multibase
    assert keys.published_public_keys() == [newer.public_key_multibase, older.public_key_multibase, retired]


def test_development_derives_a_stable_key_and_production_refuses_without_keys(settings):
    settings.BADGE_SIGNING_KEYS = []
    settings.DEBUG = True
    first = keys.current_signing_key().public_key_multibase
    assert keys.current_signing_key().public_key_multibase == first
    settings.SECRET_KEY = "another secret key for this test"
    assert keys.current_signing_key().public_key_multibase != first
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match="BADGE_SIGNING_KEYS"):
        keys.current_signing_key()


def test_the_system_check_names_a_key_that_cannot_be_read(settings):
    settings.BADGE_SIGNING_KEYS = [keys.generate().secret_key_multibase, "not-a-key"]
    settings.BADGE_RETIRED_PUBLIC_KEYS = ["z123"]
    errors = [error for error in run_checks() if error.id == "badges.E001"]
    assert [error.msg.split(":")[0] for error in errors] == ["BADGE_SIGNING_KEYS", "BADGE_RETIRED_PUBLIC_KEYS"]
    assert "key 2" in errors[0].msg


def test_generate_prints_a_new_pair_and_stores_nothing(settings):
    settings.BADGE_SIGNING_KEYS = []
    out = StringIO()
    call_command("badge_keys", "generate", stdout=out)
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)
    key = keys.from_secret_multibase(lines["secretKeyMultibase"])
    assert key.public_key_multibase == lines["publicKeyMultibase"]
    assert settings.BADGE_SIGNING_KEYS == []


def test_show_prints_the_multikey_document_of_every_published_key(settings):
    signing = keys.generate()
    settings.BADGE_SIGNING_KEYS = [signing.secret_key_multibase]
    settings.BADGE_RETIRED_PUBLIC_KEYS = [VECTOR_PUBLIC]
    out = StringIO()
    call_command("badge_keys", "show", "--controller", "https://kantoku.example/badges/issuer", stdout=out)
    shown = json.loads(out.getvalue())
    assert [document["publicKeyMultibase"] for document in shown] == [signing.public_key_multibase, VECTOR_PUBLIC]
    assert signing.secret_key_multibase not in out.getvalue()
