"""Lines that are no news: page furniture, live-blog stamps, and sentences that cannot open a summary.

Feed items carry more than their report: calls to action ("Sign up here…", "Folgen Sie uns…"),
live-blog stamps ("13 min: …", "8.12pm GMT"), "– live!" links to other blogs, picture credits and
"Related:" captions, lines of links and handles. Each is recognised by its form, not by its words
alone: an imperative of a call-to-action verb with a second signal (a "you", a "here", a link, a
newsletter), a clock time that opens the line, a live marker on a line that is no statement, a
caption label before a colon. The words those forms use are listed per language for every language
the digest ships a catalog for (en, de, fr, es, pt); a line is judged by all five, since a
misdetected language must not let furniture through.

A *dangling* sentence opens with a connective or a pronoun that refers back ("But…", "He said…",
"Aber…", "Mais…", "Pero…", "Mas…"): it reads well after its sentence before, never first. "This
week…" and its kin in each language (Babel's CLDR names for the current week, month, year…) are not
dangling.

:func:`article_kind` tells a news report from an opinion column, a live blog or a video page, by the
page's URL path, its categories and its title, so the summary can lead with the report.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..models import Article
from ..tokens import primary_language

__all__ = ["CATALOG_LANGUAGES", "NEWS", "article_kind", "is_dangling", "is_furniture", "is_stamped"]

CATALOG_LANGUAGES = ("en", "de", "fr", "es", "pt")
NEWS = "news"


def _split(words: str) -> frozenset[str]:
    return frozenset(words.split())


@dataclass(frozen=True, slots=True)
class _Words:
    """One language's words for the forms above, lower-case."""

    # Verbs whose imperative calls the reader to act (first person forms that fit "Sign up", "Suscríbete").
    calls: frozenset[str]
    # Second signals of a call to action: the reader addressed, "here", what one subscribes to.
    signals: frozenset[str]
    # Openers that refer back to an earlier sentence: connectives and pronouns (one or two words).
    dangling: frozenset[str]
    # Markers of a live blog in a line or a title.
    live: tuple[str, ...]
    # Labels of captions, credits and boxes before a colon ("Photograph:", "Lesen Sie auch:").
    captions: tuple[str, ...]
    # What opens a byline ("By", "Von", "Par", "Por") and joins its names ("and", "und", "et", "y", "e").
    byline: frozenset[str] = frozenset()
    joins: frozenset[str] = frozenset()


_LANGUAGES = {
    "en": _Words(
        calls=_split(
            "sign subscribe follow click tap email e-mail tweet share download register join watch "
            "listen read keep get visit check contact donate support find sign-up"
        ),
        signals=_split("you your yours here our us newsletter newsletters email e-mail podcast app alerts inbox"),
        dangling=_split(
            "but however and or so yet also still though meanwhile moreover furthermore "
            "additionally besides nevertheless nonetheless thus therefore hence instead then "
            "otherwise indeed likewise similarly consequently he she it they him them his her its "
            "their this that these those such"
        ),
        live=("live!", "– live", "- live", "live:", "live updates", "live blog", "liveblog", "as it happened"),
        captions=(
            "photograph",
            "photo",
            "picture",
            "pictured",
            "image",
            "video",
            "watch",
            "related",
            "read more",
            "see also",
            "credit",
        ),
        byline=_split("by"),
        joins=_split("and with"),
    ),
    "de": _Words(
        calls=_split(
            "melden abonnieren abonniere folgen folge klicken klicke tippen lesen lies laden "
            "registrieren schauen hören teilen besuchen unterstützen holen"
        ),
        signals=_split("sie du dein deine hier uns unser unseren newsletter abo app"),
        dangling=_split(
            "aber doch jedoch und oder auch dennoch trotzdem deshalb daher darum deswegen zudem "
            "außerdem allerdings stattdessen dabei dann er sie es ihm ihn ihnen sein seine ihre "
            "dies diese dieser dieses diesen solche"
        ),
        live=("live!", "– live", "- live", "liveticker", "live-ticker", "liveblog", "live-blog", "im ticker"),
        captions=("foto", "bild", "video", "mehr zum thema", "lesen sie auch", "lesen sie mehr", "quelle"),
        byline=_split("von"),
        joins=_split("und mit"),
    ),
    "fr": _Words(
        calls=_split(
            "abonnez-vous inscrivez-vous suivez-nous suivez cliquez téléchargez lisez retrouvez "
            "découvrez regardez écoutez partagez recevez rejoignez abonne-toi inscris-toi"
        ),
        signals=_split("vous votre vos tu ton ta ici nous notre nos newsletter lettre application"),
        dangling=_split(
            "mais cependant pourtant toutefois et ou donc alors aussi ainsi puis néanmoins il elle "
            "ils elles cela ceci ça celui celle ceux celles leur leurs ce cette ces"
        )
        | {"en outre", "de plus", "par ailleurs"},
        live=("en direct", "direct :", "live :", "live!", "– live"),
        captions=("photo", "vidéo", "image", "lire aussi", "à lire aussi", "voir aussi", "crédit"),
        byline=_split("par"),
        joins=_split("et avec"),
    ),
    "es": _Words(
        calls=_split(
            "suscríbete suscríbase síguenos haz haga pulsa pincha lee lea descarga descargue "
            "regístrate regístrese mira mire escucha comparte únete"
        ),
        signals=_split("tu tus te usted su aquí nuestro nuestra nuestros boletín newsletter app clic"),
        dangling=_split(
            "pero y o además también así entonces luego él ella ellos ellas esto eso este esta "
            "estos estas ese esa esos esas"
        )
        | {"sin embargo", "no obstante", "por eso", "por ello"},
        live=("en directo", "en vivo", "directo:", "live!"),
        captions=("foto", "fotografía", "imagen", "vídeo", "video", "lea también", "lee también", "ver también"),
        byline=_split("por"),
        joins=_split("y con"),
    ),
    "pt": _Words(
        calls=_split(
            "assine inscreva-se siga-nos clique toque leia baixe cadastre-se veja assista ouça "
            "compartilhe partilhe receba"
        ),
        signals=_split("você vocês seu sua teu tua aqui nosso nossa nossos newsletter app"),
        dangling=_split(
            "mas porém contudo entretanto e ou também assim então ele ela eles elas isso isto este "
            "esta esse essa estes estas esses essas"
        )
        | {"no entanto", "além disso", "por isso"},
        live=("ao vivo", "em direto", "live!"),
        captions=("foto", "imagem", "vídeo", "video", "leia mais", "leia também", "veja também", "saiba mais"),
        byline=_split("por"),
        joins=_split("e com"),
    ),
}

