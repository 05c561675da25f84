"""Screenshots of what readers see, for a person to look at: site index, an issue page, archive, search, email.

    python benchmarks/screenshots.py OUTDIR

Runs the example week (``examples/``, delivered to an outbox) in a temporary folder, then takes
full-page screenshots in headless Chromium at 1280 and 375 px wide, in light and dark mode. Also
reports, per page and width, whether the page scrolls sideways (it should not).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digest import Pipeline, Services, load_config, open_store
from tests.browser import chromium, missing_reason

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WIDTHS = (1280, 375)
SCHEMES = ("light", "dark")


def build_example(work: Path) -> dict[str, Path]:
    shutil.copytree(ROOT / "examples", work / "examples")
    config = load_config(work / "examples" / "digest.toml")
    with open_store(config.resolve(config.digest.state)) as store:
        report = Pipeline(config, Services(env={}), store=store).run(NOW)
    site = config.resolve(config.site.dir)
    return {
        "site-index": site / "index.html",
        "issue": site / "issues" / report.digest_id / "index.html",
        "archive": site / "archive" / "index.html",
        "search": site / "search" / "index.html",
        "email": config.resolve(config.digest.output) / report.digest_id / "email.html",
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python benchmarks/screenshots.py OUTDIR", file=sys.stderr)
        return 1
    reason = missing_reason()
    if reason:
        print(f"Error: {reason}", file=sys.stderr)
        return 1
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Built before the browser starts: Playwright's sync API runs an event loop, inside which the
        # run's own asyncio.run() may not start.
        pages = build_example(Path(tmp))
        shots, overflowing = take_screenshots(pages, out)
    print(f"screenshots={shots} overflowing={overflowing}")
    return 0


def take_screenshots(pages: dict[str, Path], out: Path) -> tuple[int, int]:
    shots = overflowing = 0
    with chromium() as browser:
        for scheme in SCHEMES:
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
                page = context.new_page()
                for name, path in pages.items():
                    url = path.as_uri() + ("?q=light+rail" if name == "search" else "")
                    page.goto(url)
                    scroll = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    overflowing += scroll > 0
                    target = out / f"{name}-{width}-{scheme}.png"
                    page.screenshot(path=str(target), full_page=True)
                    shots += 1
                    print(f"{target} sideways_scroll_px={scroll}")
                context.close()
    return shots, overflowing


if __name__ == "__main__":
    sys.exit(main(sys.argv))
