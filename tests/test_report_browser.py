"""The HTML report in a real browser: headless Chromium (Debian's `chromium`) takes a
screenshot, and the test looks at the pixels: the page is not blank and the
bar charts' colour is really drawn (inline SVG rendered, nothing fetched).

The PNG is decoded with the standard library (zlib + the five PNG row
filters), so the check needs no imaging package.
"""
from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from gateway.jobs.report import compute
from gateway.jobs.report_html import PALETTE, render_html
from test_report import CALENDAR, NOW, SINCE, UNTIL, facts

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed "
                                                          "(apt-get install chromium; scripts/test.sh does)")


def screenshot(page: Path, png: Path) -> None:
    """Half scale keeps the image small enough to decode in pure Python in a moment."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--force-device-scale-factor=0.5", "--window-size=1000,1800", f"--user-data-dir={png.parent / 'profile'}",
         f"--screenshot={png}", page.as_uri()],
        capture_output=True, timeout=120)
    assert png.exists(), result.stderr.decode(errors="replace")[-2000:]


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, b"", None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        chunk = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytes(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            line[i] = (line[i] + _predict(kind, left, up, corner)) & 0xFF
        previous = bytes(line)
        rows.append(bytes(b for p in range(width) for b in line[p * channels:p * channels + 3]))
    return width, height, rows


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    estimate = left + up - corner
    a, b, c = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
    return left if a <= b and a <= c else (up if b <= c else corner)


def test_report_renders_in_chromium(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(compute(facts(), SINCE, UNTIL, NOW, CALENDAR)), encoding="utf-8")
    png = tmp_path / "report.png"
    screenshot(page, png)
    width, height, rows = decode_png(png.read_bytes())
    assert width >= 400 and height >= 600
    pixels = [row[i:i + 3] for row in rows for i in range(0, len(row), 3)]
    ink = sum(1 for p in pixels if min(p) < 200)
    bar = bytes.fromhex(PALETTE[0][1:])
    bars = sum(1 for p in pixels if all(abs(a - b) <= 6 for a, b in zip(p, bar)))
    assert ink / len(pixels) > 0.03, "the screenshot is (almost) blank"
    assert bars > 2000, f"only {bars} pixels in the bar colour: the SVG charts did not render"
