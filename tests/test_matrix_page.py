"""The HTML conformance matrix as a browser shows it: rendered by a real headless Chromium.

The page is built from synthetic reports holding a failure, an expected failure, a skip and passing
ratios from 0.05 to 0.9.  Chromium's serialized DOM must hold every function's row with the failure
cell marked (class, ✗, tooltip with the failing test and its message) and the filter script run; its
screenshot must show the heat map (green and red pixels on a non-blank page).  Without Chromium the
browser tests skip, unless ``CONFORMANCE_REQUIRE_BROWSER=1`` (as in CI) makes that a failure.
"""
import json
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import numpy as np
import pytest
from _reports import item, report

from conformance.reports.__main__ import main

FUNCTIONS = {"sin": 0.05, "cos": 0.3, "exp": 0.6, "tanh": 0.9, "<b>x&y</b>": 0.2}
FAILURE = "vjp of 'tanh' (float32, cpu): x.grad deviates from the exact vᵀJ by 2.1e+03 x its bound"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The HTML page merged from two synthetic reports, and the directory it is in."""
    root = tmp_path_factory.mktemp("matrix")
    old = [item(f, worst=r, dtype=d) for f, r in FUNCTIONS.items() for d in ("float32", "float64")]
    new = [item(f, worst=r, dtype=d) for f, r in FUNCTIONS.items() if f != "tanh" for d in ("float32", "float64")]
    new += [item("tanh", "failed", 2097.4, message=FAILURE), item("tanh", worst=0.9, dtype="float64"),
            item("abs-at-0", "xfailed", prop="conventions", message="known torch deviation"),
            item("abs-at-0", prop="conventions", dtype="float64"),
            item("igamma", "skipped", message="unsupported: no double backward")]
    for name, items, torch in (("old.json", old, "2.13.0+cpu"), ("new.json", new, "2.14.1+cpu")):
        (root / name).write_text(json.dumps(report(items, torch=torch)))
    assert main(["merge", str(root / "old.json"), str(root / "new.json"), "--html", str(root / "page.html")]) == 0
    return root / "page.html"


@pytest.fixture(scope="module")
def chromium():
    """The path of Chromium; skips (fails under CONFORMANCE_REQUIRE_BROWSER=1) when there is none."""
    path = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if path is None:
        message = "no headless browser: chromium not found on PATH (Debian: apt-get install chromium)"
        if os.environ.get("CONFORMANCE_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; CONFORMANCE_REQUIRE_BROWSER=1 requires it")
        pytest.skip(message)
    return path


def browse(chromium, url, tmp_path, *args) -> subprocess.CompletedProcess:
    """Chromium run headless, offline and with a fresh profile on the URL, with the given extra arguments."""
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", *args, url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


class HeatMap(HTMLParser):
    """The body rows of ``table#heat``: per row, each cell's attributes and text; which rows are hidden."""

    def __init__(self, markup: str):
        super().__init__()
        self.rows, self.hidden, self.inside, self.cell = [], [], False, None
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.inside = attrs.get("id") == "heat"
        elif self.inside and tag == "tr" and "data-key" in attrs:
            self.rows.append([])
            self.hidden.append("hidden" in attrs)
        elif self.inside and self.rows and tag in ("th", "td"):
            self.cell = {**attrs, "text": ""}
            self.rows[-1].append(self.cell)

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self.cell = None
        elif tag == "table":
            self.inside = False


def decode_png(data: bytes) -> np.ndarray:
    """The pixels (height × width × 3) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks = 8, {}
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.setdefault(kind, []).append(data[pos + 8:pos + 8 + size])
        pos += 12 + size
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(chunks[b"IDAT"])), np.uint8).reshape(height, 1 + width * bpp)
    out, prev = np.zeros((height, width * bpp), np.uint8), np.zeros(width * bpp, np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:  # sub: a running sum along each channel
            row = np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint64).astype(np.uint8).ravel()
        elif kind == 2:
            row = line + prev
        else:  # average and Paeth depend on the byte just decoded to the left
            row, up = bytearray(line.tobytes()), prev.tobytes()
            for i in range(len(row)):
                a, b, c = (row[i - bpp], up[i], up[i - bpp]) if i >= bpp else (0, up[i], 0)
                if kind == 3:
                    p = (a + b) // 2
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                row[i] = (row[i] + p) & 255
            row = np.frombuffer(bytes(row), np.uint8)
        out[y] = prev = row
    return out.reshape(height, width, bpp)[:, :, :3]


def test_page_is_self_contained_and_escaped(page):
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<style>" in text and "<script>" in text
    assert not any(s in text for s in ("http://", "https://", "<link", " src=", "@import", "url("))
    assert "&lt;b&gt;x&amp;y&lt;/b&gt;" in text and "<b>x&y</b>" not in text


def test_browser_renders_every_row_and_marks_the_failure(chromium, page, tmp_path):
    dom = browse(chromium, page.as_uri(), tmp_path, "--dump-dom").stdout
    heat = HeatMap(dom)
    rows = {r[0]["text"]: r for r in heat.rows}
    assert set(rows) == set(FUNCTIONS) | {"abs-at-0", "igamma"}
    failed = rows["tanh"][4]  # function, properties, old float32, old float64, new float32
    assert "fail" in failed["class"].split() and failed["text"] == "✗"
    assert "cases/test_vjp.py::test_vjp[tanh-float32]: failed, worst 2.1e+03: " + FAILURE in failed["title"]
    assert "xfail" in rows["abs-at-0"][4]["class"].split() and rows["abs-at-0"][4]["text"] == "x"
    assert rows["igamma"][4]["text"] == "" and "unsupported" in rows["igamma"][4]["title"]
    assert [c["text"] for c in rows["sin"][2:]] == ["0.05"] * 4 and rows["tanh"][2]["text"] == "0.90"
    assert list(rows)[:2] == ["abs-at-0", "tanh"]  # the rows that fail or differ come first
    assert '<span id="shown">7</span>' in dom and not any(heat.hidden)  # the filter script ran


def test_filter_from_the_url_fragment_hides_the_other_rows(chromium, page, tmp_path):
    dom = browse(chromium, page.as_uri() + "#cos", tmp_path, "--dump-dom").stdout
    heat = HeatMap(dom)
    assert [r[0]["text"] for r, hidden in zip(heat.rows, heat.hidden) if not hidden] == ["cos"]
    assert sum(heat.hidden) == len(heat.rows) - 1 and '<span id="shown">1</span>' in dom


def test_screenshot_shows_the_heat_map(chromium, page, tmp_path):
    shot = tmp_path / "page.png"
    browse(chromium, page.as_uri(), tmp_path, f"--screenshot={shot}", "--window-size=1280,900")
    pixels = decode_png(shot.read_bytes()).astype(int)
    assert pixels.shape[:2] == (900, 1280)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    green = (g > 170) & (r < 150) & (b < 150)  # ratios near 0
    red = (r > 200) & (g < 150) & (b < 130)  # ratios near 1
    dark_red = (r > 110) & (r < 170) & (g < 30) & (b < 30)  # the failure cell
    assert green.sum() > 2000 and red.sum() > 2000 and dark_red.sum() > 500, (green.sum(), red.sum(), dark_red.sum())
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50 and pixels.std() > 20  # not blank
