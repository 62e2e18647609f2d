"""The badge's PNG picture, drawn here without an imaging library (docs/design.md §12).

A baked badge needs a PNG to carry the credential (badges/baking.py), while the
published badge image is an SVG. This draws the same round medal, the ring
and fill colors of the SVG and a star, as an 8-bit RGBA PNG: pixels computed
in Python with soft edges, rows filtered with PNG filter type 0, compressed
with zlib. The words of the badge are in the credential itself, and in the SVG,
not in this picture (drawing text would need a font). Pictures are cached per
color pair: there are only two.
"""

from __future__ import annotations

import functools
import math
import struct
import zlib

from badges.baking import PNG_SIGNATURE, chunk

SIZE = 256
Color = tuple[int, int, int]

OPERATOR_COLORS: tuple[Color, Color] = ((0x1D, 0x4E, 0xD8), (0xDB, 0xEA, 0xFE))  # ring and fill, the SVG's too
SCHOOL_COLORS: tuple[Color, Color] = ((0x04, 0x78, 0x57), (0xD1, 0xFA, 0xE5))


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """An 8-bit RGBA PNG of `rgba` (height rows of width × 4 bytes): IHDR, one IDAT, IEND."""
    if len(rgba) != width * height * 4:
        raise ValueError("the pixels do not fill the picture")
    stride = width * 4
    raw = b"".join(b"\x00" + rgba[row * stride : (row + 1) * stride] for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA, deflate, filter 0, no interlace
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _star(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points = []
    for step in range(10):
        radius = outer if step % 2 == 0 else inner
        angle = -math.pi / 2 + step * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _spans(y: float, polygon: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The x intervals of the horizontal line at `y` inside the polygon (even-odd rule)."""
    crossings = sorted(
        x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True)
        if (y1 > y) != (y2 > y)
    )
    return list(zip(crossings[::2], crossings[1::2], strict=True))


def _band(distance: float, low: float, high: float) -> float:
    """How much of a pixel at `distance` from the centre lies between the radii low and high (soft 1 px edge)."""
    return max(0.0, min(1.0, distance - low + 0.5, high - distance + 0.5))


def _mix(under: Color, over: Color, amount: float) -> Color:
    if amount <= 0:
        return under
    if amount >= 1:
        return over
    return tuple(round(a + (b - a) * amount) for a, b in zip(under, over, strict=True))


@functools.cache
def medal_png(ring: Color = SCHOOL_COLORS[0], fill: Color = SCHOOL_COLORS[1], size: int = SIZE) -> bytes:
    """A round medal: a disc in `fill`, a thick and a thin ring and a star in `ring`; transparent around."""
    scale = size / 400  # the SVG's geometry, 400 × 400
    centre = size / 2
    star = _star(centre, centre + 10 * scale, 70 * scale, 28 * scale)
    offsets = (0.25, 0.75)
    pixels = bytearray()
    if size % 2:
        raise ValueError("the size must be even (the right half mirrors the left)")
    half = size // 2  # the medal is symmetric left to right: the right half is the left one mirrored
    for row in range(size):
        star_spans = [span for dy in offsets for span in _spans(row + dy, star)]
        left = []
        for column in range(half):
            x, y = column + 0.5, row + 0.5
            distance = math.hypot(x - centre, y - centre)
            alpha = _band(distance, 0, 198 * scale)
            if alpha == 0:
                left.append(b"\x00\x00\x00\x00")
                continue
            color = fill
            if distance > 157 * scale:  # the rings
                color = _mix(color, ring, _band(distance, 182 * scale, 198 * scale))
                color = _mix(color, ring, _band(distance, 158.5 * scale, 161.5 * scale))
            if star_spans:  # 2 × 2 samples in the pixel: how many fall inside the star
                hits = sum(low <= column + dx < high for low, high in star_spans for dx in offsets)
                color = _mix(color, ring, hits / 4)
            left.append(bytes((*color, round(255 * alpha))))
        pixels += b"".join(left) + b"".join(reversed(left))
    return encode_png(size, size, bytes(pixels))


def colors(operator: bool) -> tuple[Color, Color]:
    """The ring and fill of the operator's badges or a school's, in the PNG and in the SVG (badges.services)."""
    return OPERATOR_COLORS if operator else SCHOOL_COLORS


def badge_png(*, operator: bool) -> bytes:
    """The medal in the operator's colors or a school's, as the SVG draws them."""
    return medal_png(*colors(operator))
