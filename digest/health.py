"""Feed health: a feed that keeps failing is tried on an exponential schedule of runs, not every run.

A feed is quarantined once it failed ``fetch.quarantine_after`` runs in a row, or answered HTTP
410 Gone (which counts as that many failures, so it enters the schedule at its start). A
quarantined feed is left out of 1 run, then tried; if it fails again it is left out of 2 runs,
then 4, 8 … up to :data:`MAX_WAIT` runs between tries. One success ends the quarantine;
``digest feeds revive`` ends it by hand. The schedule counts runs, not days, so a feed is never
given up on for good and a digest run daily retries sooner than one run weekly.
"""

from __future__ import annotations

from dataclasses import replace

from .models import FeedState, Problem

__all__ = ["MAX_WAIT", "due", "left_out", "quarantine_problem", "quarantined", "wait_runs"]

# Runs left out between two tries at most: about a year and a half for a weekly digest.
MAX_WAIT = 64


def quarantined(state: FeedState, after: int) -> bool:
    return state.gone or state.failures >= after


def wait_runs(state: FeedState, after: int) -> int:
    """How many runs a quarantined feed is left out of before its next try (0: not quarantined)."""
    if not quarantined(state, after):
        return 0
    beyond = max(state.failures, after) - after
    return min(1 << min(beyond, 16), MAX_WAIT)


def due(state: FeedState, after: int) -> bool:
    """Whether this run should fetch the feed."""
    return state.skipped >= wait_runs(state, after)


def left_out(state: FeedState) -> FeedState:
    """The state of a feed this run did not fetch: one more run skipped, nothing else changed."""
    return replace(state, skipped=state.skipped + 1)


def quarantine_problem(state: FeedState, after: int) -> Problem:
    """The report line for a feed left out of this run (``state`` as :func:`left_out` returned it)."""
    left = wait_runs(state, after) - state.skipped
    when = "next run" if left <= 0 else f"in {left + 1} runs"
    if state.gone:
        since = f" since {state.checked_at:%Y-%m-%d}" if state.checked_at else ""
        return Problem(
            state.url,
            f"feed is dead (HTTP 410 Gone{since}); not fetched this run, tried again {when}",
            "remove it from the config, or `digest feeds revive` it",
        )
    return Problem(
        state.url,
        f"quarantined after failing {state.failures} runs in a row ({state.error or 'no detail'}); "
        f"not fetched this run, tried again {when}",
        "fix or remove the feed; `digest feeds revive` tries it every run again",
    )
