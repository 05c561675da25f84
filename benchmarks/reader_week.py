"""The digest a reader gets from a real week, judged from what was delivered.

    python benchmarks/reader_week.py ../shared/bench/clustering/uci-headlines \\
        --seeds ../shared/seeds --feed ../shared/bench/feeds/rss-parser-realfeeds/test/input/guardian.rss

A labelled corpus (``DIR/articles.jsonl``, see ../shared/bench/README.md) is served on loopback as one
RSS feed per outlet, and ``digest run`` with every setting at its default (but the loopback allowance,
the outbox and the site folder) delivers the week into the outbox. The figures are read from what
was delivered: the ``.eml`` as written (both its parts) and ``digest.md``; which articles each shown
story holds comes from the story memory the run stored with the issue (the record of what was sent).

- ``email_stories``: stories whose headline is in both the plain and the HTML part of the email;
  ``email_share`` of the stories shown; ``html_kb``: the HTML part's size as sent (encoded);
- ``max_links``: the most links under one story (its own block and the footnotes it cites, in
  ``digest.md``, or the links in its block of the email's HTML, whichever is more);
- ``big_shown``: the share of gold stories of 40+ articles that are the main story of a shown one;
- ``mixed``: shown stories holding two gold stories of 10+ articles and 10 % of the story each;
  ``repeated``: gold stories that are the main story of two shown ones;
- ``short_headlines``: shown headlines of fewer than 4 words;
- ``seed_stories``: stories made from the saved articles of ``--seeds`` (a folder source);
- ``flagged``: summaries, over the ``--feed`` files (each run alone, served the same way), whose
  sentences carry boilerplate (calls to sign up or follow, live-blog clocks and furniture, captions)
  or whose first sentence opens by pointing back ("But", "He", "This", …).

Last line: ``email_stories=… email_share=… html_kb=… max_links=… big_shown=… mixed=… repeated=…
short_headlines=… seed_stories=… flagged=…``.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import json
import multiprocessing
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fetch_speed import free_port, serve_bodies

from digest.dates import parse_date

HOST = "127.0.0.1"
BIG, MIX_ARTICLES, MIX_SHARE = 40, 10, 0.10
# Saved files without a date are dated when first seen, so any fixed end of the week will do.
SEEDS_NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)

# What no summary sentence should be: a call to act, live-blog furniture, a caption, a pointer back.
_BOILERPLATE = re.compile(
    r"\b(sign up|subscribe|newsletter|follow (us|@)|click here|read more|watch:|listen:|"
    r"photograph:|live!|as it happened|clockwatch|updated at)\b|^\s*\d{1,2}(\.\d\d)?\s*(min|am|pm)\b",
    re.IGNORECASE,
)
_DANGLING = re.compile(
    r"^(but|and|or|so|however|also|still|yet|meanwhile|instead|he|she|they|this|these|those|his|her|their|its|"
    r"such)\b",
    re.IGNORECASE,
)


@dataclass
class Delivered:
    """What one run delivered: the email's parts, digest.md and the stored story memberships."""

    message: EmailMessage
    html_wire: int
    markdown: str
    members: dict[str, list[str]]


