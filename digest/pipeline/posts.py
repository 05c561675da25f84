"""The run's channel posts: rendered with the issue, stored with it, posted once the site is published.

A post is rendered when the issue is stored (``pending`` or ``held``), sized for the service its URL
names, and stored in the same transaction; from then on the stored post is what is sent, by this run
or the next. Each post is recorded 'sent' as soon as its service took it, so a later run posts only
to the channels that did not take theirs: a post is never made twice for one issue, except when the
run dies between the service's answer and that record (the same window an email has).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from .. import channels, render
from ..config import ChannelConfig, Config
from ..models import Digest, Problem
from ..store import StoredPost
from .context import Context

__all__ = ["issue_url", "post_pending", "posts_for", "preview_posts", "send_previews"]

log = logging.getLogger(__name__)


def issue_url(config: Config, digest_id: str) -> str:
    """The issue's page on the site, or ``""`` without ``site.base_url``."""
    return f"{config.site.base_url.rstrip('/')}/issues/{digest_id}/" if config.site.base_url else ""


def _rendered(ctx: Context, digest: Digest, wanted: Sequence[ChannelConfig], *, held: bool) -> list[StoredPost]:
    config = ctx.config
    theme = config.resolve(config.digest.theme) if config.digest.theme else None
    env = render.environment(theme, language=config.digest.language)
    digest = render.localized(digest, env)
    title = config.email.subject.format(title=digest.title, week=digest.id)
    urls = channels.urls(wanted, ctx.services.env)
    made = []
    for channel in wanted:
        limit = channels.body_limit(urls[channel.key], title)
        item = channels.render_post(
            env, digest, channel=channel, title=title, issue_url=issue_url(config, digest.id), limit=limit, held=held
        )
        made.append(StoredPost(digest.id, item.channel, item.title, item.body))
    return made


def posts_for(ctx: Context, digest: Digest) -> list[StoredPost]:
    """The issue's post for each readers' channel, ready to store with it."""
    return _rendered(ctx, digest, [c for c in ctx.config.channels if not c.preview], held=False)


def preview_posts(ctx: Context, digest: Digest) -> list[StoredPost]:
    """The preview of a held issue for each editors' channel (``preview = true``); never stored."""
    return _rendered(ctx, digest, [c for c in ctx.config.channels if c.preview], held=True)


def send_previews(ctx: Context, posts: Sequence[StoredPost]) -> list[Problem]:
    """Post each preview once; what failed is a problem to report, not retried (the issue waits regardless)."""
    urls = channels.urls(ctx.config.channels, ctx.services.env)
    problems = []
    for item in posts:
        result = channels.post(
            urls[item.channel],
            channels.Post(item.channel, item.title, item.body),
            allow_networks=ctx.config.fetch.allow_networks,
        )
        if not result.accepted:
            problems.append(Problem(f"channel {item.channel}", f"preview not posted: {result.reason}", "check its URL"))
    return problems


def post_pending(ctx: Context, digest_id: str, now: datetime, posted: list[str], problems: list[Problem]) -> bool:
    """Post the issue's stored posts that no service took yet; False while one is left to try again.

    A post for a channel since removed from the config is dropped (the way to give up on a channel).
    """
    config, store = ctx.config, ctx.store
    waiting = [p for p in store.channels.posts(digest_id) if p.state == "pending"]
    configured = {c.key for c in config.channels if not c.preview}
    gone = [p for p in waiting if p.channel not in configured]
    if gone:
        with store.transaction():
            for item in gone:
                store.channels.record(
                    digest_id, item.channel, state="dropped", at=now, detail="no longer in [[channels]]"
                )
    urls = channels.urls(config.channels, ctx.services.env)
    done = True
    for item in (p for p in waiting if p.channel in configured):
        ctx.reached("post", f"{digest_id} to {item.channel}")
        result = channels.post(
            urls[item.channel],
            channels.Post(item.channel, item.title, item.body),
            allow_networks=config.fetch.allow_networks,
        )
        if not result.accepted:
            log.error("post of %s to %s failed: %s", digest_id, item.channel, result.reason)
            problems.append(Problem(f"channel {item.channel}", result.reason, "the next run retries"))
            with store.transaction():
                store.channels.record(digest_id, item.channel, state="pending", at=now, detail=result.reason)
            done = False
            continue
        ctx.reached("posted", f"{digest_id} to {item.channel}")
        with store.transaction():
            store.channels.record(digest_id, item.channel, state="sent", at=now)
        posted.append(item.channel)
    return done
