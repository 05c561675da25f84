"""The week in brief: extractive by default, grounded and cached with an LLM, above the sections everywhere."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
from markdown_it import MarkdownIt

from digest import Pipeline, load_config
from digest.config import LlmConfig, SummaryConfig
from digest.models import Brief, BriefSentence, Digest, Story, SummarySentence
from digest.render import environment, render, wire_size
from digest.store import open_store
from digest.summarize import BriefResult, extractive_brief, week_brief

from .digests import make_digest
from .test_e2e import NOW
from .test_llm import FakeApi, _examples_config, api  # noqa: F401 (the fixture)
from .test_summarize import FERRY, FERRY_2, article, story

TRAM = article(
    "tram",
    "The city council approved the eastern tram line on Wednesday by seven votes to two. "
    "Construction of the tram line starts next spring and takes three years.",
    title="Council approves the eastern tram line",
    source="Ledger",
)
BRIDGE = article(
    "bridge",
    "The old swing bridge closes for repairs in January, the harbor office said. "
    "Pedestrians will use a temporary ferry while the bridge is shut.",
    title="Swing bridge closes for repairs",
    source="Harbor Office",
)
BAKERY = article("bakery", "A new bakery opened on Quay Street on Saturday morning.", title="Bakery opens")


def _stories() -> list[Story]:
    """In reading order; the scores put the tram first, the ferry second, the bridge third."""
    scored = [(story(BAKERY), 0.1), (story(FERRY, FERRY_2), 0.8), (story(TRAM), 0.9), (story(BRIDGE), 0.5)]
    done = []
    for item, score in scored:
        first = item.lead.text.split(". ")[0] + "."
        done.append(replace(item, score=score, summary=(SummarySentence(first, item.lead.id),)))
    return done


def _config(api: FakeApi, **llm: object) -> SummaryConfig:  # noqa: F811
    settings = {"base_url": api.base_url, "model": "test-model", "timeout": 5.0, **llm}
    return SummaryConfig(backend="llm", llm=LlmConfig(**settings))  # type: ignore[arg-type]


def _ask(api: FakeApi, stories: list[Story], answer: object, cached: dict[str, str] | None = None) -> BriefResult:  # noqa: F811
    api.mode = "fixed"
    api.content = answer if isinstance(answer, str) else json.dumps(answer)
    store = cached if cached is not None else {}
    with httpx.Client() as client:
        return week_brief(
            stories, config=_config(api), client=client, env={}, cached=lambda m, v, h: store.get(f"{m}/{v}/{h}")
        )


def test_extractive_brief_is_the_lead_sentence_of_the_top_three() -> None:
    brief = extractive_brief(_stories())
    assert brief.written_by == "extractive"
    assert [s.stories for s in brief.sentences] == [(2,), (1,), (3,)]  # indices in reading order, best first
    assert (
        brief.sentences[0].text == "The city council approved the eastern tram line on Wednesday by seven votes to two."
    )


def test_a_grounded_llm_brief_cites_the_stories_it_draws_on(api: FakeApi) -> None:  # noqa: F811
    answer = {
        "sentences": [
            {"text": "The city council approved the eastern tram line by seven votes to two.", "source": [1]},
            {"text": "The harbor ferry will run every ten minutes from March on electric boats.", "source": [2]},
            {"text": "The swing bridge closes for repairs in January and a temporary ferry runs.", "source": [2, 3]},
        ]
    }
    result = _ask(api, _stories(), answer)
    assert result.problem is None and result.brief.written_by == "llm"
    # The prompt numbers the top stories best first; the brief cites them by their place in the digest.
    assert [s.stories for s in result.brief.sentences] == [(2,), (1,), (1, 3)]
    assert result.response is not None
    prompt = api.requests[0]["messages"][-1]["content"]
    assert prompt.index("[1] Council approves") < prompt.index("[2] Harbor ferry") < prompt.index("[3] Swing bridge")


def test_an_ungrounded_or_invented_brief_falls_back_to_the_extractive_one(api: FakeApi) -> None:  # noqa: F811
    made_up = {"sentences": [{"text": "The mayor resigned after a scandal over stolen funds.", "source": 1}]}
    result = _ask(api, _stories(), made_up)
    assert result.brief == extractive_brief(_stories())
    assert result.problem.source == "brief" and "not supported" in result.problem.message
    quote = {
        "sentences": [
            {
                "text": 'The city council approved the eastern "tram line forever" on Wednesday by seven votes.',
                "source": 1,
            }
        ]
    }
    result = _ask(api, _stories(), quote)
    assert "quotation" in result.problem.message
    wrong = {"sentences": [{"text": "The tram line was approved.", "source": [9]}]}
    assert "cites no given story" in _ask(api, _stories(), wrong).problem.message
    garbage = _ask(api, _stories(), "Sure! Here is the week.")
    assert "malformed" in garbage.problem.message and garbage.response is None


def test_a_failing_endpoint_and_a_cached_answer(api: FakeApi) -> None:  # noqa: F811
    api.mode = "503"
    with httpx.Client() as client:
        down = week_brief(_stories(), config=_config(api), client=client, env={}, cached=lambda m, v, h: None)
    assert down.brief.written_by == "extractive" and down.problem is not None and "503" in down.problem.message
    answer = {"sentences": [{"text": "The city council approved the eastern tram line.", "source": 1}]}
    first = _ask(api, _stories(), answer)
    response = first.response
    assert response is not None
    cache = {f"{response.model}/{response.prompt_version}/{response.story_hash}": response.response}
    asked = len(api.requests)
    again = _ask(api, _stories(), "not asked", cache)
    assert len(api.requests) == asked and again.brief == first.brief
    assert response.prompt_version != "1", "the brief's answers never meet the story summaries' in the cache"


def test_a_model_that_says_more_is_cut_to_five(api: FakeApi) -> None:  # noqa: F811
    line = {"text": "The city council approved the eastern tram line.", "source": 1}
    result = _ask(api, _stories(), {"sentences": [line] * 9})
    assert len(result.brief.sentences) == 5


def _briefed(digest: Digest, text: str = "The week began with a vote.") -> Digest:
    return replace(digest, brief=Brief((BriefSentence(text, (0, 1)),), "extractive"))


def test_the_brief_is_above_the_sections_in_every_rendering() -> None:
    digest = _briefed(make_digest(4))
    done = render(digest, env=environment(), now=digest.end)
    section = digest.sections[0]
    outputs = [
        (done.markdown, f"\n## {section.name}"),
        (done.text, f"\n{section.name.upper()}\n"),
        (done.html, f'<section id="{section.slug}"'),
        (done.email_html, f'<h2 id="{section.slug}"'),
    ]
    for output, first_section in outputs:
        assert "The week in brief" in output.replace("THE WEEK IN BRIEF", "The week in brief"), first_section
        assert output.index("The week began with a vote.") < output.index(first_section), first_section
    assert f'href="#{digest.sections[0].slug}-1"' in done.body_html  # cites the story by its anchor
    german = render(digest, env=environment(language="de"), now=digest.end)
    assert "Die Woche in Kürze" in german.html and "DIE WOCHE IN KÜRZE" in german.text


def test_no_brief_renders_nothing() -> None:
    done = render(make_digest(4), env=environment(), now=make_digest(4).end)
    assert "week in brief" not in done.html.lower() and "week in brief" not in done.markdown.lower()


def test_brief_markup_is_escaped() -> None:
    digest = _briefed(make_digest(2), '<img src=x onerror=alert(1)> [click](javascript:alert(1)) "quoted"')
    done = render(digest, env=environment(), now=digest.end)
    assert "<img src=x" not in done.html and "<img src=x" not in done.email_html
    as_html = MarkdownIt().render(done.markdown)
    assert "<img" not in as_html and 'href="javascript' not in as_html and "[click]" in as_html


def test_the_email_carries_the_brief_only_when_it_costs_no_story() -> None:
    digest = _briefed(make_digest(30), "A sentence of the brief that is long enough to weigh something. " * 20)
    plain = render(replace(digest, brief=None), env=environment(), now=digest.end)
    roomy = render(digest, env=environment(), now=digest.end, email_budget=wire_size(plain.email_html) + 20_000)
    assert "The week in brief" in roomy.email_html and roomy.email_omitted == 0
    # A budget the email without the brief just fits: "fit" leaves the brief out rather than cut a story.
    tight = render(digest, env=environment(), now=digest.end, email_budget=wire_size(plain.email_html))
    assert "The week in brief" not in tight.email_html and tight.email_omitted == plain.email_omitted == 0
    assert "The week in brief" in tight.html, "the web page always has it"
    always = render(
        digest, env=environment(), now=digest.end, email_budget=wire_size(plain.email_html), brief_in_email="always"
    )
    # "always": the brief stays and the lists of other links give way to it, within the budget.
    assert "The week in brief" in always.email_html and wire_size(always.email_html) <= wire_size(plain.email_html)
    never = render(digest, env=environment(), now=digest.end, brief_in_email="never")
    assert "The week in brief" not in never.email_html


def test_summary_brief_false_turns_it_off(api: FakeApi, tmp_path: Path) -> None:  # noqa: F811
    config = load_config(_examples_config(api, tmp_path, "max_stories = 3", "", "brief = false\n"))
    with open_store(tmp_path / "state" / "digest.db") as store:
        Pipeline(config, store=store).preview(tmp_path / "out", NOW)
    assert len(api.requests) == 3, "no call for a brief"
    assert "week in brief" not in (tmp_path / "out" / "digest.md").read_text(encoding="utf-8").lower()


def test_the_llm_brief_in_a_week(api: FakeApi, tmp_path: Path) -> None:  # noqa: F811
    config = load_config(_examples_config(api, tmp_path, "max_stories = 3"))
    with open_store(tmp_path / "state" / "digest.db") as store:
        report = Pipeline(config, store=store).preview(tmp_path / "out", NOW)
    assert not [p for p in report.problems if p.source == "brief"], "the echoed sentence is grounded"
    markdown = (tmp_path / "out" / "digest.md").read_text(encoding="utf-8")
    brief = markdown.split("**The week in brief**", 1)[1].split("\n## ", 1)[0]
    assert brief.count("\n- ") == 1 and " → " in brief
