"""Every date digest reads from outside: feed dates, front matter, email and HTTP headers, the command line.

One module so that one date never reads two ways. Each function returns an aware UTC datetime, or
``None`` for text that is no date (the caller reports that, naming the item, and falls back to the
time the article was first seen); none of them guesses from part of a date or from words such as
"yesterday", which would be read against the clock of the machine rather than the run's ``now``.

Order of trust: ISO 8601 / RFC 3339, then RFC 2822 (what RSS and email use), then feedparser's own
reading of the many older feed formats, and last dateparser, which knows month and day names in
some 200 languages (``Seg, 24 Set 2018 19:42:40 -0300`` from a Portuguese feed).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

__all__ = ["DateBudget", "from_struct", "from_value", "http_date", "iso_datetime", "parse_date"]

UTC = dt.UTC
# Longer text is no date; dateparser's regular expressions should never see a hostile megabyte.
_MAX_CHARS = 200
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?![A-Za-z])")
_SETTINGS = {
    "RETURN_AS_TIMEZONE_AWARE": True,
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    # Day, month and year must all be there: "March 2024" is not a date to sort a week by.
    "STRICT_PARSING": True,
    # No "2 days ago", no bare Unix timestamps: only dates written as dates.
    "PARSERS": ["absolute-time"],
    "PREFER_DAY_OF_MONTH": "first",
}


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def iso_datetime(text: str) -> dt.datetime | None:
    """An ISO 8601 / RFC 3339 date or time (``Z`` or ``z`` for UTC); a bare date is midnight UTC."""
    text = text.strip()
    if not text or len(text) > _MAX_CHARS or not text[:4].isdigit():
        return None
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    try:
        return _utc(dt.datetime.fromisoformat(text))
    except ValueError:
        return None


def http_date(text: str) -> dt.datetime | None:
    """An RFC 2822 / RFC 9110 date (``Tue, 17 Nov 2026 14:00:00 GMT``), as in RSS, email and HTTP headers."""
    text = text.strip()
    if not text or len(text) > _MAX_CHARS:
        return None
    try:
        return _utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def from_struct(stamp: Any) -> dt.datetime | None:
    """A UTC ``time.struct_time`` (what feedparser's ``*_parsed`` fields hold) as a datetime."""
    if not isinstance(stamp, time.struct_time | tuple) or not stamp:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(stamp), UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def parse_date(text: str, *, languages: Sequence[str] = (), names: bool = True) -> dt.datetime | None:
    """``text`` as a date, written in any common format and, besides English, in ``languages``.

    ``languages`` are language tags (``pt-BR``, ``de``): the names of months and days in them are
    read too. Without any, dateparser detects the language, which is slower and can pick wrongly.
    ``names=False`` skips that last, costly step (some milliseconds a date; see :class:`DateBudget`).
    """
    text = " ".join(text.split())
    if not text or len(text) > _MAX_CHARS:
        return None
    found = iso_datetime(text) or http_date(text)
    if found is not None or not names:
        return found
    codes = tuple(dict.fromkeys(m.group(0).lower() for tag in languages if (m := _LANGUAGE.match(tag.strip()))))
    parser = _parser((*codes, "en") if codes else ())
    if parser is None:
        parser = _parser(("en",))
    if parser is None:  # pragma: no cover - English is always known
        return None
    try:
        found = parser.get_date_data(text).date_obj
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None
    return _utc(found) if isinstance(found, dt.datetime) else None


class DateBudget:
    """How many dates of one document may still go to dateparser.

    dateparser takes milliseconds a date (tens when it must detect the language, or fails), so a
    hostile feed of ten thousand odd dates could hold a worker for minutes. A feed gets ``calls``
    of them, and gives up on them after ``failures`` dates none of its languages could read.
    """

    def __init__(self, calls: int = 200, failures: int = 10) -> None:
        self.calls = calls
        self.failures = failures

    def parse(self, text: str, *, languages: Sequence[str] = ()) -> dt.datetime | None:
        names = self.calls > 0 and self.failures > 0
        found = parse_date(text, languages=languages, names=names)
        if names:
            self.calls -= 1
            self.failures -= found is None
        return found


@cache
def _parser(languages: tuple[str, ...]) -> Any:
    """A dateparser parser for these languages (built once: building one costs more than a parse)."""
    import dateparser  # here: the command parses --now with this module and must not wait for dateparser

    try:
        return dateparser.DateDataParser(languages=list(languages) or None, settings=_SETTINGS)
    except ValueError:  # a language dateparser does not know: try without the unknown ones
        known = tuple(code for code in languages if _known(code))
        return dateparser.DateDataParser(languages=list(known), settings=_SETTINGS) if known else None


def _known(code: str) -> bool:
    import dateparser

    try:
        dateparser.DateDataParser(languages=[code])
    except ValueError:
        return False
    return True


def from_value(value: object, *, languages: Sequence[str] = ()) -> dt.datetime | None:
    """A date as a YAML or TOML parser hands it over: a datetime, a date, or text (``January 5, 2024``)."""
    if isinstance(value, dt.datetime):
        return _utc(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        return parse_date(value, languages=languages)
    return None