# A clock time or match minute opening a line: "13 min:", "45+2 min", "8.12pm GMT", "20:15 Uhr:", "20h15 :".
_STAMP = re.compile(
    r"^(?:\d{1,3}(?:\+\d{1,2})?\s*(?:min|mins|minutes?|minuto|minutos|['’])\s*[:–—-]"
    r"|\d{1,2}[.:h]\d{2}\s*(?:[ap]\.?m\.?|uhr|h)?(?:\s+[A-Z]{2,4})?\s*(?:[:–—-]|$)"
    r"|\d{1,2}[.:]\d{2}\s*[ap]\.?m\.?)",
    re.I,
)
# A line that is only a dateline: "Nova York, 24 set (EFE).", "LONDON (Reuters) -".
_DATELINE = re.compile(r"^[^.!?()]{0,60}\(\s*[A-Z][A-Za-z.]{1,9}\s*\)\W*$")
# A sentence a feed's teaser cut short: "… alegou sofrer perseguiç...", "… the council […]".
_CUT = re.compile(r"(?:\.\.\.|…|\[…\]|\[\.\.\.\])\W*$")
# Name particles a byline may hold in lower case ("Ana de la Cruz", "Jan van Dijk").
_PARTICLES = _split("de da do dos das del la le van von der den di du")
# The longest byline: a few names and their joins.
_BYLINE_WORDS = 10
_LINK = re.compile(r"https?://|www\.|\bpic\.twitter\.com|\S+@\S+\.\w|(?:^|\s)@\w{2,}", re.I)
_HASHTAG = re.compile(r"(?:^|\s)#\w")
_CLOSED = re.compile(r"[.?…。！？][\"'”’)\]」』）]*$")
# "Moments of protest – video": the title of another page on the same site, given as a link.
_MEDIA_SUFFIX = re.compile(
    r"\s[–—|-]\s*(?:video|audio|podcast|in pictures|gallery|vidéo|vídeo|fotos?|bilder)\W*$", re.I
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_PATH_SEGMENTS = {
    "opinion": _split(
        "commentisfree opinion opinions comment commentary editorial editorials column columns "
        "op-ed oped meinung kommentar kommentare standpunkt debatte tribune tribunes idees "
        "opinión opinion opiniao opinião opiniones"
    ),
    "live": _split(
        "live liveblog live-blog live-news live-updates liveticker live-ticker ticker "
        "en-direct direct directo en-vivo en-directo ao-vivo"
    ),
    "video": _split("video videos vidéo vídeo vídeos"),
}
# Categories a feed gives its opinion columns and live blogs, as the path segments above name them.
_CATEGORY_KINDS = {
    "opinion": _PATH_SEGMENTS["opinion"] | {"op-ed", "kolumne", "gastbeitrag"},
    "live": frozenset({"live", "liveblog", "live blog", "liveticker"}),
}


# Where readers are asked to follow, in every language.
_PLATFORMS = _split("instagram facebook twitter tiktok youtube whatsapp telegram linkedin threads bluesky")
# A pronoun joined to an imperative: French "-vous", "-nous", "-toi", Portuguese "-se", "-nos".
_CLITIC = re.compile(r"-(?:vous|nous|toi|se|nos|te|me)$")
# How far after a call-to-action verb its second signal must come.
_SIGNAL_WORDS = 12


def _first_words(text: str, count: int) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text[:200])[:count]]


