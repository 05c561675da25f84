"""The reader's language: catalogs complete and compiled, templates translated, dates and numbers localized."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import html5lib
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from digest import i18n
from digest.config import load_config
from digest.errors import ConfigError
from digest.render import environment, render
from digest.site import build_site

from .conftest import ROOT, write_config
from .digests import issue, make_digest

CATALOGS = sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/digest.po"))
LANGUAGES = [path.parent.parent.name for path in CATALOGS]


def _extracted() -> set[str]:
    """Every message the package and the default theme mark, as scripts/translations extracts them."""
    found: set[str] = set()
    method_map = [("digest/**.py", "python"), ("templates/**.j2", "jinja2")]
    options = {"templates/**.j2": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options, keywords=keywords):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_at_least_the_promised_catalogs_ship() -> None:
    assert {"de", "fr", "es", "pt"} <= set(LANGUAGES)


@pytest.mark.parametrize("path", CATALOGS, ids=LANGUAGES)
def test_every_marked_string_is_translated_with_its_placeholders(path: Path) -> None:
    with path.open("rb") as po:
        catalog = read_po(po)
    translated = {m.id[0] if isinstance(m.id, tuple) else m.id: m for m in catalog if m.id}
    missing = _extracted() - set(translated)
    assert not missing, f"{path}: run scripts/translations and translate {sorted(missing)}"
    for message in translated.values():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{path}: {message.id!r} is untranslated"
        assert "fuzzy" not in message.flags, f"{path}: {message.id!r} is fuzzy"
    problems = [(m.id, errors) for m, errors in catalog.check()]
    assert not problems, problems  # Babel's checkers: the same %(name)s placeholders, plural forms


@pytest.mark.parametrize("path", CATALOGS, ids=LANGUAGES)
def test_the_shipped_mo_file_is_compiled_from_its_po_file(path: Path) -> None:
    with path.open("rb") as po:
        catalog = read_po(po)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert path.with_suffix(".mo").read_bytes() == compiled.getvalue(), f"{path}: run scripts/translations"


def test_a_german_digest_speaks_german_everywhere() -> None:
    digest = make_digest(3)
    rendering = render(digest, env=environment(language="de"), now=digest.end, site_url="https://example.org/i/")
    assert "3 Meldungen" in rendering.markdown and "3 stories" not in rendering.markdown
    assert "5. Januar 2026" in rendering.text
    assert "Diese Ausgabe im Web lesen" in rendering.email_html
    for page in (rendering.html, rendering.email_html):
        tree = html5lib.parse(page, namespaceHTMLElements=False)
        assert tree.get("lang") == "de"
    for english in ("Also covered", "Read this issue", "stories", "January"):
        assert english not in rendering.text, english


def test_the_automatic_section_name_is_translated() -> None:
    digest = make_digest(2, sections=("Top stories",))
    rendering = render(digest, env=environment(language="fr"), now=digest.end)
    assert "## À la une" in rendering.markdown
    assert "Top stories" not in rendering.markdown


def test_a_regional_tag_uses_its_language_catalog_and_its_own_dates() -> None:
    digest = make_digest(1)
    rendering = render(digest, env=environment(language="pt-BR"), now=digest.end)
    assert "1 notícia" in rendering.text
    tree = html5lib.parse(rendering.html, namespaceHTMLElements=False)
    assert tree.get("lang") == "pt-BR"


def test_a_language_without_a_catalog_falls_back_to_english_strings_with_its_own_dates() -> None:
    digest = make_digest(2)
    rendering = render(digest, env=environment(language="ja"), now=digest.end)
    assert "2 stories" in rendering.text
    assert "2026年1月5日" in rendering.text


def test_numbers_are_written_as_the_language_writes_them() -> None:
    assert i18n.format_number(12345, "de") == "12.345"
    assert i18n.format_number(12345, "en") == "12,345"


def test_a_theme_uses_the_same_gettext_and_keeps_what_no_catalog_knows(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "digest.txt.j2").write_text(
        '{{ _("Nothing new this week.") }}|{{ _("Our picks of the week") }}|'
        '{{ ngettext("%(num)s story", "%(num)s stories", digest.stories | length) }}\n',
        encoding="utf-8",
    )
    digest = make_digest(2)
    rendering = render(digest, env=environment(theme, language="es"), now=digest.end)
    assert rendering.text == "Nada nuevo esta semana.|Our picks of the week|2 noticias\n"


def test_a_value_inside_a_translated_string_is_escaped() -> None:
    # The catalogs ship with the package and are trusted; what a string interpolates (a section name a
    # config or a feed category gave) is escaped like any other value.
    hostile = '<img src=x onerror="alert(1)">'
    digest = make_digest(2, sections=(hostile, "Science"))
    rendering = render(digest, env=environment(language="de"), now=digest.end)
    assert "<img src=x" not in rendering.html
    assert 'aria-label="Link zu &lt;img src=x onerror=&#34;alert(1)&#34;&gt;"' in rendering.html


def test_the_site_is_in_the_readers_language(tmp_path: Path) -> None:
    env = environment(language="de")
    issues = [
        issue(make_digest(2, week=w), render(make_digest(2, week=w), env=env, now=datetime.now(UTC))) for w in (1, 0)
    ]
    site = build_site(
        issues, target=tmp_path / "site", env=env, site_title="Wochenblatt", base_url="", now=issues[0].end
    )
    archive = (site / "archive" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Archiv</h1>" in archive and "<title>Archiv · Wochenblatt</title>" in archive
    assert re.search(r'<html lang="de">', (site / "index.html").read_text(encoding="utf-8"))
    assert "Nichts gefunden" in (site / "search" / "search.js").read_text(encoding="utf-8")


def test_an_unknown_language_is_a_config_error(tmp_path: Path) -> None:
    path = write_config(tmp_path / "digest.toml", '[digest]\nlanguage = "klingon-x-1"\n')
    with pytest.raises(ConfigError, match=r"digest\.language"):
        load_config(path)
    assert load_config(write_config(tmp_path / "ok.toml", '[digest]\nlanguage = "de"\n')).digest.language == "de"


def test_a_story_in_several_languages_says_which_in_the_readers_language() -> None:
    digest = make_digest(1)
    (story,) = digest.stories
    lead, *others = story.articles
    articles = (replace(lead, language="de"), *(replace(a, language="en-GB") for a in others))
    story = replace(story, lead=articles[0], articles=articles)
    digest = replace(digest, sections=(replace(digest.sections[0], stories=(story,)),))
    english = render(digest, env=environment(), now=digest.end)
    german = render(digest, env=environment(language="de"), now=digest.end)
    assert "· German, English" in english.markdown and ", German, English" in english.text
    assert "· Deutsch, Englisch" in german.email_html and "· Deutsch, Englisch" in german.body_html
    one_language = render(make_digest(1), env=environment(), now=digest.end)
    assert "English" not in one_language.text
    # One stray article of many in another language (a short headline misread, most often) is not named.
    english_lead = replace(lead, language="en")
    stray = replace(others[0], language="pt")
    crowd = (english_lead, *(replace(a, language="en") for a in others * 10), stray)
    assert replace(story, lead=english_lead, articles=crowd).languages == ("en",)
    assert replace(story, lead=english_lead, articles=(english_lead, stray)).languages == ("en", "pt")
