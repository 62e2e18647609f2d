"""Make a screenshot PNG small enough to keep in docs/screenshots/ (no Pillow or ImageMagick needed).

    python scripts/png_reduce.py docs/screenshots/*.png

Rounds every colour channel to a multiple of STEP (anti-aliased text then repeats itself, which
deflate packs well) and writes an 8-bit RGB PNG with the "sub" filter. Reads what Playwright
writes: 8-bit RGB or RGBA, not interlaced.
"""

from __future__ import annotations

import struct
import sys
import zlib

STEP = 8
SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, position = [], len(SIGNATURE)
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        chunks.append((kind, data[position + 8 : position + 8 + length]))
        position += 12 + length
    return chunks


def _paeth(left: int, up: int, corner: int) -> int:
    guess = left + up - corner
    to_left, to_up, to_corner = abs(guess - left), abs(guess - up), abs(guess - corner)
    if to_left <= to_up and to_left <= to_corner:
        return left
    return up if to_up <= to_corner else corner


def _rows(raw: bytes, width: int, height: int, bpp: int) -> list[bytearray]:
    stride, rows, previous, at = width * bpp, [], bytearray(width * bpp), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1 : at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            corner = previous[i - bpp] if i >= bpp else 0
            predictor = (0, left, previous[i], (left + previous[i]) // 2, _paeth(left, previous[i], corner))[kind]
            line[i] = (line[i] + predictor) & 255
        rows.append(line)
        previous = line
    return rows


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def reduce(path: str) -> None:
    with open(path, "rb") as file:
        chunks = _chunks(file.read())
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", dict(chunks)[b"IHDR"])
    if depth != 8 or color not in (2, 6) or interlace:
        raise SystemExit(f"{path}: not an 8-bit RGB(A) PNG")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    out = bytearray()
    for line in _rows(raw, width, height, bpp):
        rgb = bytearray(
            min(255, (line[x * bpp + channel] + STEP // 2) // STEP * STEP) for x in range(width) for channel in range(3)
        )
        out += b"\x01" + bytes(rgb[:3]) + bytes((rgb[i] - rgb[i - 3]) & 255 for i in range(3, len(rgb)))
    png = SIGNATURE + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += _chunk(b"IDAT", zlib.compress(bytes(out), 9)) + _chunk(b"IEND", b"")
    with open(path, "wb") as file:
        file.write(png)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        reduce(name)
