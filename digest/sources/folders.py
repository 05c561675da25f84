"""Folders of saved articles: ``.txt``, ``.md`` (YAML or TOML front matter), ``.html``, ``.eml``.

Each file is one article. Front matter may give ``title``, ``date``, ``url``, ``author`` and
``source``; without a title the first line that reads as a headline is the title, else the first
sentence, whole. Saved web pages keep only their article
text (see :func:`~digest.textutil.main_text`). A file that cannot be read is one problem naming the
file; the other files still count.

The folder is treated as hostile: a symlink (at any depth) that leads outside it, a symlink loop, a
FIFO, socket or device, and a file larger than ``fetch.max_bytes`` are each one problem and never read.
A symlink that stays inside the folder is read like the file it points at.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..clean import clean_article, clean_text
from ..config import FetchConfig
from ..dates import parse_date
from ..errors import ParseError, SourceError
from ..models import Article, Problem
from ..textutil import content_hash
from ..urls import identity_key, legacy_key, link_url
from .saved import READERS, Saved
from .saved import read_eml as _read_eml
from .saved import read_html as _read_html  # noqa: F401 (imported from here by the intake tests)
from .saved import read_markdown as _read_markdown  # noqa: F401 (imported from here by the intake tests)

__all__ = ["FOLDER_SUFFIXES", "folder_files", "read_folder", "read_folder_file", "read_message", "read_saved"]

FOLDER_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".eml")
log = logging.getLogger(__name__)
_MAX_BYTES = FetchConfig().max_bytes
# O_NONBLOCK: opening a FIFO swapped in after the walk returns at once instead of waiting for a writer
# (fstat then refuses it). O_NOFOLLOW: the path opened is the already resolved target, so a link that
# appears there afterwards is refused rather than followed out of the folder.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_SPECIAL = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


@dataclass(frozen=True, slots=True)
class _Walk:
    """What walking one folder found: files to read as (shown path, resolved target), and refusals."""

    root: Path
    found: list[tuple[Path, Path]] = field(default_factory=list)
    refused: list[SourceError] = field(default_factory=list)
    # Files read, but with something wrong the report should name (a date that cannot be read).
    warnings: list[SourceError] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)

    def refuse(self, path: Path, message: str, hint: str) -> None:
        self.refused.append(SourceError(message, source=str(path), hint=hint))


def read_folder(
    folder: Path,
    *,
    name: str = "",
    now: datetime,
    problems: list[Problem] | None = None,
    max_bytes: int = _MAX_BYTES,
) -> list[tuple[Article, bool]]:
    """Saved articles in ``folder`` (recursively, in name order); unreadable files go to ``problems``."""
    if not folder.is_dir():
        raise SourceError("not a folder", source=str(folder), hint="point folder = … at a directory")
    source = name or folder.name
    walk = _Walk(folder.resolve())
    _walk(folder, walk)
    results = []
    for shown, target in sorted(walk.found):
        try:
            raw = _read_capped(target, shown, max_bytes)
            results.append(_parse_saved(shown, raw, source=source, now=now, problems=walk.warnings))
        except SourceError as exc:
            walk.refused.append(exc)
        except Exception as exc:  # a parser's own failure on one odd file must not cost the folder its others
            message = f"cannot read saved article: {type(exc).__name__}: {clean_text(str(exc))[:200]}"
            walk.refused.append(ParseError(message, source=str(shown), hint="fix or remove the file"))
    if walk.refused and problems is None:
        raise walk.refused[0]
    if problems is not None:
        problems.extend(Problem(exc.source, exc.message, exc.hint) for exc in [*walk.refused, *walk.warnings])
    for warning in walk.warnings if problems is None else ():
        log.warning("%s", warning)
    return results


def folder_files(folder: Path) -> tuple[list[tuple[Path, Path]], list[Problem]]:
    """The files of ``folder`` to read as saved articles, as (shown path, resolved target) in name
    order, and one problem for each file refused; the files are read by :func:`read_folder_file`.
    """
    if not folder.is_dir():
        raise SourceError("not a folder", source=str(folder), hint="point folder = … at a directory")
    walk = _Walk(folder.resolve())
    _walk(folder, walk)
    return sorted(walk.found), [Problem(exc.source, exc.message, exc.hint) for exc in walk.refused]


def read_folder_file(
    shown: Path, target: Path, *, source: str, now: datetime, max_bytes: int = _MAX_BYTES
) -> tuple[tuple[Article, bool] | None, list[Problem]]:
    """One file :func:`folder_files` found: its article (``None`` when it cannot be read) and its problems."""
    warnings: list[SourceError] = []
    try:
        found = _parse_saved(shown, _read_capped(target, shown, max_bytes), source=source, now=now, problems=warnings)
    except SourceError as exc:
        found, warnings = None, [exc, *warnings]
    except Exception as exc:  # a parser's own failure on one odd file must not cost the folder its others
        message = f"cannot read saved article: {type(exc).__name__}: {clean_text(str(exc))[:200]}"
        found, warnings = None, [ParseError(message, source=str(shown), hint="fix or remove the file"), *warnings]
    return found, [Problem(exc.source, exc.message, exc.hint) for exc in warnings]


def _walk(directory: Path, walk: _Walk) -> None:
    walk.seen.add(directory.resolve())
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        walk.refuse(directory, f"cannot list: {exc.strerror or exc}", "check its permissions")
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            found = _link(path, walk) if entry.is_symlink() else (path, entry.stat(follow_symlinks=False).st_mode)
        except OSError:
            continue  # vanished while the folder was listed
        if found is None:
            continue
        target, mode = found
        if stat.S_ISDIR(mode):
            if target.resolve() not in walk.seen:  # a link back up the tree would walk forever
                _walk(path, walk)
        elif path.suffix.lower() not in FOLDER_SUFFIXES:
            continue
        elif stat.S_ISREG(mode):
            walk.found.append((path, target))
        else:
            kind = _SPECIAL.get(stat.S_IFMT(mode), "not a regular file")
            walk.refuse(path, f"is {kind}, not a saved article: skipped", "keep only saved articles in the folder")


def _link(path: Path, walk: _Walk) -> tuple[Path, int] | None:
    """The target of the symlink ``path`` and its mode if it stays inside the folder, else ``None``.

    A link the folder would not read anyway (a name without an article suffix, to a file) is
    dropped quietly; any other link that breaks, loops or leaves the folder is one refusal.
    """
    listed = path.suffix.lower() in FOLDER_SUFFIXES
    try:
        target = path.resolve(strict=True)
        mode = target.stat().st_mode
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError on a symlink loop
        if listed:
            walk.refuse(path, "is a symlink that leads nowhere (a loop or a missing target)", "fix or remove the link")
        return None
    if not (listed or stat.S_ISDIR(mode)):
        return None
    if not target.is_relative_to(walk.root):
        walk.refuse(
            path, f"is a symlink to {target}, outside the folder: skipped", "copy the file into the folder instead"
        )
        return None
    return target, mode


def _read_capped(target: Path, shown: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of the regular file ``target``, judged on the opened descriptor (no race)."""
    try:
        fd = os.open(target, _OPEN_FLAGS)
    except OSError as exc:
        raise SourceError(
            f"cannot read: {exc.strerror or exc}", source=str(shown), hint="check its permissions"
        ) from exc
    with open(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _SPECIAL.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise SourceError(f"is {kind}, not a saved article: skipped", source=str(shown), hint="remove it")
        # st_size can lie (a file still growing): the read itself stops one byte past the cap.
        data = b"" if info.st_size > max_bytes else file.read(max_bytes + 1)
    if info.st_size > max_bytes or len(data) > max_bytes:
        raise SourceError(
            f"larger than {max_bytes} bytes: skipped",
            source=str(shown),
            hint="raise fetch.max_bytes if this saved article is really that large",
        )
    return data


def read_saved(
    path: Path,
    *,
    source: str,
    now: datetime,
    max_bytes: int = _MAX_BYTES,
    problems: list[SourceError] | None = None,
) -> tuple[Article, bool]:
    """One saved article, and whether its front matter or headers dated it; ``path`` must not be a symlink.

    What is wrong with the file without stopping it being read (a date that cannot be read) goes to
    ``problems`` when given.
    """
    return _parse_saved(path, _read_capped(path, path, max_bytes), source=source, now=now, problems=problems)


def _published(saved: Saved, path: Path | str, problems: list[SourceError] | None) -> datetime | None:
    """The date ``saved`` gives itself, if it can be read; what is wrong with its front matter goes to ``problems``."""
    written = saved.meta.get("date", "").strip()
    # English unless the front matter names a language: detecting one costs ten times as much.
    published = parse_date(written, languages=[saved.meta.get("lang") or "en"]) if written else None
    if problems is not None:
        if saved.warning:
            problems.append(ParseError(saved.warning, source=str(path), hint="fix the front matter"))
        if written and published is None:
            problems.append(
                ParseError(
                    f"unreadable date {written[:60]!r}: dated by when first seen",
                    source=str(path),
                    hint="write the date as 2024-01-05 (or e.g. January 5, 2024)",
                )
            )
    return published


def read_message(
    raw: bytes, *, where: str, source: str, now: datetime, problems: list[SourceError] | None = None
) -> tuple[Article, bool]:
    """The bytes of one e-mail message (an ``.eml`` file's, or a message fetched over IMAP) as an article.

    Read as a saved ``.eml`` file is; ``where`` names the message in errors and is its ``feed_url``.
    """
    return _parse_saved(where, raw, source=source, now=now, problems=problems, reader=_read_eml)


def _parse_saved(
    path: Path | str,
    raw: bytes,
    *,
    source: str,
    now: datetime,
    problems: list[SourceError] | None = None,
    reader: Callable[[bytes], Saved] | None = None,
) -> tuple[Article, bool]:
    if reader is None:
        suffix = Path(path).suffix.lower()
        reader = READERS[".md" if suffix == ".markdown" else suffix]
    try:
        saved = reader(raw)
    except (UnicodeDecodeError, ValueError, LookupError) as exc:
        raise ParseError(
            f"cannot read saved article: {clean_text(str(exc))[:200]}",
            source=str(path),
            hint="save it as UTF-8 text, Markdown or HTML",
        ) from exc
    except RecursionError as exc:
        raise ParseError(
            "cannot read saved article: nested too deeply", source=str(path), hint="fix or remove the file"
        ) from exc
    if not saved.text and saved.title in ("", "(untitled)"):
        raise ParseError("no text in the saved article", source=str(path), hint="the file is empty: remove it")
    published = _published(saved, path, problems)
    # A date after ``now`` is kept: the article waits for the week whose window holds it.
    dated = published is not None
    url = link_url(saved.meta.get("url", ""))
    old = legacy_key(url) if url else ""
    article = Article(
        id=identity_key(url) if url else "sha256:" + content_hash(saved.title, saved.text),
        title=saved.title or "(untitled)",
        url=url,
        source=saved.meta.get("source") or source,
        published=published or now,
        text=saved.text,
        summary_html=saved.html,
        author=saved.meta.get("author", ""),
        feed_url=str(path),
        aliases=(old,) if old and old != identity_key(url) else (),
    )
    return clean_article(article), dated
