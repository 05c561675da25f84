"""`digest init`: a starter project, asking on a terminal for what it cannot guess."""

from __future__ import annotations

import argparse
import sys

from ..scaffold import init_project

__all__ = ["init"]


def _ask_base_url() -> str:
    """The site's URL from the person at the terminal; empty (set it later) when no one is there."""
    if not sys.stdin.isatty():
        return ""
    answer = input("The site's public URL (e.g. https://you.github.io/your-digest/; Enter to set it later): ")
    return answer.strip()


def _ask_unsubscribe() -> str:
    """Where readers leave, from the person at the terminal; empty (every issue warns) when no one is there."""
    if not sys.stdin.isatty():
        return ""
    try:
        return input("Where do readers unsubscribe? An https URL or an address (Enter to set it later): ").strip()
    except EOFError:  # Ctrl-D, or input that ended: later, as for Enter
        return ""


def init(args: argparse.Namespace) -> int:
    base_url = args.base_url if args.base_url is not None else _ask_base_url()
    unsubscribe = args.unsubscribe if args.unsubscribe is not None else _ask_unsubscribe()
    for path in init_project(args.dir, force=args.force, base_url=base_url, unsubscribe=unsubscribe):
        print(f"wrote {path}")
    if not base_url:
        print("site.base_url is empty: set it in digest.toml to the site's public URL before the first run")
    print("next: edit digest.toml, then `digest run --config digest.toml --dry-run`")
    return 0
