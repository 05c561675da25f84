"""What a feed's own entity declarations would grow it to, judged before any parser expands them.

feedparser keeps the entities a DOCTYPE declares with a plain value and hands them to expat. One
such entity referenced a few thousand times grows an 11 KB feed to megabytes; past expat's
amplification limit expat stops, and feedparser re-reads the document with its loose parser, which
expands the same references without any limit (a 106 KB feed reached 5.9 GB). So the expanded size
counts against ``fetch.max_bytes`` like a decompressed body: each declared entity's value times its
references, added up here in linear time, before feedparser is called.
"""

from __future__ import annotations

import re

from ..errors import ParseError

__all__ = ["MAX_DECLARATIONS", "check_entities"]

# A DOCTYPE declaring more entities than this is no feed (feedparser's own patterns over the
# declarations cost their number times the prolog's length).
MAX_DECLARATIONS = 256

_CHARACTER = re.compile(rb"&#\w+;")
_DECLARATION = re.compile(rb"""<!ENTITY\s+%?\s*([^\s"'%>]+)\s+(?:"([^"]*)"|'([^']*)')""")
# Byte-order marks and the first bytes of "<?" in the encodings where ASCII is not ASCII.
_WIDE = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # EBCDIC, which feedparser reads too
)


def check_entities(data: bytes, *, location: str, max_bytes: int) -> None:
    """Raise :class:`ParseError` naming ``location`` when the feed's entities would expand it past ``max_bytes``.

    Declarations are looked for in the whole document, not only before its first element: a value
    holding ``<b>`` ends feedparser's idea of the prolog early, but expat still reads what follows.
    A reference inside another declaration's value is counted like one in the document: never less
    than what it grows.
    """
    text = _ascii_compatible(data)
    declared = text.count(b"<!ENTITY")
    if not declared:
        return
    if declared > MAX_DECLARATIONS:
        raise ParseError(
            f"declares {declared} entities (at most {MAX_DECLARATIONS} are read)",
            source=location,
            hint="not a feed but an attack on feed readers, or badly broken: tell its publisher",
        )
    size = len(data)
    for match in _DECLARATION.finditer(text):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if b"&" in value and not _CHARACTER.fullmatch(value):
            # feedparser drops an entity built of others (a billion laughs) before expat sees it; one it
            # cannot drop reaches expat whole, whose amplification limit stops it (then refused in feeds).
            continue
        name = match.group(1)
        size += text.count(b"&" + name + b";") * max(0, len(value) - len(name) - 2)
        if size > max_bytes:
            raise ParseError(
                f"its entities expand it past fetch.max_bytes ({max_bytes} bytes)",
                source=location,
                hint="an entity expansion attack on feed readers, or a broken feed: tell its publisher",
            )


def _ascii_compatible(data: bytes) -> bytes:
    """``data`` in an encoding where ``<!ENTITY`` is those ASCII bytes (UTF-8 for the wide ones)."""
    for start, codec in _WIDE:
        if data.startswith(start):
            return data.decode(codec, "replace").encode("utf-8")
    return data
