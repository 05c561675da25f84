"""Stage 9: publish the static site: the latest issue, one page per issue, an archive, a feed.

The site is rebuilt from the issues kept in the state store, so a lost output folder comes back
identical. It is written to a temporary folder beside the target and swapped in, so readers never
see a half-written site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import jinja2

from .render import render_template
from .store import IssueRecord

__all__ = ["build_site"]


def build_site(
    issues: Sequence[IssueRecord],
    *,
    target: Path,
    env: jinja2.Environment,
    site_title: str,
    base_url: str,
    now: datetime,
) -> Path:
    """Write the site for ``issues`` (newest first) to ``target``."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".site-", dir=target.parent))
    try:
        _write_pages(staging, issues, env=env, site_title=site_title, base_url=base_url, now=now)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _write_pages(
    root: Path,
    issues: Sequence[IssueRecord],
    *,
    env: jinja2.Environment,
    site_title: str,
    base_url: str,
    now: datetime,
) -> None:
    def page(path: str, title: str, body: str, depth: int) -> None:
        html = render_template(
            env,
            "page.html.j2",
            title=title,
            body=body,
            root="../" * depth,
            feed_url="../" * depth + "feed.xml",
            site_title=site_title,
        )
        out = root / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")

    for issue in issues:
        page(f"issues/{issue.id}/index.html", issue.title, issue.body_html, 2)
    if issues:
        page("index.html", issues[0].title, issues[0].body_html, 0)
    else:
        page("index.html", site_title, "<p>No issues yet.</p>", 0)
    archive = render_template(env, "archive.html.j2", issues=issues, root="")
    page("archive.html", f"Archive · {site_title}", archive, 0)
    updated = (issues[0].end if issues else now).isoformat()
    feed = render_template(
        env,
        "feed.xml.j2",
        issues=issues,
        site_title=site_title,
        base_url=base_url,
        feed_id=f"tag:digest,{(base_url or site_title)}",
        updated=updated,
    )
    (root / "feed.xml").write_text(feed, encoding="utf-8")


def _swap(staging: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)
