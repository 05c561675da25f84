"""Stage 9: publish the static site: the latest issue, one page per issue, an archive, feeds, search.

The site is rebuilt from the issues kept in the state store and nothing else (no clock, no
directory listing), so a lost output folder comes back byte for byte. It is written to a
temporary folder beside the target and swapped in, so readers never see a half-written site.

Every link between pages is relative and names its ``index.html``, so the site works under any
sub-path of ``base_url`` and opened straight from disk; ``base_url`` only makes the absolute
URLs that feeds, the sitemap and social previews need. Search runs in the browser over an index
loaded as a script (``fetch`` of a ``file:`` URL is blocked), and renders results as text nodes.

Cost grows linearly with the archive: each issue page is written once, the archive pages list
each issue once, and the feeds carry only the newest ``feed_items`` issues.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import jinja2

from . import i18n
from .clean import clean_text
from .config import DigestSettings, SiteConfig
from .render import IssueOutline, outline, render_template
from .store import IssueRecord

__all__ = ["IssueOutline", "build_site", "feed_id", "outline"]

log = logging.getLogger(__name__)

# What the feeds, the sitemap and the email's "read on the web" link are missing without a base_url.
NO_BASE_URL = (
    "site.base_url is empty: the site's feeds carry no links, no sitemap is written and the email has no "
    "'read on the web' link; set it to the site's public URL, e.g. base_url = \"https://you.github.io/weekly/\""
)


def _outline_of(issue: IssueRecord) -> IssueOutline:
    if issue.sections is None:
        return outline(issue.body_html)
    return IssueOutline(issue.sections, issue.headlines or ())


def build_site(
    issues: Sequence[IssueRecord],
    *,
    target: Path,
    env: jinja2.Environment,
    site_title: str,
    base_url: str,
    now: datetime,
    per_page: int = SiteConfig().per_page,
    feed_items: int = SiteConfig().feed_items,
) -> Path:
    """Write the site for ``issues`` (newest first) to ``target``."""
    target = target.resolve()
    if not base_url:
        log.warning(NO_BASE_URL)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".site-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a web server must read the site
    try:
        writer = _Writer(staging, env, site_title, _with_slash(base_url))
        writer.write_all(issues, now=now, per_page=max(1, per_page), feed_items=max(1, feed_items))
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def feed_id(site_title: str, base_url: str) -> str:
    """The Atom feed's ``<id>``, an IRI: the site's URL, else a UUID URN derived from the title alone.

    Without a URL there is no address to name the feed by; a name-based UUID (RFC 9562, version 5) of
    the title is the same on every rebuild and on every machine, and holds no spaces or markup.
    """
    return base_url or uuid.uuid5(uuid.NAMESPACE_URL, "urn:digest:" + site_title).urn


def _with_slash(base_url: str) -> str:
    return base_url if not base_url or base_url.endswith("/") else base_url + "/"


def _issue_path(issue: IssueRecord) -> str:
    return f"issues/{issue.id}/index.html"


def _archive_path(page: int) -> str:
    return "archive/index.html" if page == 1 else f"archive/{page}/index.html"


class _Writer:
    def __init__(self, root: Path, env: jinja2.Environment, site_title: str, base_url: str) -> None:
        self.root = root
        self.env = env
        self.site_title = site_title
        self.base_url = base_url
        # Page titles and descriptions in the reader's language, as the templates are.
        self._ = i18n.translations(str(env.globals.get("language", DigestSettings().language))).gettext

    def url(self, path: str) -> str:
        """The absolute URL of a page, without its ``index.html``; empty with no base_url."""
        return self.base_url + path.removesuffix("index.html") if self.base_url else ""

    def write(self, path: str, text: str) -> None:
        out = self.root / path
        out.parent.mkdir(parents=True, exist_ok=True)
        # Issues stored before sources were cleaned may hold a lone surrogate: UTF-8 cannot write one.
        out.write_text(clean_text(text), encoding="utf-8", newline="\n")

    def page(
        self, path: str, title: str, body: str, *, description: str = "", canonical: str = "", **extra: object
    ) -> None:
        root = "../" * path.count("/")
        feeds = (
            {"type": "application/atom+xml", "title": f"{self.site_title} (Atom)", "href": root + "feed.xml"},
            {"type": "application/feed+json", "title": f"{self.site_title} (JSON Feed)", "href": root + "feed.json"},
        )
        html = render_template(
            self.env,
            "page.html.j2",
            title=title,
            body=body,
            root=root,
            site_title=self.site_title,
            description=description,
            canonical=canonical or self.url(path),
            feeds=feeds,
            nav=True,
            **extra,
        )
        self.write(path, html)

    def write_all(self, issues: Sequence[IssueRecord], *, now: datetime, per_page: int, feed_items: int) -> None:
        outlines = [_outline_of(issue) for issue in issues]
        for i, (issue, shape) in enumerate(zip(issues, outlines, strict=True)):
            pager = {
                "newer": f"../../{_issue_path(issues[i - 1])}" if i > 0 else "",
                "older": f"../../{_issue_path(issues[i + 1])}" if i + 1 < len(issues) else "",
            }
            self.page(_issue_path(issue), _title(issue), issue.body_html, description=shape.description, pager=pager)
        if issues:
            latest = issues[0]
            self.page(
                "index.html",
                _title(latest),
                latest.body_html,
                description=outlines[0].description,
                canonical=self.url(_issue_path(latest)),
                og_type="website",
            )
        else:
            self.page("index.html", self.site_title, "<h1>No issues yet</h1>\n<p>The first issue is on its way.</p>\n")
        pages = self.archive(issues, outlines, per_page)
        self.search(issues, outlines)
        self.feeds(issues[:feed_items], outlines[:feed_items], now=now)
        self.sitemap(issues, pages)

    def archive(self, issues: Sequence[IssueRecord], outlines: Sequence[IssueOutline], per_page: int) -> int:
        pages = max(1, -(-len(issues) // per_page))
        entries = [
            {"issue": issue, "path": _issue_path(issue), "description": shape.description}
            for issue, shape in zip(issues, outlines, strict=True)
        ]
        for number in range(1, pages + 1):
            path = _archive_path(number)
            root = "../" * path.count("/")
            body = render_template(
                self.env,
                "archive.html.j2",
                entries=entries[(number - 1) * per_page : number * per_page],
                root=root,
                page=number,
                pages=pages,
                newer=root + _archive_path(number - 1) if number > 1 else "",
                older=root + _archive_path(number + 1) if number < pages else "",
            )
            _ = self._
            title = f"{_('Archive')} · {self.site_title}"
            if number > 1:
                title += " · " + _("page %(page)s") % {"page": number}
            self.page(path, title, body, description=_("Every issue of %(title)s.") % {"title": self.site_title})
        return pages

    def search(self, issues: Sequence[IssueRecord], outlines: Sequence[IssueOutline]) -> None:
        entries = [
            [_issue_path(issue) + (f"#{anchor}" if anchor else ""), headline, _title(issue)]
            for issue, shape in zip(issues, outlines, strict=True)
            for anchor, headline in shape.headlines
        ]
        # A script, not JSON: a page opened from disk may not fetch() a file: URL, but it may load a script.
        index = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
        self.write("search/index.js", f"window.DIGEST_SEARCH = {index};\n")
        self.write("search/search.js", render_template(self.env, "search.js.j2"))
        body = render_template(self.env, "search.html.j2", count=len(entries))
        self.page(
            "search/index.html",
            f"{self._('Search')} · {self.site_title}",
            body,
            description=self._("Search every issue of %(title)s.") % {"title": self.site_title},
            scripts=("index.js", "search.js"),
        )

    def feeds(self, issues: Sequence[IssueRecord], outlines: Sequence[IssueOutline], *, now: datetime) -> None:
        updated = (issues[0].end if issues else now).isoformat()
        # Cleaned again here: an issue stored before its sources' text was cleaned could hold a character
        # XML forbids (a control, a lone surrogate), and one such character makes the whole feed unreadable.
        items = [
            {
                "id": self.entry_id(issue),
                "url": self.url(_issue_path(issue)),
                "title": clean_text(_title(issue)),
                "issue": issue,
                "body": clean_text(issue.body_html),
            }
            for issue in issues
        ]
        atom = render_template(
            self.env,
            "feed.xml.j2",
            items=items,
            site_title=self.site_title,
            base_url=self.base_url,
            feed_id=feed_id(self.site_title, self.base_url),
            updated=updated,
        )
        self.write("feed.xml", atom)
        feed: dict[str, object] = {"version": "https://jsonfeed.org/version/1.1", "title": self.site_title}
        if self.base_url:
            feed |= {"home_page_url": self.base_url, "feed_url": self.base_url + "feed.json"}
        feed["items"] = [
            {
                "id": item["id"],
                **({"url": item["url"]} if item["url"] else {}),
                "title": item["title"],
                "summary": clean_text(shape.description),
                "content_html": item["body"],
                "date_published": issue.end.isoformat(),
            }
            for item, issue, shape in zip(items, issues, outlines, strict=True)
        ]
        self.write("feed.json", json.dumps(feed, ensure_ascii=False, indent=1) + "\n")

    def entry_id(self, issue: IssueRecord) -> str:
        """Stable across rebuilds and renames of the title: the permanent URL, else a URN of the issue id."""
        return self.url(_issue_path(issue)) or f"urn:digest:issue:{issue.id}"

    def sitemap(self, issues: Sequence[IssueRecord], pages: int) -> None:
        if not self.base_url:
            return  # a sitemap lists absolute URLs only
        urls = [(self.url("index.html"), issues[0].end if issues else None)]
        urls += [(self.url(_archive_path(n)), None) for n in range(1, pages + 1)]
        urls += [(self.url(_issue_path(issue)), issue.end) for issue in issues]
        self.write("sitemap.xml", render_template(self.env, "sitemap.xml.j2", urls=urls))


def _title(issue: IssueRecord) -> str:
    return f"{issue.title} · {issue.end:%d %B %Y}"


def _swap(staging: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)
