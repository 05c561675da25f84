"""Each reader's copy of the issue: ``To`` them, and their own unsubscribe link in the headers and the footer.

``List-Unsubscribe`` (RFC 2369) carries the mailto and the URL; an https URL also gets RFC 8058's
one-click ``List-Unsubscribe-Post``, which mail providers POST to instead of opening a browser. A URL
naming ``{recipient}`` becomes each reader's own where a message goes to one reader (``mode = "each"``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from email.message import EmailMessage
from urllib.parse import quote

from markupsafe import escape

from ..addresses import envelope, header
from ..config import EmailConfig
from ..escape import text_url
from ..textutil import safe_url

__all__ = ["addressed", "reaches_unsubscribe", "readdress", "set_to", "set_unsubscribe", "unsubscribe_link"]


def set_unsubscribe(message: EmailMessage, config: EmailConfig, recipient: str = "") -> None:
    """(Re)set ``List-Unsubscribe`` and, for an https URL, RFC 8058's one-click ``List-Unsubscribe-Post``.

    A URL naming ``{recipient}`` is left out when there is no single recipient (Bcc, the outbox copy).
    """
    for name in ("List-Unsubscribe", "List-Unsubscribe-Post"):
        del message[name]
    targets = []
    if config.unsubscribe_mailto:
        targets.append(f"<mailto:{envelope(config.unsubscribe_mailto.removeprefix('mailto:'))}?subject=unsubscribe>")
    url = config.unsubscribe_url
    if url and (recipient or "{recipient}" not in url):
        targets.append(f"<{url.replace('{recipient}', quote(envelope(recipient), safe=''))}>")
    if targets:
        message["List-Unsubscribe"] = ", ".join(targets)
    if targets and targets[-1].startswith("<https://"):
        # One click: mail providers POST to the URL instead of opening it in a browser.
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"


def reaches_unsubscribe(config: EmailConfig) -> bool:
    """Whether every message carries a way to unsubscribe (a ``{recipient}`` URL needs one reader a message)."""
    url = config.unsubscribe_url
    return bool(config.unsubscribe_mailto) or (bool(url) and (config.mode == "each" or "{recipient}" not in url))


def unsubscribe_link(config: EmailConfig) -> str:
    """The unsubscribe link the message body shows, or none; a ``{recipient}`` URL only when each reader gets
    a message of their own, which :func:`readdress` gives their own URL."""
    url = config.unsubscribe_url
    if url and ("{recipient}" not in url or config.mode == "each"):
        return url  # a "{recipient}" in it is each reader's address in the message sent (see readdress)
    if config.unsubscribe_mailto:
        return "mailto:" + envelope(config.unsubscribe_mailto.removeprefix("mailto:")) + "?subject=unsubscribe"
    return ""


def set_to(message: EmailMessage, recipients: Sequence[str]) -> None:
    del message["To"]
    message["To"] = [header(r) for r in recipients] if recipients else "undisclosed-recipients:;"


def readdress(message: EmailMessage, config: EmailConfig, batch: Sequence[str]) -> None:
    """Address ``message`` as it goes to ``batch``: one reader in ``"each"`` mode (``To:`` them, and their
    own unsubscribe URL, in the header and the footer), else nobody named (``undisclosed-recipients``).

    The footer is personal once only: readdress a fresh copy of the composed message (:func:`addressed`).
    """
    reader = batch[0] if config.mode == "each" and batch else ""
    set_to(message, (reader,) if reader else ())
    set_unsubscribe(message, config, reader)
    if reader:
        _personal_footer(message, config.unsubscribe_url, reader)


def _personal_footer(message: EmailMessage, url: str, recipient: str) -> None:
    """Put ``recipient``'s own unsubscribe URL in the footer, where the rendering put the ``{recipient}`` one.

    Only the configured URL, exactly as the templates wrote it, is replaced: an article's link that
    names ``{recipient}`` is never given the reader's address.
    """
    if "{recipient}" not in url:
        return
    mine = url.replace("{recipient}", quote(envelope(recipient), safe=""))
    forms = {
        "plain": (text_url(url), text_url(mine)),
        "html": (str(escape(safe_url(url))), str(escape(safe_url(mine)))),
    }
    for part in message.walk():
        subtype = part.get_content_subtype()
        if part.get_content_maintype() != "text" or subtype not in forms or not isinstance(part, EmailMessage):
            continue
        old, new = forms[subtype]
        content = part.get_content()
        if old and old in content:
            cte = part["Content-Transfer-Encoding"]
            part.set_content(content.replace(old, new), subtype=subtype, cte=str(cte) if cte else None)


def addressed(message: EmailMessage, config: EmailConfig, batch: Sequence[str]) -> EmailMessage:
    """A copy of ``message`` with the headers it has on its way to ``batch`` (see :func:`readdress`)."""
    copied = copy.deepcopy(message)
    readdress(copied, config, batch)
    return copied
