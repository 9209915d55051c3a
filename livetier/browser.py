"""Headless Chromium (Debian's `chromium`) for looking at the report as a person would.

    python -m livetier.browser screenshot reports/index.html docs/report.png [--width 1240]

`rendered_dom` returns the page's DOM after Chromium laid it out, opened as `index.html#measure`
so that the page writes each chart's box and its own height into the DOM (see livetier.report);
`screenshot` then takes the whole page at that height. Both use the same width and no scrollbars,
so the boxes are the screenshot's pixel coordinates. The browser is offline: every host name
resolves to nothing, so a page that needed the network would show it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTH = 1240
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


class BrowserError(Exception):
    """Chromium is missing or failed; the message is one sentence."""


def chromium_path() -> str | None:
    """LIVETIER_CHROMIUM, else Debian's /usr/bin/chromium, else `chromium` on PATH; None when absent."""
    given = os.environ.get("LIVETIER_CHROMIUM", "").strip()
    if given:
        return given if os.access(given, os.X_OK) else None
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    binary = chromium_path()
    if binary is None:
        raise BrowserError("Chromium is not installed (/usr/bin/chromium): run `make browser` as root "
                           "(apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="livetier-chromium-") as profile:
        command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                   "--disable-extensions", "--force-device-scale-factor=1", "--host-resolver-rules=MAP * ~NOTFOUND",
                   f"--user-data-dir={profile}", *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise BrowserError(f"Chromium failed (exit {result.returncode}): {result.stderr.strip()[-300:]}")
    return result


def rendered_dom(page: Path, width: int = WIDTH) -> str:
    """The DOM after layout, with data-box on each chart and data-page-height on <body>."""
    url = Path(page).resolve().as_uri() + "#measure"
    return _run([f"--window-size={width},900", "--dump-dom", url]).stdout


def page_height(dom: str) -> int:
    found = re.search(r'data-page-height="(\d+)"', dom)
    if not found:
        raise BrowserError("the page did not report its height (is it a livetier report?)")
    return int(found.group(1))


def screenshot(page: Path, png: Path, width: int = WIDTH, height: int | None = None) -> Path:
    """A PNG of the whole page (height measured first unless given)."""
    page, png = Path(page).resolve(), Path(png).resolve()
    height = height or page_height(rendered_dom(page, width))
    png.parent.mkdir(parents=True, exist_ok=True)
    temp = png.with_name(f".{png.name}.{os.getpid()}.tmp.png")
    try:
        _run([f"--window-size={width},{height}", f"--screenshot={temp}", page.as_uri()])
        if not temp.is_file():
            raise BrowserError(f"Chromium wrote no screenshot of {page}")
        os.replace(temp, png)
    finally:
        temp.unlink(missing_ok=True)
    return png


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (3, 5) or args[0] != "screenshot" or (len(args) == 5 and args[3] != "--width"):
        print("usage: python -m livetier.browser screenshot PAGE.html OUT.png [--width PX]", file=sys.stderr)
        return 2
    try:
        out = screenshot(Path(args[1]), Path(args[2]), int(args[4]) if len(args) == 5 else WIDTH)
    except BrowserError as err:
        print(f"error: {err}.", file=sys.stderr)
        return 1
    print(f"screenshot: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
