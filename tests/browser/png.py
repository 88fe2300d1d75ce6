"""Just enough PNG reading (stdlib only) to tell a screenshot from a blank page: its size,
and the colours of its pixels (8-bit RGB or RGBA, non-interlaced: what Chromium writes)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SIGNATURE", "Png", "read_png"]

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {2: 3, 6: 4}  # colour type: RGB, RGBA


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    channels: int
    idat_bytes: int
    #: Unfiltered scanlines, ``width * channels`` bytes each.
    rows: tuple[bytes, ...]

    def colours(self, every: int = 1) -> set[bytes]:
        """The distinct pixel values of every ``every``-th row (a sample is enough to tell a
        page from a blank one, and quicker)."""
        step = self.channels
        return {row[i : i + step] for row in self.rows[::every] for i in range(0, len(row), step)}


def read_png(path: Path) -> Png:
    """The image in ``path``; ValueError if it is no PNG this reader knows."""
    data = path.read_bytes()
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG: no signature")
    offset, header, idat = len(SIGNATURE), b"", bytearray()
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"PNG chunk {kind!r}: bad CRC")
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        offset += 12 + length
    if len(header) != 13:
        raise ValueError("PNG: no IHDR first")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(f"PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    channels = _CHANNELS[colour]
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise ValueError(f"PNG: {len(raw)} bytes of pixels for {width}x{height}")
    return Png(width, height, channels, len(idat), _unfilter(raw, height, stride, channels))


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> tuple[bytes, ...]:
    """The scanlines with their filters undone (PNG spec, section 9): pure Python, so the two
    filters a screenshot uses most (Up, Paeth) take the short ways below."""
    low, high = int.from_bytes(b"\x7f" * stride, "big"), int.from_bytes(b"\x80" * stride, "big")
    rows: list[bytes] = []
    previous = bytes(stride)
    for index in range(height):
        start = index * (stride + 1)
        kind, filtered = raw[start], raw[start + 1 : start + 1 + stride]
        if kind == 0:
            line = filtered
        elif kind == 2:  # Up: bytewise sums of two rows, as two big integers without carries
            x, y = int.from_bytes(filtered, "big"), int.from_bytes(previous, "big")
            line = (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(stride, "big")
        elif kind in (1, 3, 4):
            line = bytes(_unfilter_line(kind, bytearray(filtered), previous, bpp))
        else:
            raise ValueError(f"PNG: filter type {kind}")
        rows.append(line)
        previous = line
    return tuple(rows)


def _unfilter_line(kind: int, line: bytearray, up: bytes, bpp: int) -> bytearray:
    stride = len(line)
    if kind == 1:  # Sub
        for i in range(bpp, stride):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 3:  # Average
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + up[i]) >> 1)) & 0xFF
    else:  # Paeth: the first pixel has no left neighbours, so its predictor is the byte above
        for i in range(bpp):
            line[i] = (line[i] + up[i]) & 0xFF
        for i in range(bpp, stride):
            a, b, c = line[i - bpp], up[i], up[i - bpp]
            pa, pb, pc = b - c, a - c, a + b - c - c
            pa, pb, pc = -pa if pa < 0 else pa, -pb if pb < 0 else pb, -pc if pc < 0 else pc
            near = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + near) & 0xFF
    return line