def read_corpus(folder: Path) -> list[dict[str, str]]:
    with (folder / "articles.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def feeds_of(rows: Sequence[dict[str, str]]) -> dict[str, bytes]:
    """One RSS document per outlet, keyed by the path it is served at; the GUID is the corpus id."""
    by_source: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_source[row.get("source") or "Unknown outlet"].append(row)
    return {f"/feed/{n}.xml": _rss(source, items) for n, (source, items) in enumerate(sorted(by_source.items()))}


def _rss(source: str, rows: Sequence[dict[str, str]]) -> bytes:
    items = []
    for row in rows:
        published = row.get("published")
        date = f"<pubDate>{format_datetime(_utc(published))}</pubDate>" if published else ""
        text = "".join(f"<p>{html.escape(p)}</p>" for p in (row.get("text") or "").split("\n") if p.strip())
        link = f"<link>{html.escape(row['url'])}</link>" if row.get("url") else ""
        items.append(
            f"<item><title>{html.escape(row.get('title') or '')}</title>{link}"
            f'<guid isPermaLink="false">{html.escape(row["id"])}</guid>{date}'
            f"<description>{html.escape(text)}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{html.escape(source)}</title>'
        f"<link>https://feeds.example/</link><description>{html.escape(source)}</description>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def _utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def deliver(
    bodies: dict[str, bytes], now: datetime, *, folder: Path | None = None, keep: Path | None = None
) -> Delivered:
    """Serve ``bodies`` on loopback and run ``digest run`` over them (and ``folder``) into the outbox.

    With ``keep``, the run's folder (config, state, renderings, outbox) is left there to be read.
    """
    port = free_port([HOST])
    ready = multiprocessing.get_context("fork").Event()
    server = multiprocessing.get_context("fork").Process(
        target=serve_bodies, args=([HOST], port, bodies, 0.0, ready), daemon=True
    )
    server.start()
    ready.wait(60)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                tmp = str(keep)
            sources = [f'url = "http://{HOST}:{port}{path}"' for path in bodies]
            if folder is not None:
                sources.append(f"folder = {json.dumps(str(folder.resolve()))}")
            config = write_config(Path(tmp), sources)
            command = [sys.executable, "-m", "digest.cli", "run", "--config", str(config), "--now", now.isoformat()]
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                sys.exit(f"digest run failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-4000:]}")
            return read_delivered(Path(tmp))
    finally:
        server.terminate()
        server.join()


def write_config(folder: Path, sources: Sequence[str]) -> Path:
    config = folder / "digest.toml"
    blocks = "".join(f"\n[[sources]]\n{source}\n" for source in sources)
    config.write_text(
        f"""[digest]
title = "Reader Weekly"
state = "state/digest.db"
output = "output"

[fetch]
allow_networks = ["{HOST}/32"]

[email]
sender = "Reader Weekly <weekly@example.org>"
to = ["reader@example.org"]
outbox = "output/outbox"

[site]
dir = "site"
{blocks}""",
        encoding="utf-8",
    )
    return config


def read_delivered(folder: Path) -> Delivered:
    (eml,) = (folder / "output" / "outbox").rglob("*.eml")
    raw = eml.read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    html_part = message.get_body(("html",))
    assert html_part is not None, "the email has no HTML part"
    (markdown,) = (folder / "output").glob("*/digest.md")
    with sqlite3.connect(folder / "state" / "digest.db") as db:
        rows = db.execute("SELECT label, article_ids FROM story_memory").fetchall()
    members: dict[str, list[str]] = {}
    for label, ids in rows:
        members.setdefault(label, []).extend(i.rpartition("#guid:")[2] for i in json.loads(ids))
    return Delivered(message, _payload_size(html_part), markdown.read_text(encoding="utf-8"), members)


def _payload_size(part: EmailMessage) -> int:
    """The encoded body of ``part`` as it travels, lines ending in CRLF."""
    body = part.as_string().split("\n\n", 1)[1]
    return len(body.encode("utf-8")) + body.count("\n")


# --- reading what was delivered ------------------------------------------------------------------

_HEADING = re.compile(r"^### (?P<text>.+)$", re.MULTILINE)
_MD_LINK = re.compile(r"\]\(<[^>]+>\)|<(?:https?|mailto):[^>]+>")
_FOOTREF = re.compile(r"\[\^(\d+)\]")
_FOOTNOTE = re.compile(r"^\[\^(\d+)\]: .*$", re.MULTILINE)


def headline_text(heading: str) -> str:
    """A Markdown heading as readers see it: link markup and escapes removed."""
    text = re.sub(r"^\[(.*)\]\(<[^>]*>\)$", r"\1", heading.strip())
    text = re.sub(r"^\*\*?[^*]+:\*\*? ", "", text)
    return html.unescape(re.sub(r"\\(.)", r"\1", text)).strip()


def story_blocks(markdown: str) -> list[tuple[str, str]]:
    """Each story's headline and its block of ``digest.md`` (footnote definitions excluded)."""
    first_note = _FOOTNOTE.search(markdown)
    body = markdown[: first_note.start()] if first_note else markdown
    heads = list(_HEADING.finditer(body))
    blocks = []
    for n, head in enumerate(heads):
        end = heads[n + 1].start() if n + 1 < len(heads) else len(body)
        block = re.split(r"^## ", body[head.end() : end], flags=re.MULTILINE)[0]
        blocks.append((headline_text(head["text"]), head["text"] + block))
    return blocks


def markdown_links(block: str, markdown: str) -> int:
    """Links under one story: in its block, and the footnotes it cites that carry a link."""
    linked_notes = {m[1] for m in re.finditer(r"^\[\^(\d+)\]: .*<https?:[^>]+>\s*$", markdown, re.MULTILINE)}
    cited = set(_FOOTREF.findall(block)) & linked_notes
    return len(_MD_LINK.findall(block)) + len(cited)


class _EmailStories(HTMLParser):
    """The email HTML's stories: each ``h3``'s text and the links up to the next ``h3`` or section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stories: list[list[object]] = []
        self._in_h3 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h3":
            self._in_h3 = True
            self.stories.append(["", 0])
        elif tag == "h2" or (tag == "td" and any(k == "class" and v and "foot" in v for k, v in attrs)):
            self.stories.append(["", 0, "end"])
        elif tag == "a" and self.stories and len(self.stories[-1]) == 2:
            self.stories[-1][1] = int(self.stories[-1][1]) + 1  # type: ignore[call-overload]

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_h3 = False

    def handle_data(self, data: str) -> None:
        if self._in_h3:
            self.stories[-1][0] = str(self.stories[-1][0]) + data


def email_stories(message: EmailMessage) -> tuple[list[str], list[int], str]:
    """The HTML part's headlines, the links under each, and the plain part's text (white space folded)."""
    html_part = message.get_body(("html",))
    plain = message.get_body(("plain",))
    parser = _EmailStories()
    parser.feed(html_part.get_content() if html_part is not None else "")
    stories = [s for s in parser.stories if len(s) == 2]
    text = " ".join((plain.get_content() if plain is not None else "").split())
    return [" ".join(str(s[0]).split()) for s in stories], [int(s[1]) for s in stories], text  # type: ignore[call-overload]


def flagged(summary: str) -> bool:
    """A summary carrying boilerplate, opening on a sentence that points back, or holding a fragment."""
    sentences = [re.sub(r"\\(.)", r"\1", s).strip() for s in re.split(r"\[\^\d+\]", summary) if s.strip()]
    fragment = any(len(s.split()) < 4 or s[:1].islower() for s in sentences)
    return fragment or bool(_BOILERPLATE.search(" ".join(sentences)) or (sentences and _DANGLING.match(sentences[0])))


def summaries(markdown: str) -> list[str]:
    """Each story's summary paragraph in ``digest.md``: the paragraph after the source and date line."""
    out = []
    for _, block in story_blocks(markdown):
        paragraphs = [p.strip() for p in block.split("\n\n") if p.strip()]
        out.append(paragraphs[1] if len(paragraphs) > 1 and "[^" in paragraphs[1] else "")
    return out


# --- the figures ---------------------------------------------------------------------------------


def week_figures(rows: Sequence[dict[str, str]], delivered: Delivered) -> dict[str, float]:
    gold = {row["id"]: str(row["story"]) for row in rows}
    sizes = Counter(gold.values())
    blocks = story_blocks(delivered.markdown)
    headlines, email_links, plain = email_stories(delivered.message)
    in_email = [h for h, _ in blocks if " ".join(h.split()) in headlines and " ".join(h.split()) in plain]
    main: list[str] = []
    mixed = 0
    for headline, _ in blocks:
        members = Counter(gold[i] for i in delivered.members.get(headline, []) if i in gold)
        total = sum(members.values())
        if total:
            main.append(members.most_common(1)[0][0])
            parts = [n for n in members.values() if n >= MIX_ARTICLES and n >= MIX_SHARE * total]
            mixed += len(parts) >= 2
    big = [story for story, n in sizes.items() if n >= BIG]
    links = [markdown_links(block, delivered.markdown) for _, block in blocks] + email_links
    return {
        "shown": len(blocks),
        "email_stories": len(in_email),
        "email_share": len(in_email) / len(blocks) if blocks else 0.0,
        "html_kb": delivered.html_wire / 1000,
        "max_links": max(links, default=0),
        "big_shown": sum(story in main for story in big) / len(big) if big else 1.0,
        "mixed": mixed,
        "repeated": sum(n > 1 for n in Counter(main).values()),
        "short_headlines": sum(len(h.split()) < 4 for h, _ in blocks),
    }


def now_after(rows: Sequence[dict[str, str]]) -> datetime:
    dates = [_utc(row["published"]) for row in rows if row.get("published")]
    return (max(dates) if dates else datetime(2026, 1, 1, tzinfo=UTC)) + timedelta(hours=1)


def feed_summaries(path: Path, keep: Path | None = None) -> list[str]:
    """The summaries of a digest made from one real feed file, served as it is."""
    body = path.read_bytes()
    dates = [_feed_date(m) for m in re.findall(rb"<(?:pubDate|updated|published)>([^<]+)<", body)]
    now = max((d for d in dates if d is not None), default=datetime(2026, 1, 1, tzinfo=UTC)) + timedelta(hours=1)
    return summaries(deliver({"/feed.xml": body}, now, keep=keep / path.stem if keep else None).markdown)


def _feed_date(raw: bytes) -> datetime | None:
    # The project's own reader of feed dates, so a date in the feed's language ("Seg, 24 Set 2018") counts.
    found = parse_date(raw.decode("utf-8", "replace").strip(), languages=("en", "pt", "de", "fr", "es"))
    return found.astimezone(UTC) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="a labelled corpus folder (articles.jsonl)")
    parser.add_argument("--seeds", type=Path, help="a folder of saved articles, delivered as one week")
    parser.add_argument("--feed", type=Path, action="append", default=[], help="a real feed file (repeatable)")
    parser.add_argument("--keep", type=Path, help="leave each run's folder (renderings, outbox, state) here")
    args = parser.parse_args()
    keep = args.keep.resolve() if args.keep else None
    rows = read_corpus(args.corpus)
    figures = week_figures(rows, deliver(feeds_of(rows), now_after(rows), keep=keep / "corpus" if keep else None))
    print(
        f"corpus={args.corpus.name} articles={len(rows)} stories_shown={figures.pop('shown'):.0f} "
        f"(email {figures['email_stories']:.0f}, {figures['html_kb']:.1f} KB)"
    )
    if args.seeds:
        seeds = deliver({}, SEEDS_NOW, folder=args.seeds, keep=keep / "seeds" if keep else None)
        figures["seed_stories"] = len(story_blocks(seeds.markdown))
    bad = 0
    for feed in args.feed:
        found = feed_summaries(feed, keep)
        for text in found:
            if text and flagged(text):
                bad += 1
                print(f"flagged ({feed.name}): {text[:160]}")
        print(f"feed={feed.name} summaries={sum(bool(t) for t in found)}")
    figures["flagged"] = bad
    print(
        " ".join(
            f"{k}={v:.3f}" if isinstance(v, float) and not v.is_integer() else f"{k}={v:.0f}"
            for k, v in figures.items()
        )
    )


if __name__ == "__main__":
    main()