def _calls_to_act(text: str, words: _Words) -> bool:
    """An imperative of a call-to-action verb (after "And"/"Please") that also addresses the reader or names a link."""
    opening = _first_words(text, 4)
    while opening and opening[0] in {"and", "please", "und", "bitte", "et", "y", "e"}:
        opening = opening[1:]
    if not opening or opening[0] not in words.calls:
        return False
    if _CLITIC.search(opening[0]):  # "Abonnez-vous", "Inscreva-se": the verb itself addresses the reader
        return True
    # The signal is looked for near the verb: a call to action says what it wants at once.
    near = set(_first_words(text, _SIGNAL_WORDS))
    return bool(near & (words.signals | _PLATFORMS)) or bool(_LINK.search(text))


def _is_caption(text: str, words: _Words) -> bool:
    label, colon, _ = text.partition(":")
    return bool(colon) and " ".join(_first_words(label, 4)) in words.captions


@functools.cache
def _live_marker(markers: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, markers)) + r")(?!\w)")


def _is_live(text: str, words: _Words) -> bool:
    """A live marker on a line that states nothing: no full stop at its end ("… – live!")."""
    lowered = text.casefold()
    closed = bool(_CLOSED.search(text)) and not lowered.endswith("!")
    return not closed and bool(_live_marker(words.live).search(lowered))


def _is_byline(text: str, words: _Words) -> bool:
    """ "By Ann Lee and Bo Kim", "Por Matt Spetalnick e Jason Szep": the opener, then names only."""
    tokens = text.rstrip(".").split()
    if not 2 <= len(tokens) <= _BYLINE_WORDS or tokens[0].casefold() not in words.byline:
        return False
    names = [t for t in tokens[1:] if t.casefold() not in words.joins | _PARTICLES]
    return bool(names) and all(t[:1].isupper() for t in names)


def is_stamped(line: str) -> bool:
    """Whether ``line`` opens with a clock time or match minute: a live-blog entry, every sentence of it."""
    return bool(_STAMP.match(line))


def is_furniture(text: str) -> bool:
    """Whether ``text`` is page furniture rather than a sentence of the report, in any catalog language.

    A sentence that opens in lower case ("the adult film star…") is a fragment, cut from a sentence whose
    start was taken for an end ("…Kimmel Live! the adult…"); "iPhone" and "eBay" still open sentences.
    So is one a teaser cut short ("…sofrer perseguiç..."), a dateline alone ("Nova York, 24 set (EFE).")
    and a byline ("Por Matt Spetalnick e Jason Szep").
    """
    if text[:2].isalpha() and text[:2].islower():
        return True
    if _STAMP.match(text) or (_LINK.search(text) and not _CLOSED.search(text)):
        return True
    if len(_HASHTAG.findall(text)) >= 2 or _MEDIA_SUFFIX.search(text) or len(_LINK.findall(text)) >= 2:
        return True
    if _DATELINE.match(text) or _CUT.search(text):
        return True
    return any(
        _calls_to_act(text, words) or _is_caption(text, words) or _is_live(text, words) or _is_byline(text, words)
        for words in _LANGUAGES.values()
    )


@functools.cache
def _this_time(language: str) -> tuple[str, ...]:
    """The language's "this week", "this year"… (CLDR), which open a sentence without referring back."""
    from babel import Locale, UnknownLocaleError

    try:
        fields = Locale.parse(language)._data["date_fields"]
    except (UnknownLocaleError, ValueError, KeyError):
        return ()
    names = []
    for unit in ("year", "quarter", "month", "week", "day", "mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        try:
            names.append(str(fields[unit]["relative"][0]).casefold())
        except KeyError:
            continue
    return tuple(names)


def is_dangling(text: str, language: str = "") -> bool:
    """Whether ``text`` opens with a word that refers back to a sentence before it (in its language, else English)."""
    primary = primary_language(language)
    words = _LANGUAGES.get(primary) or _LANGUAGES["en"]
    opening = _first_words(text, 2)
    if not opening:
        return False
    if opening[0] not in words.dangling and " ".join(opening) not in words.dangling:
        return False
    return not text.casefold().startswith(_this_time(primary if primary in _LANGUAGES else "en"))


def article_kind(article: Article) -> str:
    """``"news"``, or ``"opinion"``, ``"live"`` or ``"video"`` by the article's URL path, categories or title."""
    segments = {unquote(s).casefold() for s in urlsplit(article.url).path.split("/") if s}
    for kind, names in _PATH_SEGMENTS.items():
        if segments & names:
            return kind
    categories = {c.casefold().strip() for c in article.categories}
    for kind, names in _CATEGORY_KINDS.items():
        if categories & names:
            return kind
    title = " ".join(article.title.split())
    if _MEDIA_SUFFIX.search(title):
        return "video"
    if any(_is_live(title, words) for words in _LANGUAGES.values()):
        return "live"
    return NEWS
