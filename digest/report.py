"""The run report, ``<output>/report.json``: written by every run, dry runs and errors too.

Apart from the pipeline so the command can write it for a run that stops before the pipeline is
loaded (a config error, another run holding the lock) without waiting for numpy and scikit-learn.
"""

from __future__ import annotations

import json
import logging
import os
import tomllib
from datetime import datetime
from pathlib import Path

from .config import Config, DigestSettings
from .models import RunReport, RunStatus

__all__ = ["error_report", "output_folder", "write_report", "write_report_to"]

log = logging.getLogger(__name__)


def write_report(config: Config, report: RunReport) -> Path:
    """Write the run report as ``<output>/report.json``, atomically, so a reader never sees half of one."""
    return write_report_to(config.resolve(config.digest.output), report)


def write_report_to(folder: Path, report: RunReport) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "report.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def output_folder(config_path: Path) -> Path | None:
    """Where the config at ``config_path`` puts its output, read from the file as far as it can be.

    For a config that does not load: its ``[digest] output`` when that is text, else the default,
    relative to the file's folder. None when that folder does not exist (a wrong ``--config`` path):
    a report is never the reason a folder is made somewhere unexpected.
    """
    base = config_path.resolve().parent
    if not base.is_dir():
        return None
    output = DigestSettings().output
    try:
        table = tomllib.loads(config_path.read_text(encoding="utf-8")).get("digest")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        table = None
    if isinstance(table, dict) and isinstance(table.get("output"), str) and table["output"]:
        output = table["output"]
    return (base / output).resolve()


def error_report(folder: Path | None, error: Exception, now: datetime, *, dry_run: bool = False) -> Path | None:
    """Write the report of a run stopped by ``error`` to ``folder``; None when it cannot be written.

    Never raises: the run's own error is what the user must see, not a second one about its report.
    """
    if folder is None:
        return None
    report = RunReport(digest_id="", now=now, dry_run=dry_run, status=RunStatus.ERROR, error=str(error))
    try:
        return write_report_to(folder, report)
    except OSError as exc:
        log.warning("run report not written to %s: %s", folder, exc)
        return None
