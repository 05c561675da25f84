"""Channel posts and issues held for approval: the outbox's two additions.

A channel post is stored with its issue (the exact title and body, rendered once) and is 'pending'
until the service took it ('sent'), or the channel left the config ('dropped'). An issue held for
approval is stored like a pending one, message and articles included, in the state 'held': no run
resumes it until :meth:`ApprovalRepository.approve` makes it 'pending' (or :meth:`~ApprovalRepository.reject`
makes it 'rejected': never sent, its articles left unseen for a later issue).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .core import Repository
from .migrations import CHANNEL_POSTS

__all__ = ["CHANNEL_STATES", "ApprovalRepository", "ChannelRepository", "HeldIssue", "StoredPost"]

CHANNEL_STATES = ("pending", "sent", "dropped")


@dataclass(frozen=True, slots=True)
class StoredPost:
    """One issue's post to one channel, as stored."""

    digest_id: str
    channel: str
    title: str
    body: str
    state: str = "pending"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class HeldIssue:
    """An issue waiting for an editor's approval, and since when."""

    id: str
    title: str
    held_at: datetime


class ChannelRepository(Repository):
    """This digest's channel posts."""

    def save(self, posts: Iterable[StoredPost], *, at: datetime) -> None:
        """Store each issue's posts 'pending'; a post already stored is kept as it is. Call in a transaction."""
        self.executemany(
            "INSERT INTO channel_posts (digest, digest_id, channel, title, body, state, at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (digest, digest_id, channel) DO NOTHING",
            [(self._name, p.digest_id, p.channel, p.title, p.body, at.isoformat()) for p in posts],
        )

    def posts(self, digest_id: str) -> tuple[StoredPost, ...]:
        """Every post of the issue ``digest_id``, by channel."""
        if not self._ready():
            return ()
        mine, scope = self._mine()
        rows = self.query(
            f"SELECT digest_id, channel, title, body, state, detail FROM channel_posts "
            f"WHERE {mine} AND digest_id = ? ORDER BY channel",
            (*scope, digest_id),
        )
        return tuple(StoredPost(*r) for r in rows)

    def waiting(self) -> tuple[StoredPost, ...]:
        """Every post not yet taken, oldest issue first: what ``digest status`` lists."""
        if not self._ready():
            return ()
        mine, scope = self._mine()
        rows = self.query(
            f"SELECT digest_id, channel, title, body, state, detail FROM channel_posts "
            f"WHERE {mine} AND state = 'pending' ORDER BY at, digest_id, channel",
            scope,
        )
        return tuple(StoredPost(*r) for r in rows)

    def record(self, digest_id: str, channel: str, *, state: str, at: datetime, detail: str = "") -> None:
        if state not in CHANNEL_STATES:
            raise ValueError(state)
        mine, scope = self._mine()
        self.execute(
            f"UPDATE channel_posts SET state = ?, at = ?, detail = ? WHERE {mine} AND digest_id = ? AND channel = ?",
            (state, at.isoformat(), detail, *scope, digest_id, channel),
        )

    def _ready(self) -> bool:
        # A read-only store from before channels has no table for them (and so no posts).
        return self.version >= CHANNEL_POSTS.version


class ApprovalRepository(Repository):
    """This digest's issues held for approval."""

    def hold(self, digest_id: str) -> None:
        """Make the just-stored pending issue ``digest_id`` held; call in the transaction that stored it."""
        mine, scope = self._mine()
        self.execute(
            f"UPDATE issues SET state = 'held' WHERE {mine} AND id = ? AND state = 'pending'", (*scope, digest_id)
        )

    def held(self) -> tuple[HeldIssue, ...]:
        """Every held issue, oldest first."""
        mine, scope = self._mine()
        rows = self.query(
            f"SELECT id, title, created_at FROM issues WHERE {mine} AND state = 'held' ORDER BY created_at, id", scope
        )
        return tuple(HeldIssue(r[0], r[1], datetime.fromisoformat(r[2])) for r in rows)

    def state(self, digest_id: str) -> str:
        """The state of the issue ``digest_id`` ('held', 'pending', 'sent'), or ``""`` if there is none."""
        mine, scope = self._mine()
        rows = self.query(f"SELECT state FROM issues WHERE {mine} AND id = ?", (*scope, digest_id))
        return str(rows[0][0]) if rows else ""

    def reject(self, digest_id: str, *, at: datetime) -> bool:
        """Drop the held issue ``digest_id``: never sent, its posts dropped, its articles free for a later issue.

        False if it is not held. Its id stays taken, so a later issue of that week is ``<week>-2``.
        """
        if self.state(digest_id) != "held":
            return False
        mine, scope = self._mine()
        self.execute(f"UPDATE issues SET state = 'rejected' WHERE {mine} AND id = ?", (*scope, digest_id))
        # Its stories were never sent, so a later issue must not show them as updates of sent ones; and the
        # feeds' validators were kept because its articles were safe in the outbox: they no longer are, so
        # the next run fetches every feed in full (a 304 would hide the articles it must carry again).
        self.execute(f"DELETE FROM story_memory WHERE {mine} AND digest_id = ?", (*scope, digest_id))
        self.execute(f"UPDATE feeds SET etag = '', last_modified = '' WHERE {mine}", scope)
        if self.version >= CHANNEL_POSTS.version:
            self.execute(
                f"UPDATE channel_posts SET state = 'dropped', at = ?, detail = 'rejected' "
                f"WHERE {mine} AND digest_id = ? AND state = 'pending'",
                (at.isoformat(), *scope, digest_id),
            )
        return True

    def approve(self, digest_id: str) -> bool:
        """Make the held issue ``digest_id`` pending, for the outbox to send; False if it is not held."""
        if self.state(digest_id) != "held":
            return False
        mine, scope = self._mine()
        self.execute(f"UPDATE issues SET state = 'pending' WHERE {mine} AND id = ?", (*scope, digest_id))
        return True
