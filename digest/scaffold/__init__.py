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

from ..config import EmailConfig
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


def init_project(target: Path, *, force: bool = False, base_url: str = "", unsubscribe: str = "") -> tuple[Path, ...]:
    """Write the starter files into ``target``; returns the paths written.

    ``base_url`` is the site's public URL, written as ``site.base_url``; empty leaves it for later.
    ``unsubscribe``, an http(s) URL or an address, goes into ``digest.toml`` as ``email.unsubscribe_url``
    or ``email.unsubscribe_mailto``; it is checked as the config will check it.
    """
    base_url = check_base_url(base_url) if base_url else ""
    target = target.resolve()
    edits = _unsubscribe_edit(unsubscribe)
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
        text = _fill((HERE / source).read_text(encoding="utf-8"), source, base_url)
        path.write_text(_edited(text, edits) if source == "digest.toml" else text, encoding="utf-8")
        written.append(path)
    return tuple(written)


def _unsubscribe_edit(value: str) -> dict[str, str]:
    """The ``[email]`` line ``value`` fills in: a URL by its scheme, else an address."""
    value = value.strip()
    if not value:
        return {}
    key = "unsubscribe_url" if value.lower().startswith(("http://", "https://")) else "unsubscribe_mailto"
    try:
        EmailConfig(unsubscribe_url=value) if key == "unsubscribe_url" else EmailConfig(unsubscribe_mailto=value)
    except ConfigError as exc:
        hint = "an https URL or an address, e.g. leave@example.org"
        raise ConfigError(exc.message, key="--unsubscribe", hint=hint) from None
    return {f'{key} = ""': f"{key} = {json.dumps(value, ensure_ascii=False)}"}


def _edited(text: str, edits: dict[str, str]) -> str:
    """``text`` with the start of each line that is a key of ``edits`` replaced by its value."""
    lines = text.splitlines(keepends=True)
    for old, new in edits.items():
        lines = [new + line[len(old) :] if line.startswith(old) else line for line in lines]
    return "".join(lines)


def _fill(text: str, source: str, base_url: str) -> str:
    if source == "requirements.txt":  # the workflow installs the very release that wrote it
        from .. import __version__  # read from the installed metadata only here: it costs an import

        return text.replace("{version}", __version__)
    if source == "digest.toml" and base_url:
        return text.replace(BASE_URL_LINE, f"base_url = {json.dumps(base_url)}  # feeds, sitemap, 'read on the web'", 1)
    return text
