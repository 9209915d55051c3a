"""A small PNG reader for the browser test (8-bit RGB/RGBA, not interlaced: what Chromium writes).

`read_png(path)` returns an (height, width, channels) uint8 numpy array. Rows are unfiltered with
numpy where the filter allows it (None, Sub, Up) and byte by byte otherwise (Average, Paeth).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel at bit depth 8


def _chunks(data: bytes):
    pos = len(SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def _sequential(kind: int, line: bytearray, prev: bytes, bpp: int) -> None:
    """Average (3) or Paeth (4), in place, left to right."""
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prev[i]
        if kind == 3:
            line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            continue
        corner = prev[i - bpp] if i >= bpp else 0
        p = left + up - corner
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
        line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF


def read_png(path: Path) -> np.ndarray:
    data = Path(path).read_bytes()
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path} is not a PNG file")
    header, idat = None, []
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    if header is None:
        raise ValueError(f"{path} has no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are read (depth {depth}, colour {colour})")
    bpp = CHANNELS[colour]
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:  # Sub: running sum per channel
            row = (np.cumsum(line.reshape(width, bpp).astype(np.int64), axis=0) & 0xFF).astype(np.uint8).ravel()
        elif kind == 2:  # Up
            row = line + prev
        elif kind in (3, 4):
            buffer = bytearray(line.tobytes())
            _sequential(int(kind), buffer, prev.tobytes(), bpp)
            row = np.frombuffer(bytes(buffer), dtype=np.uint8)
        else:
            raise ValueError(f"{path}: unknown PNG filter {kind} on row {y}")
        out[y] = row
        prev = row
    return out.reshape(height, width, bpp)


def write_png(path: Path, pixels: np.ndarray) -> None:
    """Writes an (h, w, 3|4) uint8 array as a PNG (filter None); for looking at crops by hand."""
    height, width, channels = pixels.shape
    rows = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, {3: 2, 4: 6}[channels], 0, 0, 0)
    Path(path).write_bytes(SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6))
                           + chunk(b"IEND", b""))
