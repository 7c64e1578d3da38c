#!/usr/bin/env python3
"""Draws Entraide's icons with the standard library only (no image package needed):

- web/icons/icon-192.png, icon-512.png: the app icons browsers ask for (also usable as maskable: the
  mark stays inside the central 60 %, the safe zone);
- web/icons/apple-touch-icon.png (180 px), web/icons/favicon-32.png;
- web/favicon.ico: one 32 px PNG inside an ICO container, for browsers that ask for /favicon.ico.

The mark is a white "E" on the brand blue (#0b4f9c, 8.6:1 against white). Run from the repository root:
`python3 scripts/web/icons.py`; the output is deterministic, so running it again changes nothing.
"""
import struct
import zlib
from pathlib import Path

BLUE = (0x0B, 0x4F, 0x9C)
WHITE = (0xFF, 0xFF, 0xFF)


def inside_e(x: float, y: float) -> bool:
    """Whether the point (x, y) in [0, 1]² is on the white "E" (within the central safe zone)."""
    left, right, top, bottom = 0.33, 0.67, 0.27, 0.73
    bar = 0.09
    if not (left <= x <= right and top <= y <= bottom):
        return False
    if x <= left + bar:
        return True
    if y <= top + bar or y >= bottom - bar:
        return True
    middle = (top + bottom) / 2
    return abs(y - middle) <= bar / 2 and x <= right - 0.04


def png(size: int) -> bytes:
    rows = []
    samples = 4  # 4×4 supersampling for smooth-enough edges
    for j in range(size):
        row = bytearray([0])  # filter: none
        for i in range(size):
            covered = sum(
                inside_e((i + (a + 0.5) / samples) / size, (j + (b + 0.5) / samples) / size)
                for a in range(samples)
                for b in range(samples)
            ) / (samples * samples)
            row.extend(round(BLUE[c] + (WHITE[c] - BLUE[c]) * covered) for c in range(3))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(png32: bytes) -> bytes:
    # ICONDIR, then one ICONDIRENTRY pointing at the PNG data (PNG-in-ICO, read by every current browser).
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 32, 32, 0, 0, 1, 32, len(png32), 6 + 16) + png32


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    icons = root / "web" / "icons"
    icons.mkdir(parents=True, exist_ok=True)
    for name, size in [("icon-192.png", 192), ("icon-512.png", 512), ("apple-touch-icon.png", 180), ("favicon-32.png", 32)]:
        (icons / name).write_bytes(png(size))
    (root / "web" / "favicon.ico").write_bytes(ico((icons / "favicon-32.png").read_bytes()))


if __name__ == "__main__":
    main()
