"""Baked badges: the credential inside the badge's PNG (docs/design.md §12).

Open Badges 3.0 bakes a credential into a PNG as one `iTXt` chunk with the
keyword `openbadgecredential`, not compressed, no language tag or translated
keyword, whose text is the credential's JSON in UTF-8; the chunk goes before
`IEND`. Only one such chunk may be in a file: baking an image that already
holds a credential replaces it (or, with `replace=False`, refuses it, which
the specification allows too). Unbaking reads the first such chunk.

Only the chunk layer of PNG is touched (length, type, data, CRC-32 of type and
data), so nothing here decodes pixels and no imaging library is needed; the
other chunks are copied byte for byte.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
ITXT = b"iTXt"
IEND = b"IEND"
IHDR = b"IHDR"
# A badge image larger than this is not one (the check stops a huge upload being read chunk by chunk).
MAXIMUM_BYTES = 32 * 1024 * 1024


class BakingError(ValueError):
    """Not a PNG, a damaged one, or a PNG that holds no credential (the message says why)."""


def chunks(png: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of every chunk, checking the signature, each length and CRC, IHDR first and IEND last."""
    if not isinstance(png, bytes | bytearray) or not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG file (its first 8 bytes are not the PNG signature)")
    if len(png) > MAXIMUM_BYTES:
        raise BakingError(f"the file is larger than {MAXIMUM_BYTES} bytes")
    position, first, ended = len(PNG_SIGNATURE), True, False
    while position < len(png):
        if ended:
            raise BakingError("data after the IEND chunk")
        if position + 12 > len(png):
            raise BakingError("the PNG ends inside a chunk")
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = bytes(png[position + 4 : position + 8])
        end = position + 12 + length
        if length > 0x7FFFFFFF or end > len(png):
            raise BakingError(f"the {kind!r} chunk runs past the end of the file")
        data = bytes(png[position + 8 : position + 8 + length])
        (crc,) = struct.unpack(">I", png[end - 4 : end])
        if crc != zlib.crc32(kind + data):
            raise BakingError(f"the {kind!r} chunk's CRC does not match (the file is damaged)")
        if first and kind != IHDR:
            raise BakingError("the PNG does not start with an IHDR chunk")
        first, ended = False, kind == IEND
        yield kind, data
        position = end
    if not ended:
        raise BakingError("the PNG has no IEND chunk")


def chunk(kind: bytes, data: bytes) -> bytes:
    """One chunk's bytes: length, type, data, CRC-32 over type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def credential_chunk_data(text: str) -> bytes:
    """The iTXt data: keyword, NUL, compression flag 0 and method 0, empty language tag and translated keyword."""
    return KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")


def _credential_text(data: bytes) -> str | None:
    """The text of an iTXt chunk if it is the credential's; None for any other iTXt."""
    keyword, separator, rest = data.partition(b"\x00")
    if not separator or keyword != KEYWORD:
        return None
    if len(rest) < 2:
        raise BakingError("the openbadgecredential chunk is cut short")
    compressed, method, rest = rest[0], rest[1], rest[2:]
    _language, separator, rest = rest.partition(b"\x00")
    _translated, separator2, text = rest.partition(b"\x00")
    if not (separator and separator2):
        raise BakingError("the openbadgecredential chunk is cut short")
    if compressed:
        if method != 0:
            raise BakingError("the openbadgecredential chunk uses an unknown compression method")
        inflater = zlib.decompressobj()
        text = inflater.decompress(text, MAXIMUM_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise BakingError("the openbadgecredential chunk's compressed text is damaged or too large")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("the openbadgecredential chunk's text is not UTF-8") from None


def bake(png: bytes, credential: dict | str, *, replace: bool = True) -> bytes:
    """The PNG with the credential baked in as its one `openbadgecredential` iTXt chunk, before IEND.

    `credential` is the signed credential (a dict, written as compact JSON, or its JSON text as is, so
    the bytes a verifier reads are those given). An image that already holds a credential has it
    replaced, or with `replace=False` is refused.
    """
    text = credential if isinstance(credential, str) else json.dumps(credential, ensure_ascii=False)
    pieces = [PNG_SIGNATURE]
    for kind, data in chunks(png):
        if kind == ITXT and _credential_text(data) is not None:
            if not replace:
                raise BakingError("the image already holds a credential")
            continue
        if kind == IEND:
            pieces.append(chunk(ITXT, credential_chunk_data(text)))
        pieces.append(chunk(kind, data))
    return b"".join(pieces)


def unbake_text(png: bytes) -> str:
    """The text of the first `openbadgecredential` chunk; BakingError when there is none."""
    for kind, data in chunks(png):
        if kind == ITXT:
            text = _credential_text(data)
            if text is not None:
                return text
    raise BakingError("the PNG holds no Open Badges credential (no openbadgecredential iTXt chunk)")


def unbake(png: bytes) -> dict:
    """The credential baked into the PNG, parsed; BakingError when there is none or it is not a JSON object.

    A compact JWS (the other form the specification allows) is not something this service issues, and is
    refused here with a reason rather than misread.
    """
    text = unbake_text(png)
    try:
        credential = json.loads(text)
    except ValueError:
        raise BakingError("the baked credential is not JSON (a JWT-secured credential is not supported)") from None
    if not isinstance(credential, dict):
        raise BakingError("the baked credential is not a JSON object")
    return credential
