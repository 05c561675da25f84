"""Stage 7: turn a :class:`~digest.models.Digest` into Markdown, web HTML, email HTML and text.

Templates come from the user's theme folder first and the built-in theme second (a Jinja2
``ChoiceLoader``), so a user overrides one template without copying the rest. HTML templates
autoescape; every URL goes through :func:`~digest.textutil.safe_url` before it reaches an ``href``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from .errors import RenderError
from .models import Article, Digest
from .textutil import safe_url

__all__ = ["Rendering", "builtin_templates", "citations", "environment", "render", "render_template"]


@dataclass(frozen=True, slots=True)
class Rendering:
    """The four renderings of one digest, plus the HTML fragment the site wraps in its layout."""

    markdown: str
    html: str
    email_html: str
    text: str
    body_html: str


def builtin_templates() -> Path:
    """The default theme: inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise RenderError("the built-in templates are missing", hint="reinstall digest")


def environment(theme: Path | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if theme is not None:
        loaders.append(jinja2.FileSystemLoader(str(theme)))
    loaders.append(jinja2.FileSystemLoader(str(builtin_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml", "html.j2", "xml.j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["date"] = lambda d, fmt="%d %B %Y": d.strftime(fmt)
    env.filters["md_escape"] = _markdown_escape
    return env


def _markdown_escape(text: str) -> str:
    """Text that Markdown shows literally: a title with ``*`` or ``[`` stays a title."""
    return "".join("\\" + ch if ch in "\\`*_[]<>#|" else ch for ch in text)


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(
            f"template not found: {exc.name}", template=name, hint="check digest.theme or reinstall digest"
        ) from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"template failed: {exc}", template=name, hint="fix the template") from exc


def citations(digest: Digest) -> dict[str, tuple[int, Article]]:
    """Footnote number and article for every article a summary sentence cites, numbered in reading order."""
    by_id = {a.id: a for story in digest.stories for a in story.articles}
    notes: dict[str, tuple[int, Article]] = {}
    for story in digest.stories:
        for sentence in story.summary:
            if sentence.article_id in by_id and sentence.article_id not in notes:
                notes[sentence.article_id] = (len(notes) + 1, by_id[sentence.article_id])
    return notes


def render(digest: Digest, *, env: jinja2.Environment, now: datetime, site_url: str = "") -> Rendering:
    """Render every format of ``digest``; the same digest and ``now`` give the same bytes."""
    context = {"digest": digest, "now": now, "site_url": site_url, "citations": citations(digest)}
    body = render_template(env, "issue_body.html.j2", **context)
    return Rendering(
        markdown=render_template(env, "digest.md.j2", **context),
        html=render_template(env, "page.html.j2", title=digest.title, body=body, root="", **context),
        email_html=render_template(env, "email.html.j2", **context),
        text=render_template(env, "digest.txt.j2", **context),
        body_html=body,
    )
