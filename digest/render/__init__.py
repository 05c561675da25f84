"""Stage 7: turn a :class:`~digest.models.Digest` into Markdown, web HTML, email HTML and text.

Templates come from the user's theme folder first and the built-in theme second (a Jinja2
``ChoiceLoader``), so a user overrides one template without copying the rest. HTML templates
autoescape; every URL goes through :func:`~digest.textutil.safe_url` before it reaches an ``href``,
and article HTML goes through :func:`~digest.extract.sanitize_html` before a template marks it safe.
The Markdown and text templates encode titles and URLs with the filters of :mod:`digest.escape`.
With ``remote_images`` off, the email is rendered from article HTML without its web images.

What a story's summary credits and what else covers it are worked out once in Python
(:func:`~digest.coverage.telling`) and handed to every template as ``tellings`` (story id →
:class:`~digest.coverage.Telling`), so the four renderings agree on every count and credit.

Every string a reader sees is marked for translation in the templates (``_()``, ``ngettext()``); the
environment is built for one reader's language (:mod:`digest.i18n`): its catalog, its date and number
formats, and the ``language`` every page and the email declare in their ``lang`` attribute. A theme
uses the same ``_()``; a string no catalog knows stays as the template wrote it.

The email HTML is written with a stylesheet and has its CSS inlined by ``css-inline`` (Gmail and
Outlook drop or ignore most ``<style>`` rules); dark-mode rules stay in a ``<style>`` block the
inliner leaves alone. Over :data:`EMAIL_BUDGET` bytes (Gmail clips messages at 102 KB) the email
sheds what readers need least: first the lists of other links, from the last story up (the counts
stay), then stories from the tail, pointing to the site for the rest; never the first story. The size counted
is the HTML part as it travels, quoted-printable encoded (what :mod:`digest.deliver` sends), which
is a few percent larger than the HTML itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import quoprimime
from pathlib import Path

import css_inline
import jinja2
from markupsafe import Markup

from .. import i18n
from ..cluster.lead import LeadPolicy
from ..config import DigestSettings, EmailConfig
from ..config.base import BriefInEmail
from ..coverage import Telling, coverage, telling
from ..errors import RenderError
from ..escape import markdown_text, markdown_url, text_line, text_url
from ..extract import sanitize_html
from ..models import Article, Digest, Section, Story
from ..rank import DEFAULT_SECTION
from ..textutil import safe_url
from .brief import BriefLine, brief_lines
from .outline import IssueOutline, headline_summary, outline

__all__ = [
    "BRIEF_IN_EMAIL",
    "EMAIL_BUDGET",
    "BriefLine",
    "IssueOutline",
    "Rendering",
    "brief_lines",
    "builtin_templates",
    "citations",
    "cited_sentences",
    "describe",
    "environment",
    "first_stories",
    "headline_summary",
    "inline_css",
    "localized",
    "outline",
    "render",
    "render_email",
    "render_template",
    "tellings",
    "wire_size",
    "without_remote_images",
]

# Gmail clips a message whose HTML passes about 102 KB; the config's default stays clear of it.
EMAIL_BUDGET = EmailConfig().max_html_bytes
# Whether the email carries the week in brief: by default only when it costs the budget nothing.
BRIEF_IN_EMAIL: BriefInEmail = EmailConfig().brief

_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


@dataclass(frozen=True, slots=True)
class Rendering:
    """The four renderings of one digest, plus the HTML fragment the site wraps in its layout.

    ``email_omitted`` counts the stories cut from the tail of the email HTML to fit the budget.
    """

    markdown: str
    html: str
    email_html: str
    text: str
    body_html: str
    email_omitted: int = 0
    # The sections and headlines of body_html, with the anchors its template gave them.
    outline: IssueOutline = field(default_factory=IssueOutline)


def builtin_templates() -> Path:
    """The default theme: inside the installed package, or at the top of a source checkout."""
    package = Path(__file__).resolve().parent.parent  # digest/, above this stage's own package
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise RenderError("the built-in templates are missing", hint="reinstall digest")


# One environment per theme and language for the life of the process: Jinja compiles each template once
# per environment, and compiling the theme again for every rendering cost more than rendering it. Nothing
# changes an environment once it is made, and its loaders still see a template edited on disk (auto_reload).
@functools.lru_cache(maxsize=8)
def environment(theme: Path | None = None, *, language: str = DigestSettings().language) -> jinja2.Environment:
    """The templates of ``theme`` over the built-in ones, speaking ``language`` (a BCP 47 tag)."""
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
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = language
    env.filters["safe_url"] = safe_url
    env.filters["date"] = lambda d, pattern="long": i18n.format_date(d, language, pattern)
    env.filters["number"] = lambda n: i18n.format_number(n, language)
    # A story told in several languages says which, in the reader's (Story.languages, lead's first).
    env.filters["language_names"] = lambda codes: i18n.language_names(codes, language)
    env.filters["md_escape"] = markdown_text
    env.filters["md_url"] = markdown_url
    env.filters["text_line"] = text_line
    env.filters["text_url"] = text_url
    env.filters["article_html"] = _article_html
    env.filters["cited_sentences"] = cited_sentences
    env.filters["coverage"] = coverage
    return env


def _article_html(markup: str) -> Markup:
    # extract already sanitized it; sanitizing again is idempotent and keeps a theme that feeds other
    # article fields here from opening a hole.
    return Markup(sanitize_html(markup))


def cited_sentences(story: Story) -> list[tuple[str, Article | None]]:
    """Each summary sentence with the article linked after it, for themes written before ``tellings``."""
    return [(a.text, a.article if a.url else None) for a in telling(story).sentences]


def tellings(digest: Digest, policy: LeadPolicy | None = None) -> dict[str, Telling]:
    """Story id → what every rendering writes of it beyond its headline (:func:`~digest.coverage.telling`)."""
    return {story.id: telling(story, policy=policy) for story in digest.stories}


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


def inline_css(html: str) -> str:
    """``html`` with its stylesheet moved into ``style`` attributes; ``@media`` rules stay in ``<style>``."""
    try:
        return str(_INLINER.inline(html))
    except ValueError as exc:
        raise RenderError(f"cannot inline the email CSS: {exc}", hint="fix the email template's <style>") from exc


def first_stories(digest: Digest, count: int) -> Digest:
    """``digest`` cut to its first ``count`` stories in reading order; emptied sections are dropped."""
    sections: list[Section] = []
    left = count
    for section in digest.sections:
        if left <= 0:
            break
        sections.append(replace(section, stories=section.stories[:left]))
        left -= len(sections[-1].stories)
    return replace(digest, sections=tuple(sections))


def without_remote_images(digest: Digest) -> Digest:
    """``digest`` with every image loaded from the web cut from its article HTML.

    Done to the data rather than in the email template, so a theme's own email template cannot
    bring the images back.
    """

    def strip(article: Article) -> Article:
        return replace(article, summary_html=sanitize_html(article.summary_html, remote_images=False))

    def story(item: Story) -> Story:
        return replace(item, lead=strip(item.lead), articles=tuple(strip(a) for a in item.articles))

    sections = tuple(replace(s, stories=tuple(story(item) for item in s.stories)) for s in digest.sections)
    return replace(digest, sections=sections)


def wire_size(html: str) -> int:
    """Bytes of ``html`` as a quoted-printable UTF-8 message part on the wire, the way :mod:`email` encodes it.

    78 is the default policy's line length; every line ends in CRLF once it is sent.
    """
    body = html if html.endswith("\n") else html + "\n"
    encoded = quoprimime.body_encode(body.encode("utf-8").decode("latin-1"), 78)
    return len(encoded) + encoded.count("\n")


def _most(make: Callable[[int], str], low: int, high: int, budget: int) -> tuple[int, str]:
    """The largest ``n`` from ``low`` to ``high`` whose ``make(n)`` fits ``budget``, and that HTML ("" if none does).

    A binary search: sizes grow with ``n``, and a handful of renders answer whatever the digest's size.
    """
    best, html = low - 1, ""
    while low <= high:
        middle = (low + high) // 2
        attempt = make(middle)
        if wire_size(attempt) <= budget:
            best, html, low = middle, attempt, middle + 1
        else:
            high = middle - 1
    return best, html


def render_email(
    digest: Digest,
    *,
    env: jinja2.Environment,
    now: datetime,
    site_url: str = "",
    unsubscribe_url: str = "",
    budget: int = EMAIL_BUDGET,
    remote_images: bool = EmailConfig().remote_images,
    told: Mapping[str, Telling] | None = None,
    brief: BriefInEmail = BRIEF_IN_EMAIL,
) -> tuple[str, int]:
    """The email HTML with CSS inlined, and how many stories were cut from the tail to fit ``budget`` bytes.

    Over budget, the stories' lists of other links go first, from the last story up (their counts stay),
    then the stories themselves from the tail. The first story always stays: alone over budget, it is
    sent all the same, since an email without the digest is worse than one Gmail clips.
    The week in brief is written above the sections when ``brief`` is ``"always"``, and with ``"fit"``
    only when the whole email fits with it: it never costs a story or a list of links.
    """
    if not remote_images:
        digest = without_remote_images(digest)
    told = told if told is not None else tellings(digest)
    stories = digest.stories
    total = len(stories)
    lines = brief_lines(digest) if brief != "never" else ()
    shown = lines if brief == "always" else ()

    def attempt(keep: int, listed: int) -> str:
        # The first ``keep`` stories, the first ``listed`` of them with their lists of other links.
        views = {s.id: told[s.id] if n < listed else told[s.id].brief() for n, s in enumerate(stories[:keep])}
        html = render_template(
            env,
            "email.html.j2",
            digest=first_stories(digest, keep) if keep < total else digest,
            tellings=views,
            now=now,
            site_url=site_url,
            unsubscribe_url=unsubscribe_url,
            total_stories=total,
            omitted=total - keep,
            preheader=describe(digest),
            brief=shown,
        )
        return inline_css(html)

    if lines and brief == "fit":
        shown = lines
        with_brief = attempt(total, total)
        if wire_size(with_brief) <= budget:
            return with_brief, 0
        shown = ()
    full = attempt(total, total)
    if wire_size(full) <= budget:
        return full, 0
    _, html = _most(lambda n: attempt(total, n), 0, total - 1, budget)
    if html:
        return html, 0
    least = min(total, 1)
    kept, html = _most(lambda n: attempt(n, 0), least, total - 1, budget)
    if not html:  # not even the first story fits: send it anyway
        kept, html = least, attempt(least, 0)
    return html, total - kept


def render(
    digest: Digest,
    *,
    env: jinja2.Environment,
    now: datetime,
    site_url: str = "",
    unsubscribe_url: str = "",
    email_budget: int = EMAIL_BUDGET,
    remote_images: bool = EmailConfig().remote_images,
    policy: LeadPolicy | None = None,
    brief_in_email: BriefInEmail = BRIEF_IN_EMAIL,
) -> Rendering:
    """Render every format of ``digest``; the same digest and ``now`` give the same bytes.

    ``policy`` is the lead policy the stories were built with: it picks the best of the other links too.
    """
    digest = localized(digest, env)
    told = tellings(digest, policy)
    context = {
        "digest": digest,
        "tellings": told,
        "now": now,
        "site_url": site_url,
        "unsubscribe_url": unsubscribe_url,
        "citations": citations(digest),
        "brief": brief_lines(digest),
    }
    body = render_template(env, "issue_body.html.j2", **context)
    email_html, omitted = render_email(
        digest,
        env=env,
        now=now,
        site_url=site_url,
        unsubscribe_url=unsubscribe_url,
        budget=email_budget,
        remote_images=remote_images,
        told=told,
        brief=brief_in_email,
    )
    page = render_template(
        env,
        "page.html.j2",
        title=digest.title,
        body=body,
        root="",
        site_title=digest.title,
        description=describe(digest),
        canonical=site_url,
        feeds=(),
        nav=False,
    )
    return Rendering(
        markdown=render_template(env, "digest.md.j2", **context),
        html=page,
        email_html=email_html,
        text=render_template(env, "digest.txt.j2", **context),
        body_html=body,
        email_omitted=omitted,
        outline=outline(body),
    )


def localized(digest: Digest, env: jinja2.Environment) -> Digest:
    """The digest with the name of the section no rule named ("Top stories") in the reader's language."""
    name = i18n.translations(str(env.globals["language"])).gettext(DEFAULT_SECTION)
    if name == DEFAULT_SECTION:
        return digest
    sections = tuple(replace(s, name=name) if s.name == DEFAULT_SECTION else s for s in digest.sections)
    return replace(digest, sections=sections)


def describe(digest: Digest) -> str:
    """A one-line description of the issue for link previews and feed readers: its first headlines."""
    return headline_summary([story.label for story in digest.stories])
