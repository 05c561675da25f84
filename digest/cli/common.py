"""What the commands share: the time options, the config and the state store they open."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from ..config import Config, load_config
from ..dates import iso_datetime
from ..errors import ConfigError
from ..report import error_report, output_folder
from ..store import Store, open_store

__all__ = ["HELD", "open_scoped", "runnable_config", "time_arg", "utc_now", "writing"]

# What `--approve` / `digest approve` without an issue means: the one issue held.
HELD = "-"


def utc_now() -> datetime:
    """Now, to the second: what `--now` and the other time options mean when not given."""
    return datetime.now(UTC).replace(microsecond=0)


def time_arg(value: str) -> datetime:
    """An ISO 8601 time given on the command line (`--now`, `--since`, `--until`)."""
    parsed = iso_datetime(value)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r} (e.g. 2026-11-23T09:00:00Z)")
    return parsed


def runnable_config(args: argparse.Namespace) -> Config:
    """The config, checked for a run; a config error of `digest run` is written to report.json too."""
    try:
        config = load_config(args.config)
        config.check_runnable(str(args.config))
    except ConfigError as exc:
        if args.command == "run":
            error_report(output_folder(args.config), exc, args.now or utc_now(), dry_run=args.dry_run)
        raise
    return config


def open_scoped(config: Config, *, readonly: bool) -> Store:
    """The state store, its queries scoped to this config's digest."""
    store = open_store(config.digest.state, base_dir=config.base_dir, readonly=readonly)
    return store.scoped(config.digest.key, shared_history=config.digest.shared_history)


@contextmanager
def writing(config: Config) -> Iterator[Store]:
    """This digest's view of the state store under the run lock, its writes in one transaction."""
    with (
        open_store(config.digest.state, base_dir=config.base_dir) as opened,
        opened.session(config.digest.key, shared_history=config.digest.shared_history) as store,
        store.transaction(),
    ):
        yield store
