"""Baking a credential into a PNG and reading it back (docs/design.md §12)."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

from badges import baking

CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": "urn:uuid:1",
    "name": "漢字テスト 3年 合格",
    "proof": {"proofValue": "z3abc"},
}


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """Written independently of badges.baking, so the tests do not check the module against itself."""
    return len(data).to_bytes(4, "big") + kind + data + (zlib.crc32(kind + data) & 0xFFFFFFFF).to_bytes(4, "big")


def tiny_png(width: int = 3, height: int = 2, extra: bytes = b"") -> tuple[bytes, bytes]:
    """An 8-bit RGB PNG and its raw scanlines (filter byte 0 and the pixels of each row)."""
    raw = b"".join(
        b"\x00" + bytes(value for x in range(width) for value in (x * 40, y * 90, 200)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + extra
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )
    return png, raw


def parse(png: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG, asserting every length and CRC (an independent reader)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found, position = [], 8
    while position < len(png):
        length = int.from_bytes(png[position : position + 4], "big")
        kind, data = png[position + 4 : position + 8], png[position + 8 : position + 8 + length]
        crc = int.from_bytes(png[position + 8 + length : position + 12 + length], "big")
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        found.append((kind, data))
        position += 12 + length
    assert position == len(png)
    return found


def test_round_trip():
    png, _raw = tiny_png()
    baked = baking.bake(png, CREDENTIAL)
    assert baking.unbake(baked) == CREDENTIAL
    assert baking.unbake_text(baked) == json.dumps(CREDENTIAL, ensure_ascii=False)


def test_the_chunk_is_an_uncompressed_itxt_before_iend_with_valid_crcs():
    png, _raw = tiny_png()
    kinds = [kind for kind, _data in parse(baking.bake(png, CREDENTIAL))]
    assert kinds == [b"IHDR", b"IDAT", b"iTXt", b"IEND"]
    data = dict(parse(baking.bake(png, CREDENTIAL)))[b"iTXt"]
    keyword, rest = data.split(b"\x00", 1)
    assert keyword == b"openbadgecredential"
    assert rest[:4] == b"\x00\x00\x00\x00"  # not compressed, method 0, no language tag, no translated keyword
    assert json.loads(rest[4:].decode("utf-8")) == CREDENTIAL


def test_the_image_still_decodes_to_the_same_pixels():
    png, raw = tiny_png()
    baked = dict(parse(baking.bake(png, CREDENTIAL)))
    assert baked[b"IHDR"] == dict(parse(png))[b"IHDR"]
    assert zlib.decompress(baked[b"IDAT"]) == raw


def test_other_chunks_are_kept_byte_for_byte():
    text = png_chunk(b"tEXt", b"Comment\x00hello")
    other_itxt = png_chunk(b"iTXt", b"Description\x00\x00\x00\x00\x00a badge")
    png, _raw = tiny_png(extra=text + other_itxt)
    baked = baking.bake(png, CREDENTIAL)
    assert text in baked
    assert other_itxt in baked
    assert baking.unbake(baked) == CREDENTIAL


def test_baking_again_replaces_the_credential_and_leaves_one_chunk():
    png, _raw = tiny_png()
    second = {**CREDENTIAL, "id": "urn:uuid:2"}
    twice = baking.bake(baking.bake(png, CREDENTIAL), second)
    credential_chunks = [data for kind, data in parse(twice) if data.startswith(b"openbadgecredential\x00")]
    assert len(credential_chunks) == 1
    assert baking.unbake(twice) == second


def test_baking_again_can_be_refused():
    baked = baking.bake(tiny_png()[0], CREDENTIAL)
    with pytest.raises(baking.BakingError, match="already holds"):
        baking.bake(baked, CREDENTIAL, replace=False)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a\x01\x00\x01\x00",
        b"\xff\xd8\xff\xe0 a jpeg",
        json.dumps(CREDENTIAL).encode(),
        b"\x89PNG\r\n\x1a\n",  # the signature alone: no IHDR, no IEND
    ],
)
def test_refuses_what_is_not_a_png(data):
    with pytest.raises(baking.BakingError):
        baking.bake(data, CREDENTIAL)
    with pytest.raises(baking.BakingError):
        baking.unbake(data)


def test_refuses_a_damaged_png():
    png, _raw = tiny_png()
    damaged = bytearray(png)
    damaged[42] ^= 0x01  # a byte of the IDAT data: its CRC no longer matches
    with pytest.raises(baking.BakingError, match="CRC"):
        baking.bake(bytes(damaged), CREDENTIAL)
    with pytest.raises(baking.BakingError, match=r"ends inside|past the end"):
        baking.unbake(png[:-6])
    with pytest.raises(baking.BakingError, match="after the IEND"):
        baking.unbake(png + b"junk")


def test_a_png_without_a_credential_says_so():
    with pytest.raises(baking.BakingError, match="no Open Badges credential"):
        baking.unbake(tiny_png()[0])


def test_a_compressed_credential_chunk_is_read():
    """Bakers elsewhere may compress the text (iTXt allows it); reading accepts it."""
    text = json.dumps(CREDENTIAL).encode()
    itxt = png_chunk(b"iTXt", b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(text))
    assert baking.unbake(tiny_png(extra=itxt)[0]) == CREDENTIAL


def test_a_jwt_is_refused_with_a_reason():
    png = baking.bake(tiny_png()[0], "eyJhbGciOiJFZERTQSJ9.e30.c2ln")
    with pytest.raises(baking.BakingError, match="not JSON"):
        baking.unbake(png)


def test_the_badge_picture_is_a_png_that_takes_a_credential():
    from badges import picture

    png = picture.badge_png(operator=False)
    found = parse(png)
    assert [kind for kind, _data in found] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, color_type = struct.unpack(">IIBB", found[0][1][:10])
    assert (width, height, depth, color_type) == (256, 256, 8, 6)
    rows = zlib.decompress(found[1][1])
    assert len(rows) == height * (1 + width * 4)
    stride = 1 + width * 4
    centre_row = rows[128 * stride : 129 * stride]
    assert centre_row[1 : 1 + 4] == b"\x00\x00\x00\x00"  # transparent outside the medal
    assert centre_row[1 + 128 * 4 + 3] == 255  # opaque in the middle
    assert picture.badge_png(operator=True) != png  # the operator's colors
    assert baking.unbake(baking.bake(png, CREDENTIAL)) == CREDENTIAL
