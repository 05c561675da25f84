"""Headless Debian Chromium through Playwright, for layout tests and the XSS and screenshot benchmarks.

The browser is the system's ``/usr/bin/chromium`` (``.ci/run`` installs it); Playwright only drives
it, and never downloads a browser of its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM", "chromium", "missing_reason"]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing_reason() -> str:
    """Why the browser checks cannot run here, or ``""`` when they can."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        return "Debian chromium is not installed (.ci/run installs it: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return ""


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless browser; closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = str(CHROMIUM) if CHROMIUM.exists() else str(shutil.which("chromium"))
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
