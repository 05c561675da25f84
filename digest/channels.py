"""Posting a compact form of each issue where teams read: chat rooms and notification services, via Apprise.

Apprise (a maintained library that speaks to over a hundred services, each named by a URL such as
``slack://…``, ``matrixs://…`` or ``json://host/path``) does the talking; this module decides what is
said and whether it may be said:

- :func:`render_post` renders the theme's ``channel.md.j2``: the title, the week, the first ``top``
  headlines with their links and how many outlets covered each, and the link to the issue on the site.
  A service's message limit (Apprise's per-service ``body_maxlen``) is met by dropping whole headlines
  from the tail, never by cutting the text, so no link is ever cut in half.
- :func:`refused` applies the fetch address policy to a channel URL whose host is written as an
  address (or ``localhost``): one that is not public and not in ``fetch.allow_networks`` is refused,
  as a feed there would be. Host *names* are not resolved here (a channel URL comes from the
  operator's environment, not from a feed; many services' URLs carry a token where the host would be).
- :func:`post` sends one post and says whether the service took it, and if not, why (without the URL,
  which carries the channel's secret).

Apprise is an optional dependency (``pip install 'digest-news[channels]'``): a config with
``[[channels]]`` and no Apprise installed is refused when it is loaded.
"""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import jinja2

from .config import ChannelConfig
from .errors import ConfigError
from .escape import markdown_text
from .models import Digest
from .render import render_template
from .sources.guard import DestinationPolicy

__all__ = [
    "FALLBACK_LIMIT",
    "TEMPLATE",
    "Post",
    "Posted",
    "apprise_installed",
    "body_limit",
    "chat_text",
    "post",
    "refused",
    "render_post",
    "urls",
]

log = logging.getLogger(__name__)

TEMPLATE = "channel.md.j2"

# The limit a post is cut to when the channel's URL is not known when the issue is stored (its variable
# unset): Discord's, the smallest of the common chat services.
FALLBACK_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Post:
    """What one channel is sent for one issue: stored with the issue, posted as stored."""

    channel: str
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class Posted:
    """Whether a channel took its post, and if not why."""

    channel: str
    accepted: bool
    reason: str = ""


def apprise_installed() -> bool:
    return importlib.util.find_spec("apprise") is not None


def _apprise() -> ModuleType:
    try:
        return importlib.import_module("apprise")
    except ImportError as exc:
        raise ConfigError(
            "[[channels]] need the apprise package", key="channels", hint="pip install 'digest-news[channels]'"
        ) from exc


def body_limit(url: str, title: str) -> int:
    """Characters the service at ``url`` takes in a message body, the title's share taken off where it is merged in.

    :data:`FALLBACK_LIMIT` for a URL Apprise does not know (the post then fails when it is sent, and says why).
    """
    if not url:
        return FALLBACK_LIMIT
    service: Any = _apprise().Apprise.instantiate(url)
    if service is None:
        return FALLBACK_LIMIT
    limit = int(service.body_maxlen)
    # A service without a title of its own gets the title as the first line of the body.
    return limit - (len(title) + 2) if int(service.title_maxlen) <= 0 else limit


def render_post(
    env: jinja2.Environment,
    digest: Digest,
    *,
    channel: ChannelConfig,
    title: str,
    issue_url: str,
    limit: int,
    held: bool = False,
) -> Post:
    """The channel's post for ``digest``: as many of its first ``channel.top`` headlines as fit ``limit`` characters.

    ``held``: the preview of an issue waiting for approval (an editors' channel), which says so.
    """
    stories = digest.stories[: channel.top]
    body = ""
    for keep in range(len(stories), -1, -1):
        body = render_template(
            env,
            TEMPLATE,
            digest=digest,
            stories=stories[:keep],
            omitted=len(digest.stories) - keep,
            issue_url=issue_url,
            held=held,
            chat_text=chat_text,
        ).strip()
        if len(body) <= limit:
            break
    # Not even the title and the link fit: sent all the same, the service shortens it as it does.
    return Post(channel.key, title, body)


def chat_text(text: str) -> str:
    """``text`` as :func:`~digest.escape.markdown_text` writes it, its angle brackets made look-alikes.

    Slack and its kin read ``<@U123>``, ``<!channel>`` and ``<url|text>`` as mentions and links even in
    escaped Markdown: a headline from a feed must not ping a whole room.
    """
    return markdown_text(text.replace("<", "\u2039").replace(">", "\u203a"))


def refused(url: str, allow_networks: Sequence[str]) -> str:
    """Why the fetch address policy refuses ``url``'s host, or ``""``.

    Only a host written as an address (or ``localhost``) is checked; a host name is not resolved.
    """
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    address = "127.0.0.1" if host == "localhost" else host
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return ""
    if DestinationPolicy.from_strings(allow_networks).allows(address):
        return ""
    return f"the channel's address {host} is not public and not in fetch.allow_networks"


def post(url: str, item: Post, *, allow_networks: Sequence[str] = ()) -> Posted:
    """Send ``item`` to the service at ``url``; whether it took it, never raising for the service's failure."""
    if not url:
        return Posted(item.channel, False, "its URL variable is not set")
    why = refused(url, allow_networks)
    if why:
        return Posted(item.channel, False, why)
    apprise: Any = _apprise()
    sender = apprise.Apprise()
    if not sender.add(url):
        return Posted(item.channel, False, "not a URL the installed Apprise knows")
    result = sender.notify(body=item.body, title=item.title, body_format=apprise.NotifyFormat.MARKDOWN)
    if result:
        return Posted(item.channel, True)
    return Posted(item.channel, False, _reason(result, url))


def _reason(result: Any, url: str) -> str:
    """The service's last complaint, as Apprise logged it, with nothing of the URL in it."""
    messages = [str(e.message) for e in result.logs() if str(e.level) in ("WARNING", "ERROR")]
    reason = messages[-1] if messages else "the service did not take the post"
    for secret in _secrets(url):
        reason = reason.replace(secret, "***")
    return " ".join(reason.split())[:300]


def _secrets(url: str) -> list[str]:
    """The parts of ``url`` that may be secret: the whole, its path segments, its user and password."""
    parts = urlsplit(url)
    pieces = [url, *(p for p in parts.path.split("/") if len(p) >= 6)]
    pieces += [p for p in (parts.username, parts.password) if p]
    return sorted(pieces, key=len, reverse=True)


def urls(channels: Sequence[ChannelConfig], env: Mapping[str, str]) -> dict[str, str]:
    """Each channel's URL from its variable; ``""`` where it is unset."""
    return {c.key: env.get(c.url_env, "").strip() for c in channels}
