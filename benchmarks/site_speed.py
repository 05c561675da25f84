"""Render + write the site for a year of weekly issues, and check the cost grows linearly with the archive.

    python benchmarks/site_speed.py [ISSUES] [STORIES]     (default 52 issues of 200 stories)

Each issue is rendered (web, email with its size budget, text, Markdown) and its outline read, and
the whole site is written from the rendered issues, as the weekly run does. Timed side by side in one run: one
issue (best of three), a quarter, half and all of the archive. ``ratio`` is the time for all issues over the time
for one; ``per_issue_ratio`` divides that by the issue count (about 1 when growth is linear, and
growing with the archive size if it were quadratic).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digest.render import environment, render
from digest.site import build_site, outline
from digest.store import IssueRecord
from tests.digests import make_digest

NOW = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)


def render_and_publish(count: int, stories: int, target: Path) -> tuple[float, float, int]:
    """Seconds to render ``count`` issues, seconds to write their site, and the site's size in bytes."""
    env = environment()
    digests = [make_digest(stories, week=w) for w in range(count)]
    started = time.perf_counter()
    records = []
    for digest in digests:
        rendering = render(digest, env=env, now=digest.end, site_url=f"https://example.org/w/issues/{digest.id}/")
        # The run reads each issue's outline once, as it stores it; the site then reads the stored one.
        shape = outline(rendering.body_html)
        body, sections, headlines = rendering.body_html, shape.sections, shape.headlines
        records.append(IssueRecord(digest.id, digest.title, digest.start, digest.end, body, sections, headlines))
    rendered = time.perf_counter()
    records.reverse()
    build_site(records, target=target, env=env, site_title="Bench Weekly", base_url="https://example.org/w/", now=NOW)
    written = time.perf_counter()
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    return rendered - started, written - rendered, size


def main(argv: list[str]) -> int:
    issues = int(argv[1]) if len(argv) > 1 else 52
    stories = int(argv[2]) if len(argv) > 2 else 200
    timings: dict[int, float] = {}
    site_timings: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        render_and_publish(1, stories, Path(tmp) / "warm-up")  # compile templates before timing anything
        for count in sorted({1, max(1, issues // 4), max(1, issues // 2), issues}):
            # A small run is over quickly and noisy on a shared machine: keep the best of three.
            runs = [
                render_and_publish(count, stories, Path(tmp) / f"site-{count}-{r}")
                for r in range(3 if count == 1 else 1)
            ]
            render_s, site_s, size = min(runs, key=lambda run: run[0] + run[1])
            timings[count] = render_s + site_s
            site_timings[count] = site_s
            print(
                f"issues={count} stories_each={stories} render_s={render_s:.2f} site_s={site_s:.2f} "
                f"total_s={timings[count]:.2f} per_issue_s={timings[count] / count:.3f} site_mb={size / 1e6:.1f}"
            )
    ratio = timings[issues] / timings[1]
    print(
        f"issues={issues} stories={stories} total_s={timings[issues]:.2f} one_issue_s={timings[1]:.3f} "
        f"ratio={ratio:.1f} per_issue_ratio={ratio / issues:.2f} "
        f"site_only_ratio={site_timings[issues] / site_timings[1]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
