"""Newsletters from an IMAP mailbox: each message of the window one article, the mailbox left as it was.

``imap = "imaps://me@mail.example.org/INBOX"`` (implicit TLS; ``imap://`` upgrades with STARTTLS and
fails without it), the password from the environment variable ``password_env`` names. Each message is
read by the ``.eml`` reader of saved folders (:func:`~.folders.read_message`); on top of that its HTML
part, when it has one, becomes the article text, its ``List-Id`` (else its sender) the source name,
and its "view in browser" link the article's URL. In a run each message is parsed in a worker process
as it arrives, within ``fetch.parse_seconds`` and ``fetch.parse_memory_mb`` (see :mod:`.workers`): one
hostile message is one problem naming its UID, and the mailbox's other messages are still read.

Read-only: the mailbox is opened with EXAMINE and messages fetched with ``BODY.PEEK[]``, so none is
marked seen, moved or changed. Bounded: at most ``max_messages`` a mailbox (the newest), none larger
than ``fetch.max_bytes`` (judged on ``RFC822.SIZE`` before the body is fetched), socket timeouts from
``[fetch]``. The server is reached only at an address the fetch policy allows (``fetch.allow_networks``),
the address judged being the one connected to, and its certificate is verified against the host name.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import imapclient
from imapclient.exceptions import IMAPClientError
from selectolax.lexbor import LexborHTMLParser

from ..clean import clean_article, clean_text
from ..config import FetchConfig, SourceConfig
from ..errors import FetchError, RefusedError, SourceError
from ..models import Article, Problem
from ..textutil import main_text, normalize_space
from ..urls import link_url
from .folders import read_message
from .guard import DestinationPolicy

__all__ = ["Mailbox", "ParseMessage", "message_article", "read_imap", "view_online_link"]

log = logging.getLogger(__name__)

# Bodies fetched per FETCH command: few round trips, yet no response much larger than max_bytes x this.
_BATCH = 8
# A newsletter nests three multipart levels or so (mixed > related > alternative), with a few parts each.
# Past this many multipart declarations the message is refused unparsed: the email package takes seconds
# over a few thousand nested ones, then fails with RecursionError.
_MAX_MULTIPARTS = 50
_MULTIPART = re.compile(rb"content-type:\s*multipart/", re.I)
# The words of a newsletter's "view in browser" link, in the languages of the shipped locales and a few
# more; matched against the anchor's whole text, case-folded.
_VIEW_ONLINE = re.compile(
    r"\b(view|read|open|see|display)\b.{0,30}\b(browser|online|web ?page|on the web)\b"
    r"|\bweb ?version\b|\bonline[- ]version\b"
    r"|\b(im|in ihrem|in deinem) browser\b|\bonline (ansehen|lesen|anzeigen)\b|\bweb-?version\b"
    r"|\b(voir|afficher|lire|ouvrir)\b.{0,30}\b(navigateur|en ligne)\b|\bversion (en ligne|web)\b"
    r"|\b(ver|abrir|leer|visualizar|mostrar)\b.{0,30}\b(navegador|en l[ií]nea|online)\b|\bversi[oó]n web\b"
    r"|\bvers[aã]o (web|online)\b|\bvisualizza\b.{0,30}\b(browser|online)\b|\bversione web\b"
    r"|\bbekijk\b.{0,30}\b(browser|online)\b|\bwebversie\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Mailbox:
    """Where an ``imap = …`` source points: the server, the user and the mailboxes to read."""

    host: str
    port: int
    user: str
    mailboxes: tuple[str, ...]
    starttls: bool

    @classmethod
    def of(cls, source: SourceConfig) -> Mailbox:
        parts = urlsplit(source.imap)  # checked by the config: a scheme, a host and a user
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(
            host=parts.hostname or "",
            port=parts.port or (993 if parts.scheme == "imaps" else 143),
            user=unquote(parts.username or ""),
            mailboxes=source.mailboxes or (folder,),
            starttls=parts.scheme == "imap",
        )


ParseMessage = Callable[[bytes, str], tuple[tuple[Article, bool] | None, list[Problem]]]
"""One fetched message's bytes and where it is (``imaps://host/INBOX;UID=7``) to its article, or ``None``,
and its problems: :func:`message_article` here, or the same in a worker process within its budgets."""


def read_imap(
    source: SourceConfig,
    *,
    fetch: FetchConfig,
    start: datetime,
    now: datetime,
    env: Mapping[str, str],
    ca_file: Path | None = None,
    problems: list[Problem],
    parse: ParseMessage | None = None,
) -> list[tuple[Article, bool]]:
    """The messages of ``source``'s mailboxes since ``start``, as articles; blocking (run it in a thread).

    A message that cannot be read, or is too large, is one problem in ``problems``; a server that cannot
    be reached or refuses the login raises :class:`SourceError` for the whole source. Each message is
    read by ``parse`` as it arrives (by default :func:`message_article`, in this thread).
    """
    if parse is None:
        parse = functools.partial(_parse_here, source=source, now=now)
    where = source.imap
    box = Mailbox.of(source)
    password = env.get(source.password_env, "")
    if not password:
        raise SourceError(
            f"the environment variable {source.password_env} is not set",
            source=where,
            hint="export it with the mailbox's password (password_env names it)",
        )
    address = _allowed_address(box, DestinationPolicy.from_strings(fetch.allow_networks), where)
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if ca_file:
        context.load_default_certs()  # the CA file is trusted besides the system's, not instead
    try:
        with _connect(box, address, context, fetch) as client:
            client.login(box.user, password)
            return _read_mailboxes(client, box, source, fetch=fetch, start=start, parse=parse, problems=problems)
    except IMAPClientError as exc:
        raise FetchError(f"IMAP server refused: {_reason(exc)}", source=where, hint=_imap_hint(exc)) from exc
    except ssl.SSLError as exc:
        raise FetchError(
            f"TLS failed: {exc.reason or exc}",
            source=where,
            hint="is the certificate valid for the host? for a self-hosted CA, set ca_file",
        ) from exc
    except TimeoutError as exc:
        raise FetchError("timed out", source=where, hint="the server is slow; raise fetch.timeout") from exc
    except OSError as exc:
        raise FetchError(
            f"cannot connect: {exc.strerror or exc}", source=where, hint="check the host and port"
        ) from exc


def _read_mailboxes(
    client: imapclient.IMAPClient,
    box: Mailbox,
    source: SourceConfig,
    *,
    fetch: FetchConfig,
    start: datetime,
    parse: ParseMessage,
    problems: list[Problem],
) -> list[tuple[Article, bool]]:
    found: list[tuple[Article, bool]] = []
    for mailbox in box.mailboxes:
        try:
            found += _read_mailbox(client, mailbox, source, fetch=fetch, start=start, parse=parse, problems=problems)
        except IMAPClientError as exc:  # one mailbox missing: the others are still read
            hint = "check the mailbox names (mailboxes, or the URL's path)"
            problems.append(Problem(f"{source.imap} ({mailbox})", f"IMAP server refused: {_reason(exc)}", hint))
    return found


def _allowed_address(box: Mailbox, guard: DestinationPolicy, where: str) -> str:
    """The first address of the host the fetch policy allows; connecting to it, not the name, leaves no rebinding."""
    try:
        infos = socket.getaddrinfo(box.host, box.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"cannot resolve {box.host}: {exc}", source=where, hint="check the host name") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    allowed = [a for a in addresses if guard.allows(a)]
    if not allowed:
        network = f"{addresses[0]}/{128 if ':' in addresses[0] else 32}"
        raise RefusedError(
            f"refused: {box.host} resolves to {addresses[0]}, a private or reserved address",
            source=where,
            address=addresses[0],
            hint=f'to read it, allow its network in fetch.allow_networks (e.g. ["{network}"])',
        )
    return allowed[0]


class _ServerName:
    """An SSL context that checks the certificate against the host name while the socket goes to its address."""

    def __init__(self, context: ssl.SSLContext, name: str) -> None:
        self._context = context
        self._name = name

    def wrap_socket(self, sock: socket.socket, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        kwargs["server_hostname"] = self._name
        return self._context.wrap_socket(sock, *args, **kwargs)


def _connect(box: Mailbox, address: str, context: ssl.SSLContext, fetch: FetchConfig) -> imapclient.IMAPClient:
    tls = cast(ssl.SSLContext, _ServerName(context, box.host))
    timeout = imapclient.SocketTimeout(connect=fetch.connect_timeout, read=fetch.timeout)
    client = imapclient.IMAPClient(address, box.port, ssl=not box.starttls, ssl_context=tls, timeout=timeout)
    if box.starttls:
        try:
            client.starttls(tls)  # raises when the server offers none: the password never goes in the clear
        except BaseException:
            client.shutdown()
            raise
    return client


def _read_mailbox(
    client: imapclient.IMAPClient,
    mailbox: str,
    source: SourceConfig,
    *,
    fetch: FetchConfig,
    start: datetime,
    parse: ParseMessage,
    problems: list[Problem],
) -> list[tuple[Article, bool]]:
    parts = urlsplit(source.imap)
    where = f"{parts.scheme}://{parts.netloc}/{mailbox}"
    client.select_folder(mailbox, readonly=True)  # EXAMINE: nothing in the mailbox can change
    uids = sorted(client.search(_criteria(start, source.senders)))
    if len(uids) > source.max_messages:
        problems.append(
            Problem(
                where,
                f"{len(uids) - source.max_messages} older messages of the window not read",
                f"only the newest {source.max_messages} are; raise max_messages",
            )
        )
        uids = uids[-source.max_messages :]
    sizes = client.fetch(uids, ["RFC822.SIZE"]) if uids else {}
    wanted = []
    for uid in uids:
        size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
        if size > fetch.max_bytes:
            message = f"message of {size} bytes, larger than {fetch.max_bytes}: skipped"
            problems.append(Problem(f"{where};UID={uid}", message, "raise fetch.max_bytes if it is really that large"))
        else:
            wanted.append(uid)
    found = []
    for batch in _batches(wanted, _BATCH):
        for uid, data in sorted(client.fetch(batch, ["BODY.PEEK[]"]).items()):
            raw = data.get(b"BODY[]")
            if not isinstance(raw, bytes) or len(raw) > fetch.max_bytes:
                problems.append(Problem(f"{where};UID={uid}", "message body missing or too large: skipped"))
                continue
            article, noted = parse(raw, f"{where};UID={uid}")
            problems.extend(noted)
            if article is not None:
                found.append(article)
    return found


def _criteria(start: datetime, senders: Sequence[str]) -> list[Any]:
    """SINCE the window's first day (IMAP dates have no time), from any of ``senders`` when given."""
    criteria: list[Any] = ["SINCE", start.date()]
    for n, sender in enumerate(senders):
        criteria += (["OR"] if n < len(senders) - 1 else []) + ["FROM", sender]
    return criteria


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def message_article(
    raw: bytes, *, where: str, source: SourceConfig, now: datetime
) -> tuple[tuple[Article, bool] | None, list[Problem]]:
    """One fetched message as an article (``None`` when it cannot be read), and its problems."""
    problems: list[Problem] = []
    return _newsletter(raw, where=where, source=source, now=now, problems=problems), problems


