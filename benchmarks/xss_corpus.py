"""Render every hostile HTML vector through the real pipeline stages and see whether any runs in Chromium.

    python benchmarks/xss_corpus.py ../shared/bench/xss/

Each payload becomes an article's link, title, summary and body; the articles go through extract
(the sanitizer), clustering into stories, summarize and render, and the resulting web page and
email HTML are loaded in headless Chromium with the network cut off. A vector counts as executed
when a dialog opens, a hooked global is touched, an element's resolved ``href``/``src``/``action``
is a ``javascript:`` URL, or the page navigates away. The last line is ``vectors=N executed=E``.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digest import extract, summarize
from digest.cluster import build_stories
from digest.config import SummaryConfig
from digest.models import Article, Digest, Section
from digest.render import environment, render
from tests.browser import chromium, missing_reason

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# Payloads call alert/confirm/prompt/print, or assign globals; all of them report here.
HOOKS = """
window.__hits = [];
for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
  window[name] = function () { window.__hits.push(name); };
}
for (const name of ["xss", "XSS", "pwned", "hacked"]) {
  Object.defineProperty(window, name, {
    get() { window.__hits.push("get " + name); },
    set() { window.__hits.push("set " + name); },
  });
}
"""
PROBE = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("[href],[src],[action],[formaction],[data],[xlink\\\\:href]")) {
    for (const attr of ["href", "src", "action", "formAction", "data"]) {
      const value = el[attr];
      const text = typeof value === "string" ? value : (value && value.baseVal) || "";
      if (/^\\s*(javascript|vbscript|data:text\\/html)/i.test(text)) {
        bad.push(el.tagName + " " + attr + "=" + text.slice(0, 60));
      }
    }
  }
  const active = document.querySelectorAll("script,iframe,object,embed,frame,base,meta[http-equiv]");
  for (const el of active) bad.push(el.tagName);
  return window.__hits.concat(bad);
}"""


def load_vectors(folder: Path) -> list[tuple[str, str]]:
    vectors = []
    for path in sorted(folder.rglob("vectors.jsonl")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                item = json.loads(line)
                vectors.append((str(item["id"]), str(item["payload"])))
    return vectors


def digest_for(payload: str) -> Digest:
    """Two stories built by the real stages: one summarized from the payload, one shown as its excerpt."""
    full = Article(
        id="a", title=payload, url=payload, source=payload, published=NOW, text=payload, summary_html=payload
    )
    other = Article(id="b", title=payload, url=payload, source="Other", published=NOW, summary_html=payload)
    bare = Article(id="c", title=payload, url=payload, source="Bare", published=NOW, summary_html=payload)
    articles = extract.extract([full, other, bare])
    summaries = summarize.summarize(build_stories(articles, [0, 0, 1]), config=SummaryConfig(sentences=2))
    stories = summaries.stories
    section = Section(name=payload, slug="s", stories=stories)
    return Digest(id="2026-W48", title=payload, start=NOW - timedelta(days=7), end=NOW, sections=(section,))


def check(page: Any, html: str) -> list[str]:
    hits: list[str] = []
    page.once("dialog", lambda dialog: (hits.append("dialog " + dialog.type), dialog.dismiss()))
    page.set_content(html, wait_until="load", timeout=10_000)
    page.wait_for_timeout(20)
    if page.url != "about:blank":
        hits.append("navigated to " + page.url)
    return hits + list(page.evaluate(PROBE))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 1
    reason = missing_reason()
    if reason:
        print(f"Error: {reason}", file=sys.stderr)
        return 1
    vectors = load_vectors(Path(argv[1]))
    env = environment()
    executed = 0
    started = time.perf_counter()
    with chromium() as browser:
        context = browser.new_context(java_script_enabled=True)
        context.route("**/*", lambda route: route.abort())
        context.add_init_script(HOOKS)
        page = context.new_page()
        # The detector must see an unsanitized payload run, or a zero below would mean nothing.
        canary = check(page, '<img src=x onerror="alert(1)"><a href="javascript:void(0)">x</a><p id=xss></p>')
        if "alert" not in canary or not any("javascript:" in h for h in canary):
            print(f"Error: the detector missed the canary payload: {canary}", file=sys.stderr)
            return 1
        page = context.new_page()
        for vector_id, payload in vectors:
            rendering = render(digest_for(payload), env=env, now=NOW, site_url="https://example.org/w/")
            hits = check(page, rendering.html) + check(page, rendering.email_html)
            if hits:
                executed += 1
                print(f"EXECUTED {vector_id}: {sorted(set(hits))}")
                page = context.new_page()
    seconds = time.perf_counter() - started
    print(f"pages={2 * len(vectors)} seconds={seconds:.1f}")
    print(f"vectors={len(vectors)} executed={executed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
