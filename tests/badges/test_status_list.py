"""Bitstring Status List: size, encoding, bit order and the signed list credential (docs/design.md §12)."""

from __future__ import annotations

import base64
import gzip

import pytest

from badges import credentials, proofs, status_list
from tests.badges.conftest import ISSUER, LIST_ID, VALID_FROM


def test_a_new_list_has_131072_entries_all_unset():
    entries = status_list.StatusList()
    assert len(entries) == 131_072
    assert len(entries.to_bytes()) == 16 * 1024
    assert not any(entries.get(index) for index in (0, 1, 65_535, 131_071))


def test_a_list_smaller_than_the_minimum_is_refused():
    with pytest.raises(status_list.StatusListError):
        status_list.StatusList(131_064)
    with pytest.raises(status_list.StatusListError):
        status_list.StatusList(bits=bytes(100))


def test_entry_zero_is_the_leftmost_bit():
    entries = status_list.StatusList()
    entries.set(0)
    entries.set(9)
    assert entries.to_bytes()[:2] == bytes([0b1000_0000, 0b0100_0000])
    entries.set(0, False)
    assert entries.to_bytes()[0] == 0


def test_the_encoded_list_is_multibase_base64url_of_gzip():
    entries = status_list.StatusList()
    entries.set(94_567)
    encoded = entries.encode()
    assert encoded.startswith("u")
    assert not set(encoded) & set("=+/")
    body = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert raw == entries.to_bytes()


def test_encode_and_decode_round_trip():
    entries = status_list.StatusList(262_144)
    for index in (0, 7, 8, 131_071, 262_143):
        entries.set(index)
    again = status_list.StatusList.decode(entries.encode())
    assert len(again) == 262_144
    assert again.to_bytes() == entries.to_bytes()
    assert [index for index in (0, 1, 7, 8, 9, 131_071, 262_143) if again.get(index)] == [0, 7, 8, 131_071, 262_143]


@pytest.mark.parametrize("index", [-1, 131_072, "5", True])
def test_an_index_outside_the_list_is_refused(index):
    with pytest.raises(status_list.StatusListError):
        status_list.StatusList().get(index)


@pytest.mark.parametrize(
    "encoded",
    [
        "zH4sIAAAAAAAA",  # base58btc, not base64url
        "unot-gzip-at-all",
        "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024))).decode().rstrip("="),  # too short
        "u" + base64.urlsafe_b64encode(gzip.compress(bytes(16384))[:-8]).decode().rstrip("="),  # cut off
    ],
)
def test_what_is_not_an_encoded_list_is_refused(encoded):
    with pytest.raises(status_list.StatusListError):
        status_list.StatusList.decode(encoded)


def test_a_list_that_inflates_beyond_the_limit_is_refused():
    bomb = gzip.compress(bytes(status_list.MAXIMUM_BYTES + 1))
    with pytest.raises(status_list.StatusListError, match="larger than"):
        status_list.StatusList.decode("u" + base64.urlsafe_b64encode(bomb).decode().rstrip("="))


def test_the_status_list_credential_is_signed_and_verifies(issuer_key, resolver):
    document = status_list.status_list_credential(
        list_credential_id=LIST_ID, issuer=ISSUER, status_list=status_list.StatusList(), valid_from=VALID_FROM
    )
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["credentialSubject"]["type"] == "BitstringStatusList"
    assert document["credentialSubject"]["statusPurpose"] == "revocation"
    signed = credentials.issue(document, key=issuer_key)
    assert proofs.verify(signed, resolve_key=resolver)
    decoded = status_list.StatusList.decode(signed["credentialSubject"]["encodedList"])
    assert len(decoded) >= 131_072


def test_a_changed_encoded_list_breaks_the_list_signature(issuer_key, resolver):
    entries = status_list.StatusList()
    signed = credentials.issue(
        status_list.status_list_credential(
            list_credential_id=LIST_ID, issuer=ISSUER, status_list=entries, valid_from=VALID_FROM
        ),
        key=issuer_key,
    )
    entries.set(3)
    signed["credentialSubject"]["encodedList"] = entries.encode()
    assert not proofs.verify(signed, resolve_key=resolver)


def test_the_entry_a_badge_carries():
    assert status_list.status_entry(list_credential_id=LIST_ID, index=42) == {
        "id": f"{LIST_ID}#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": LIST_ID,
    }
    with pytest.raises(status_list.StatusListError):
        status_list.status_entry(list_credential_id=LIST_ID, index=-3)
    with pytest.raises(status_list.StatusListError):
        status_list.status_entry(list_credential_id=LIST_ID, index=131_072)
    assert status_list.status_entry(list_credential_id=LIST_ID, index=131_072, entries=262_144)["statusListIndex"] == (
        "131072"
    )
