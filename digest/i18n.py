"""The reader's language: translated template strings, and dates and numbers written as that language writes them.

Strings go through gettext: the templates mark them with ``_()`` / ``ngettext()`` (``jinja2.ext.i18n``), and
the catalogs under ``digest/locale/<language>/LC_MESSAGES/digest.mo`` ship compiled inside the package, so
nothing is compiled or downloaded at run time. A language without a catalog, or a string a catalog lacks,
falls back to the English of the template. Dates and numbers use Babel's CLDR data, which knows every
language's month names and separators (``5. März 2026``, ``1.234``), catalog or not.

To add or update a catalog: ``scripts/translations`` (extract, update, compile; see its header).
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError

# babel.dates, babel.numbers and babel.support are imported where they are used: the config imports
# this module to check `language`, and a config error or a held lock should answer before they load.

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "N_",
    "format_date",
    "format_number",
    "is_known_language",
    "language_names",
    "locale",
    "translations",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "digest"


def N_(message: str) -> str:
    """Marks a string in Python code for the catalogs (``scripts/translations`` extracts it); returns it as is."""
    return message


def _identifier(language: str) -> str:
    # BCP 47 (``pt-BR``, what HTML's lang attribute takes) to a CLDR identifier (``pt_BR``).
    return language.strip().replace("-", "_")


def is_known_language(language: str) -> bool:
    """Whether Babel knows the language tag (catalog or not)."""
    try:
        Locale.parse(_identifier(language))
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


@functools.lru_cache(maxsize=16)
def locale(language: str) -> Locale:
    """The CLDR locale of a language tag; English for one Babel does not know (config refuses those)."""
    try:
        return Locale.parse(_identifier(language))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale("en")


@functools.lru_cache(maxsize=16)
def translations(language: str) -> gettext.NullTranslations:
    """The catalog for ``language`` (``pt-BR`` falls back to ``pt``), or none: English as the templates say it."""
    from babel.support import Translations

    return Translations.load(str(LOCALE_DIR), [_identifier(language)], DOMAIN)


def format_date(value: date | datetime, language: str, pattern: str = "long") -> str:
    """``value`` as ``language`` writes a date: ``long`` (``5 March 2026``, ``5. März 2026``), or a CLDR pattern.

    A pattern with ``%`` is a strftime format, as themes written before translations used it.
    """
    if "%" in pattern:
        return value.strftime(pattern)
    from babel.dates import format_date as babel_date

    return str(babel_date(value, format=pattern, locale=locale(language)))


def language_names(codes: Sequence[str], language: str) -> str:
    """``de``, ``en`` as ``language`` names them: "German, English"; "Deutsch, Englisch" in German."""
    reader = locale(language)
    names = []
    for code in codes:
        try:
            names.append(Locale.parse(_identifier(code)).get_display_name(reader) or code)
        except (UnknownLocaleError, ValueError, TypeError):
            names.append(code)
    return ", ".join(names)


def format_number(value: float, language: str) -> str:
    """``1,234`` in English, ``1.234`` in German, ``1 234`` in French."""
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=locale(language)))
