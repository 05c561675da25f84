"""``digest init``: a new digest's folder, ready to run from cron or GitHub Actions.

Writes a commented ``digest.toml`` (with the site's public URL, when given), an empty ``templates/``
override folder, a ``requirements.txt`` pinning the running release,
a ``.gitignore`` (the store lives on its own branch, the site on Pages) and
``.github/workflows/digest.yml`` (weekly schedule, SMTP password from a repository secret,
state kept on a branch, site deployed to GitHub Pages). Never overwrites a file unless asked to.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ConfigError

__all__ = ["FILES", "check_base_url", "init_project"]

HERE = Path(__file__).resolve().parent

# (file shipped in this package, where it goes in the new folder)
FILES = (
    ("digest.toml", "digest.toml"),
    ("requirements.txt", "requirements.txt"),
    ("templates-README.md", "templates/README.md"),
    ("digest.yml", ".github/workflows/digest.yml"),
    ("gitignore", ".gitignore"),
)


# The line of digest.toml that takes the site's URL.
BASE_URL_LINE = 'base_url = ""                 # e.g. "https://you.github.io/your-digest/"'


def check_base_url(url: str) -> str:
    """``url`` as ``site.base_url`` wants it: absolute http(s), ending in a slash; or a ConfigError."""
    url = url.strip()
    parts = urlsplit(url)
    unsafe = any(c.isspace() or not c.isprintable() or c in '"<>\\' for c in url)
    # Pages are addressed below it, so a query or fragment would end up inside every page's URL.
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or unsafe:
        raise ConfigError(
            f"not a public URL for the site: {url!r}",
            key="site.base_url",
            hint="an absolute http(s) URL; GitHub Pages serves https://OWNER.github.io/REPOSITORY/",
        )
    return url if url.endswith("/") else url + "/"


def init_project(target: Path, *, force: bool = False, base_url: str = "") -> tuple[Path, ...]:
    """Write the starter files into ``target``; returns the paths written.

    ``base_url`` is the site's public URL, written as ``site.base_url``; empty leaves it for later.
    """
    base_url = check_base_url(base_url) if base_url else ""
    target = target.resolve()
    existing = [target / dest for _, dest in FILES if (target / dest).exists()]
    if existing and not force:
        raise ConfigError(
            "would overwrite " + ", ".join(str(p.relative_to(target)) for p in existing),
            path=str(target),
            hint="pass --force to overwrite, or choose an empty folder",
        )
    written = []
    for source, dest in FILES:
        path = target / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_fill((HERE / source).read_text(encoding="utf-8"), source, base_url), encoding="utf-8")
        written.append(path)
    return tuple(written)


def _fill(text: str, source: str, base_url: str) -> str:
    if source == "requirements.txt":  # the workflow installs the very release that wrote it
        from .. import __version__  # read from the installed metadata only here: it costs an import

        return text.replace("{version}", __version__)
    if source == "digest.toml" and base_url:
        return text.replace(BASE_URL_LINE, f"base_url = {json.dumps(base_url)}  # feeds, sitemap, 'read on the web'", 1)
    return text
