"""`digest forget` and `digest unsubscribe`: changing by hand what a later digest carries, and to whom."""

from __future__ import annotations

import argparse

from ..addresses import check_mailbox
from ..config import load_config
from .common import utc_now, writing

__all__ = ["forget", "unsubscribe"]


def forget(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with writing(config) as store:
        count = store.seen.forget(
            ids=args.ids, source=args.source, digest_id=args.digest, since=args.since, until=args.until
        )
    print(f"forgot {count} article(s); a later digest may carry them again")
    return 0


def unsubscribe(args: argparse.Namespace) -> int:
    for address in args.address:
        check_mailbox(address, key="ADDRESS", display_name=False)
    config = load_config(args.config)
    with writing(config) as store:
        if args.undo:
            count = store.suppression.remove(args.address)
            print(f"took {count} address(es) off the suppression list; they get the next digest if in email.to")
        else:
            count = store.suppression.add(args.address, at=utc_now())
            print(f"suppressed {count} address(es): never mailed again, even while in email.to")
    return 0
