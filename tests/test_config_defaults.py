"""Each default is declared once, in the config's tables: the documentation's annotated example
(docs/configuration.md) shows those values and the library's functions take theirs from there."""

from __future__ import annotations

import dataclasses
import inspect
import re
import tomllib
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from digest import dedupe, render, site
from digest.cli import _parser
from digest.config import Config, FilterRule, SectionRule, SmtpConfig, SourceConfig, parse_config
from digest.sources.client import GuardedTransport
from digest.store.base import Store
from digest.store.feeds import FeedRepository
from digest.store.runs import RECENT_RUNS, RunRepository
from digest.summarize import extractive

from .conftest import ROOT

# Keys whose value in the README is an illustration, not the default ([[lists]]: every key but these).
EXAMPLES = {
    "digest.title",
    "digest.state",
    "digest.name",
    "cluster.lead_sources",
    "cluster.derivative_sources",
    "summary.llm.base_url",
    "summary.llm.model",
    "rank.source_weights",
    "rank.keyword_weights",
    "rank.pinned_sources",
    "email.sender",
    "email.to",
    "email.smtp.host",
    "email.smtp.username",
    "email.smtp.password_env",
    "site.base_url",
}
# The [[lists]] have no default entries: their README values are illustrations, but for these, which show
# the default an entry takes.
LIST_DEFAULTS = {"sources.full_text", "sources.max_messages", "filters.action"}
LISTS = {"sources": SourceConfig, "sections": SectionRule, "filters": FilterRule}


def _readme_config() -> dict[str, Any]:
    readme = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = re.search(r"# Configuration: an annotated example\n.*?```toml\n(.*?)```", readme, re.S)
    assert block, "docs/configuration.md has no TOML block"
    return tomllib.loads(block.group(1))


def _documented(cls: type, data: dict[str, Any] | list[dict[str, Any]], key: str) -> dict[str, list[Any]]:
    """Every leaf key of table ``cls`` → the values the README gives it (several for a [[list]])."""
    items = data if isinstance(data, list) else [data]
    hints = typing.get_type_hints(cls)
    found: dict[str, list[Any]] = {}
    for f in dataclasses.fields(cls):
        if f.name == "base_dir":
            continue
        values = [item[f.name] for item in items if f.name in item]
        hint = hints[f.name]
        inner = next((a for a in typing.get_args(hint) if dataclasses.is_dataclass(a)), hint)
        if dataclasses.is_dataclass(inner) and values:
            found |= _documented(typing.cast(type, inner), values[0], f"{key}{f.name}.")
        else:
            found[f"{key}{f.name}"] = values
    return found


def _default(key: str) -> Any:
    table, _, rest = key.partition(".")
    if table in LISTS:
        return next(f.default for f in dataclasses.fields(LISTS[table]) if f.name == rest)
    value: Any = Config()
    for part in key.split("."):
        value = getattr(value, part)
        if value is None and part == "smtp":  # an optional table: its keys default as in SmtpConfig()
            value = SmtpConfig()
    return value


def test_the_readme_documents_every_key() -> None:
    documented = _documented(Config, _readme_config(), "")
    assert not [key for key, values in documented.items() if not values]


def test_the_readme_shows_the_defaults() -> None:
    shown = _documented(Config, _readme_config(), "")
    checked = {k for k in shown if k not in EXAMPLES and (k.split(".")[0] not in LISTS or k in LIST_DEFAULTS)}
    assert len(checked) > 75
    for key in checked:
        for value in shown[key]:
            assert (tuple(value) if isinstance(value, list) else value) == _default(key), key


def test_the_readme_block_is_a_valid_config(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "harbor.xml").write_text("<rss/>", encoding="utf-8")
    (tmp_path / "subscriptions.opml").write_text("<opml/>", encoding="utf-8")
    (tmp_path / "saved").mkdir()
    config = parse_config(_readme_config(), base_dir=tmp_path)
    assert config.cluster == dataclasses.replace(
        Config().cluster, lead_sources=("Harbor Tech",), derivative_sources=("News Roundup",)
    )


def _default_of(function: Callable[..., Any], name: str) -> Any:
    return inspect.signature(function).parameters[name].default


@pytest.mark.parametrize(
    ("function", "name", "key"),
    [
        (dedupe.near_duplicate_groups, "num_perm", "dedupe.num_perm"),
        (dedupe.near_duplicate_groups, "bands", "dedupe.bands"),
        (dedupe.near_duplicates, "num_perm", "dedupe.num_perm"),
        (dedupe.near_duplicates, "bands", "dedupe.bands"),
        (render.render, "email_budget", "email.max_html_bytes"),
        (render.render_email, "budget", "email.max_html_bytes"),
        (render.render_email, "brief", "email.brief"),
        (render.render, "brief_in_email", "email.brief"),
        (render.render, "remote_images", "email.remote_images"),
        (render.render_email, "remote_images", "email.remote_images"),
        (render.environment, "language", "digest.language"),
        (site.build_site, "per_page", "site.per_page"),
        (site.build_site, "feed_items", "site.feed_items"),
        (FeedRepository.health, "quarantine_after", "fetch.quarantine_after"),
        (Store.status, "quarantine_after", "fetch.quarantine_after"),
        (FeedRepository.health, "stale_days", "fetch.stale_days"),
        (Store.status, "stale_days", "fetch.stale_days"),
        (GuardedTransport, "per_host", "fetch.per_host"),
        (GuardedTransport, "keep_hosts", "fetch.concurrency"),
        (extractive.lexrank, "damping", "summary.damping"),
        (extractive.candidates, "min_words", "summary.min_words"),
    ],
)
def test_the_library_takes_its_defaults_from_the_config(function: Callable[..., Any], name: str, key: str) -> None:
    assert _default_of(function, name) == _default(key)


def test_digest_status_and_the_store_show_the_same_number_of_runs() -> None:
    assert _default_of(Store.status, "runs") == _default_of(RunRepository.latest, "limit") == RECENT_RUNS
    status = _parser().parse_args(["status", "--config", "digest.toml"])
    assert status.runs == RECENT_RUNS
