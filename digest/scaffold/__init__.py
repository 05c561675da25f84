"""``digest init``: a new digest's folder, ready to run from cron or GitHub Actions.

Writes a commented ``digest.toml``, an empty ``templates/`` override folder, a ``requirements.txt``,
a ``.gitignore`` (the store lives on its own branch, the site on Pages) and
``.github/workflows/digest.yml`` (weekly schedule, SMTP password from a repository secret,
state kept on a branch, site deployed to GitHub Pages). Never overwrites a file unless asked to.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError

__all__ = ["FILES", "init_project"]

HERE = Path(__file__).resolve().parent

# (file shipped in this package, where it goes in the new folder)
FILES = (
    ("digest.toml", "digest.toml"),
    ("requirements.txt", "requirements.txt"),
    ("templates-README.md", "templates/README.md"),
    ("digest.yml", ".github/workflows/digest.yml"),
    ("gitignore", ".gitignore"),
)


def init_project(target: Path, *, force: bool = False) -> tuple[Path, ...]:
    """Write the starter files into ``target``; returns the paths written."""
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
        path.write_text((HERE / source).read_text(encoding="utf-8"), encoding="utf-8")
        written.append(path)
    return tuple(written)