def _parse_here(
    raw: bytes, where: str, *, source: SourceConfig, now: datetime
) -> tuple[tuple[Article, bool] | None, list[Problem]]:
    return message_article(raw, where=where, source=source, now=now)


def _newsletter(
    raw: bytes, *, where: str, source: SourceConfig, now: datetime, problems: list[Problem]
) -> tuple[Article, bool] | None:
    """One message as an article, or ``None`` with a problem: a hostile message costs itself only."""
    noted: list[SourceError] = []
    multiparts = len(_MULTIPART.findall(raw))
    if multiparts > _MAX_MULTIPARTS:
        problems.append(Problem(where, f"message with {multiparts} multipart parts: skipped", "not a newsletter"))
        return None
    try:
        fallback = source.name or urlsplit(source.imap).hostname or "mail"
        article, dated = read_message(raw, where=where, source=fallback, now=now, problems=noted)
        message = BytesParser(policy=policy.default).parsebytes(raw)
        html = clean_text(_html(message))
        text = main_text(html) if html else ""
        url = view_online_link(html) if html else ""
        article = clean_article(
            replace(
                article,
                id=_message_id(message, raw),
                url=url or article.url,
                text=text if len(text) > len(article.text) else article.text,
                source=_source_name(message) or article.source,
                categories=(source.category,) if source.category else (),
            )
        )
    except SourceError as exc:
        problems.append(Problem(where, exc.message, "skipped; the others are read"))
        return None
    except (RecursionError, LookupError, ValueError, UnicodeError, TypeError, AttributeError) as exc:
        # The email package meets what a stranger can send (nesting thousands deep, a charset that does
        # not exist, a header that is not one): that message is dropped, the others are read.
        problems.append(Problem(where, f"cannot read message: {type(exc).__name__}", "skipped; the others are read"))
        return None
    problems.extend(Problem(where, e.message, e.hint) for e in noted)
    return article, dated


