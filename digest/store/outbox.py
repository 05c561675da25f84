"""Issues and the outbox: what is stored, what is waiting to be sent, to whom it went."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from .core import Repository
from .migrations import ISSUE_OUTLINE
from .records import DELIVERY_STATES, IssueRecord, OutboxEntry, SeenArticle
from .seen import SeenRepository

__all__ = ["OutboxRepository"]


class OutboxRepository(Repository):
    """Every issue and its deliveries; completing one marks its articles seen."""

    def save_issue(self, issue: IssueRecord, *, state: str, at: datetime) -> None:
        self.execute(
            'INSERT INTO issues (digest, id, title, start, "end", body_html, state, created_at) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (digest, id) DO UPDATE SET title = excluded.title, start = excluded.start, "
            '"end" = excluded."end", '
            "body_html = excluded.body_html, state = excluded.state, created_at = excluded.created_at",
            (
                self._name,
                issue.id,
                issue.title,
                issue.start.isoformat(),
                issue.end.isoformat(),
                issue.body_html,
                state,
                at.isoformat(),
            ),
        )
        if issue.sections is not None and self.version >= ISSUE_OUTLINE.version:
            shape = json.dumps({"sections": issue.sections, "headlines": issue.headlines or ()})
            self.execute("UPDATE issues SET outline = ? WHERE digest = ? AND id = ?", (shape, self._name, issue.id))

    def save_pending(
        self,
        issue: IssueRecord,
        *,
        message: bytes,
        articles: Sequence[SeenArticle],
        recipients: Sequence[str],
        at: datetime,
    ) -> None:
        """Put an issue in the outbox; call inside the store's transaction with the rest of the run's writes."""
        self.save_issue(issue, state="pending", at=at)
        encoded = [[a.id, a.source, a.published] for a in articles]
        self.execute(
            "UPDATE issues SET message = ?, articles = ? WHERE digest = ? AND id = ?",
            (base64.b64encode(message).decode("ascii"), json.dumps(encoded), self._name, issue.id),
        )
        self.executemany(
            "INSERT INTO deliveries (digest, digest_id, recipient, state, at) VALUES (?, ?, ?, 'pending', ?) "
            "ON CONFLICT (digest, digest_id, recipient) DO NOTHING",
            [(self._name, issue.id, r, at.isoformat()) for r in dict.fromkeys(recipients)],
        )

    def pending(self) -> tuple[OutboxEntry, ...]:
        """Issues stored but not yet completed, oldest first."""
        mine, scope = self._mine()
        rows = self.query(
            f"SELECT {self._issue_columns}, message, articles FROM issues "
            f"WHERE {mine} AND state = 'pending' ORDER BY created_at, id",
            scope,
        )
        entries = []
        for r in rows:
            issue = _issue(r)
            articles = tuple(SeenArticle(*a) for a in json.loads(r[7]))
            deliveries = self.query(
                f"SELECT recipient, state FROM deliveries WHERE {mine} AND digest_id = ? ORDER BY recipient",
                (*scope, issue.id),
            )
            entries.append(
                OutboxEntry(issue, base64.b64decode(r[6]), articles, tuple((d[0], d[1]) for d in deliveries))
            )
        return tuple(entries)

    def record_delivery(
        self, digest_id: str, recipients: Iterable[str], *, state: str, at: datetime, detail: str = ""
    ) -> None:
        if state not in DELIVERY_STATES:
            raise ValueError(state)
        mine, scope = self._mine()
        self.executemany(
            f"UPDATE deliveries SET state = ?, at = ?, detail = ? WHERE {mine} AND digest_id = ? AND recipient = ?",
            [(state, at.isoformat(), detail, *scope, digest_id, r) for r in recipients],
        )

    def complete(self, entry: OutboxEntry, *, at: datetime) -> int:
        """Mark an outbox issue sent and its articles seen; call inside the store's transaction."""
        mine, scope = self._mine()
        self.execute(f"UPDATE issues SET state = 'sent' WHERE {mine} AND id = ?", (*scope, entry.issue.id))
        return SeenRepository(self._store).mark(entry.articles, digest_id=entry.issue.id, at=at)

    def issue_ids(self) -> frozenset[str]:
        """Every issue id in use, pending or sent."""
        mine, scope = self._mine()
        return frozenset(r[0] for r in self.query(f"SELECT id FROM issues WHERE {mine}", scope))

    def last_delivered(self, *, before: datetime) -> datetime | None:
        """The end of the latest sent issue that ends at or before ``before``; None before the first."""
        mine, scope = self._mine()
        rows = self.query(f"SELECT \"end\" FROM issues WHERE {mine} AND state = 'sent'", scope)
        ends = [datetime.fromisoformat(r[0]) for r in rows]
        return max((e for e in ends if e <= before), default=None)

    def issues(self) -> tuple[IssueRecord, ...]:
        """Every sent issue, newest first."""
        mine, scope = self._mine()
        rows = self.query(
            f"SELECT {self._issue_columns} FROM issues WHERE {mine} AND state = 'sent' ORDER BY \"end\" DESC, id DESC",
            scope,
        )
        return tuple(_issue(r) for r in rows)

    @property
    def _issue_columns(self) -> str:
        # A read-only store from before outlines were kept: every issue's outline is in its HTML alone.
        outline = "outline" if self.version >= ISSUE_OUTLINE.version else "NULL"
        return f'id, title, start, "end", body_html, {outline}'


def _issue(row: tuple[Any, ...]) -> IssueRecord:
    """An issue from its columns (``_issue_columns``); no outline where none was stored."""
    start, end = datetime.fromisoformat(row[2]), datetime.fromisoformat(row[3])
    if row[5] is None:
        return IssueRecord(row[0], row[1], start, end, row[4])
    shape = json.loads(row[5])
    sections = tuple((str(a), str(t)) for a, t in shape["sections"])
    headlines = tuple((str(a), str(t)) for a, t in shape["headlines"])
    return IssueRecord(row[0], row[1], start, end, row[4], sections, headlines)
