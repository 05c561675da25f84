"""The record of every run: its report, newest first."""

from __future__ import annotations

import json
from datetime import datetime

from .core import Repository
from .migrations import DIGESTS_APART
from .records import RunRecord

# How many of the latest runs a listing shows, `digest status` among them.
RECENT_RUNS = 5

__all__ = ["RunRepository"]


class RunRepository(Repository):
    """Each run's report, kept per digest."""

    def record(self, report: dict[str, object], *, at: datetime) -> None:
        if self.version >= DIGESTS_APART.version:
            self.execute(
                "INSERT INTO runs (digest, at, report) VALUES (?, ?, ?)",
                (self._name, at.isoformat(), json.dumps(report)),
            )
        else:
            self.execute("INSERT INTO runs (at, report) VALUES (?, ?)", (at.isoformat(), json.dumps(report)))

    def latest(self, limit: int = RECENT_RUNS) -> tuple[RunRecord, ...]:
        """The latest runs, newest first."""
        mine, scope = self._mine()
        rows = self.query(f"SELECT at, report FROM runs WHERE {mine} ORDER BY id DESC LIMIT ?", (*scope, limit))
        return tuple(RunRecord(datetime.fromisoformat(r[0]), json.loads(r[1])) for r in rows)
