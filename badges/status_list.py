"""Bitstring Status List v1.0: the issuer's revocation list (docs/design.md §12).

A list is a bitstring of at least 131,072 entries (16 KiB, so one badge hides
among many); entry i is bit i counted from the left of the first byte (the most
significant bit of byte i // 8). Published as `encodedList`: the GZIP of the
bitstring, base64url without padding, with the multibase prefix `u`. The list
travels in a BitstringStatusListCredential, signed like a badge; a badge points
at its entry with a BitstringStatusListEntry in `credentialStatus`.
"""

from __future__ import annotations

import base64
import gzip
import zlib

from badges.documents import CREDENTIALS_V2

MINIMUM_ENTRIES = 131_072
REVOCATION = "revocation"
# A decoded list larger than this is refused (a small GZIP can inflate enormously).
MAXIMUM_BYTES = 16 * 1024 * 1024


class StatusListError(ValueError):
    """An encoded list or an entry that cannot be read (the message says why)."""


def check_index(index: int, entries: int = MINIMUM_ENTRIES) -> None:
    """StatusListError unless `index` is an entry of a list of `entries` entries."""
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < entries:
        raise StatusListError(f"index {index!r} is outside the list (0 to {entries - 1})")


class StatusList:
    """A bitstring of status entries; all start at 0 (not revoked)."""

    def __init__(self, entries: int = MINIMUM_ENTRIES, *, bits: bytes | None = None):
        if bits is None:
            if entries < MINIMUM_ENTRIES or entries % 8:
                raise StatusListError(f"a list has at least {MINIMUM_ENTRIES} entries, a multiple of 8")
            bits = bytes(entries // 8)
        if len(bits) * 8 < MINIMUM_ENTRIES:
            raise StatusListError(f"the list has {len(bits) * 8} entries, fewer than {MINIMUM_ENTRIES}")
        self._bits = bytearray(bits)

    def __len__(self) -> int:
        return len(self._bits) * 8

    def _position(self, index: int) -> tuple[int, int]:
        check_index(index, len(self))
        return index // 8, 0x80 >> (index % 8)

    def get(self, index: int) -> bool:
        """Is entry `index` set (revoked)?"""
        byte, mask = self._position(index)
        return bool(self._bits[byte] & mask)

    def set(self, index: int, value: bool = True) -> None:
        """Set (or clear) entry `index`."""
        byte, mask = self._position(index)
        if value:
            self._bits[byte] |= mask
        else:
            self._bits[byte] &= ~mask & 0xFF

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    def encode(self) -> str:
        """The encodedList: 'u' + base64url (no padding) of the GZIP of the bitstring."""
        compressed = gzip.compress(self.to_bytes(), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, encoded_list: str) -> StatusList:
        """The list of an encodedList value; StatusListError when it is not one."""
        if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
            raise StatusListError("encodedList is not multibase base64url (it must start with 'u')")
        body = encoded_list[1:]
        try:
            compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            inflater = zlib.decompressobj(wbits=31)  # 31: a GZIP header and trailer
            bits = inflater.decompress(compressed, MAXIMUM_BYTES)
        except (ValueError, zlib.error) as error:
            raise StatusListError(f"encodedList is not base64url GZIP data: {error}") from None
        if inflater.unconsumed_tail:
            raise StatusListError(f"the list is larger than {MAXIMUM_BYTES} bytes")
        if not inflater.eof:
            raise StatusListError("encodedList is not complete GZIP data")
        return cls(bits=bits)


def status_entry(
    *, list_credential_id: str, index: int, purpose: str = REVOCATION, entries: int = MINIMUM_ENTRIES
) -> dict:
    """The BitstringStatusListEntry a badge carries as `credentialStatus` (`entries`: the list's size)."""
    check_index(index, entries)
    return {
        "id": f"{list_credential_id}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_credential_id,
    }


def status_list_credential(
    *, list_credential_id: str, issuer: str, status_list: StatusList, valid_from: str, purpose: str = REVOCATION
) -> dict:
    """The unsigned BitstringStatusListCredential publishing `status_list` (sign it with badges.proofs.sign)."""
    return {
        "@context": [CREDENTIALS_V2],
        "id": list_credential_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_credential_id}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": status_list.encode(),
        },
    }


def entry_is_set(entry: dict, list_credential: dict) -> bool:
    """Is the badge's entry set in this (already verified) status list credential?

    StatusListError when the entry does not belong to this list or either is malformed.
    """
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        raise StatusListError("credentialStatus is not a BitstringStatusListEntry")
    if entry.get("statusListCredential") != list_credential.get("id"):
        raise StatusListError("the entry points at another status list credential")
    subject = list_credential.get("credentialSubject") or {}
    if subject.get("type") != "BitstringStatusList" or "BitstringStatusListCredential" not in (
        list_credential.get("type") or []
    ):
        raise StatusListError("the status list credential is not a BitstringStatusListCredential")
    if subject.get("statusPurpose") != entry.get("statusPurpose"):
        raise StatusListError("the entry and the list have different status purposes")
    index = entry.get("statusListIndex")
    if not isinstance(index, str) or not (index.isascii() and index.isdigit()):
        raise StatusListError(f"statusListIndex {index!r} is not a non-negative integer")
    return StatusList.decode(subject.get("encodedList")).get(int(index))