def _html(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    if body is None:
        return ""
    content = body.get_content()
    return content if isinstance(content, str) else ""


def view_online_link(html: str) -> str:
    """The http(s) target of the first anchor whose text reads "view in browser" (or "Webversion", …)."""
    tree = LexborHTMLParser(html)
    for anchor in tree.css("a[href]"):
        words = normalize_space(anchor.text(separator=" ")).casefold()
        if 0 < len(words) <= 80 and _VIEW_ONLINE.search(words):
            url = link_url(anchor.attributes.get("href") or "")
            if url.startswith(("https://", "http://")):
                return url
    return ""


def _message_id(message: EmailMessage, raw: bytes) -> str:
    """``message-id:`` and a hash of the Message-ID, the same in every mailbox and run; else of the bytes."""
    mid = normalize_space(str(message.get("message-id") or "")).strip("<>").casefold()
    if mid:
        return "message-id:" + hashlib.sha256(mid.encode("utf-8", "replace")).hexdigest()[:32]
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:32]


def _source_name(message: EmailMessage) -> str:
    """The list's name from ``List-Id`` ("Harbor Weekly <harbor.example.org>"), else the sender's name or address."""
    list_id = normalize_space(str(message.get("list-id") or ""))
    if list_id:
        name, ident = parseaddr(list_id)
        return (name or ident or list_id.strip("<>"))[:100]
    senders = getaddresses([str(message.get("from") or "")])
    if senders:
        name, address = senders[0]
        return (name or address)[:100]
    return ""


def _reason(exc: Exception) -> str:
    return normalize_space(str(exc))[:200]


def _imap_hint(exc: IMAPClientError) -> str:
    if "login" in type(exc).__name__.casefold() or "authentication" in str(exc).casefold():
        return "check the user in the URL and the password in the environment variable password_env names"
    if "starttls" in str(exc).casefold() or "tls" in type(exc).__name__.casefold():
        return "the server offers no STARTTLS: use imaps:// (implicit TLS)"
    return "the server answered with an error; try again next run"
