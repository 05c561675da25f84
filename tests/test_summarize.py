"""The extractive summarizer, labels and keyphrases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.config import SummaryConfig
from digest.models import Article, Story
from digest.summarize import summarize
from digest.summarize.extractive import candidates, lexrank, summarize_story
from digest.summarize.label import clean_title, keyphrases, story_label

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def article(id: str, text: str, *, title: str = "", source: str = "Desk", hours: int = 0) -> Article:
    return Article(
        id=id,
        title=title or f"Title {id}",
        url=f"https://{source.lower()}.example/{id}",
        source=source,
        published=NOW - timedelta(hours=hours),
        text=text,
    )


def story(*articles: Article) -> Story:
    return Story(id="s-" + articles[0].id, label=articles[0].title, lead=articles[0], articles=articles)


FERRY = article(
    "ferry",
    "The harbor ferry will run every ten minutes from March, the transit authority said on Monday. "
    "New electric boats replace the diesel fleet on the ferry route across the harbor. "
    "Fares on the ferry stay the same for the first year of the electric service. "
    "The authority expects ferry ridership to double once the electric boats arrive.",
    title="Harbor ferry goes electric | Harbor Tech Weekly",
    source="Harbor",
)
FERRY_2 = article(
    "ferry-2",
    "Commuters welcomed the plan for electric ferry boats across the harbor. "
    "The harbor ferry will run every ten minutes from March, the transit authority said on Monday. "
    "Unions asked for training on the electric boats before the ferry service starts.",
    title="Electric ferries for the harbor",
    source="Ledger",
)


def test_every_sentence_is_verbatim_from_the_article_it_cites() -> None:
    texts = {a.id: a.text for a in (FERRY, FERRY_2)}
    summary = summarize_story(story(FERRY, FERRY_2), params=SummaryConfig(sentences=3))
    assert len(summary) == 3
    for sentence in summary:
        assert sentence.text in texts[sentence.article_id]
    assert {s.article_id for s in summary} == {"ferry", "ferry-2"}


def test_a_sentence_two_outlets_share_is_said_once() -> None:
    summary = summarize_story(story(FERRY, FERRY_2), params=SummaryConfig(sentences=4))
    texts = [s.text for s in summary]
    assert len(texts) == 4 and sum("every ten minutes" in t for t in texts) == 1
    # Being repeated by a second outlet is what makes it the most central sentence.
    alone = summarize_story(story(FERRY), params=SummaryConfig(sentences=1, lead_weight=0.0))
    both = summarize_story(story(FERRY, FERRY_2), params=SummaryConfig(sentences=1, lead_weight=0.0))
    assert "every ten minutes" not in alone[0].text and "every ten minutes" in both[0].text


def test_length_in_words_keeps_at_least_one_sentence() -> None:
    summary = summarize_story(story(FERRY), params=SummaryConfig(words=30))
    assert len(summary) >= 1 and sum(len(s.text.split()) for s in summary) <= 30
    assert len(summarize_story(story(FERRY), params=SummaryConfig(words=3))) == 1


def test_lead_weight_one_takes_the_opening_sentences() -> None:
    summary = summarize_story(story(FERRY), params=SummaryConfig(sentences=2, lead_weight=1.0, redundancy=1.0))
    opening = [c.text for c in candidates(story(FERRY))][:2]
    assert [s.text for s in summary] == opening


def test_central_sentence_outranks_an_aside() -> None:
    aside = article(
        "aside",
        "Electric boats will carry harbor ferry riders from March. "
        "The weather was pleasant that day. "
        "The electric ferry boats carry more riders across the harbor. "
        "Harbor riders like electric ferry boats.",
    )
    summary = summarize_story(story(aside), params=SummaryConfig(sentences=2, lead_weight=0.0, redundancy=1.0))
    assert len(summary) == 2 and all("weather" not in s.text for s in summary)


def test_lexrank_is_a_distribution_that_favours_the_hub() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer().fit_transform(["red blue", "red green", "red blue green", "yellow"])
    scores = lexrank(vectors)
    assert abs(scores.sum() - 1) < 1e-6
    assert scores.argmax() == 2 and scores.argmin() == 3


def test_sparse_and_dense_lexrank_agree() -> None:
    import numpy as np
    from scipy.sparse import random as sparse_random
    from sklearn.preprocessing import normalize

    vectors = normalize(sparse_random(400, 300, density=0.02, random_state=np.random.RandomState(0), format="csr"))
    dense = lexrank(vectors, dense_up_to=10_000)
    sparse = lexrank(vectors, dense_up_to=0)
    assert np.allclose(dense, sparse, atol=1e-9) and abs(sparse.sum() - 1) < 1e-6


def test_empty_and_stop_word_only_stories_do_not_crash() -> None:
    assert summarize_story(story(article("e", "")), params=SummaryConfig()) == ()
    only_stop = summarize_story(story(article("s", "What it is is what it is. And so it was.")), params=SummaryConfig())
    assert [s.text for s in only_stop] == ["What it is is what it is.", "And so it was."]


def test_label_drops_only_the_outlets_own_name() -> None:
    assert (
        clean_title("Harbor ferry goes electric | Harbor Tech Weekly", ["Harbor Tech"]) == "Harbor ferry goes electric"
    )
    assert clean_title("Mars rover lands - BBC News", ["BBC"]) == "Mars rover lands"
    # As aggregators cut it: the outlet's name, then more of its masthead, then an ellipsis.
    assert (
        clean_title("Dam repairs finish early - KQRT: News, Weather for  ...", ["kqrt"]) == "Dam repairs finish early"
    )
    assert clean_title("Spider-Man 3 - a review in 2 parts", ["Film Desk"]) == "Spider-Man 3 - a review in 2 parts"
    assert clean_title("Mars rover lands - BBC News") == "Mars rover lands - BBC News"
    assert clean_title("Well-known fact") == "Well-known fact"


def test_a_name_dash_headline_is_kept_whole_and_the_feeds_suffix_goes() -> None:
    gossip = replace(
        FERRY, title="Mira Castell - I nearly quit the band", source="Showbiz Wire", url="https://showbizwire.example/m"
    )
    assert story_label(story(gossip)) == "Mira Castell - I nearly quit the band"
    suffixed = replace(FERRY, title="Mira Castell nearly quit the band - Showbizwire.example", source="Showbiz")
    assert story_label(story(suffixed)) == "Mira Castell nearly quit the band"
    column = replace(FERRY, title="The ferry fare freeze is a mistake | Ada Quill", author="Ada Quill")
    assert story_label(story(column)) == "The ferry fare freeze is a mistake"


def test_an_untitled_article_is_headed_by_its_first_sentence_which_the_summary_leaves_out() -> None:
    untitled = replace(FERRY, title="(untitled)")
    summary = summarize_story(story(untitled), params=SummaryConfig(sentences=2))
    first = "The harbor ferry will run every ten minutes from March, the transit authority said on Monday."
    assert story_label(story(untitled), summary) == first
    assert summary and first not in [s.text for s in summary]


def test_keyphrases_set_a_story_apart_without_repeating_words() -> None:
    other = article("rail", "The council approved the light rail line. Light rail trains run from 2029.", title="Rail")
    phrases = keyphrases([story(FERRY, FERRY_2), story(other)], count=4)
    ferry_words = " ".join(phrases["s-ferry"]).split()
    assert 3 <= len(phrases["s-ferry"]) <= 4
    assert len(ferry_words) == len(set(ferry_words))
    assert any("ferry" in p or "electric" in p for p in phrases["s-ferry"])
    assert not any("ferry" in p for p in phrases["s-rail"])


def test_summarize_labels_every_story(shared: Path) -> None:
    seeds = sorted((shared / "seeds").glob("*.txt"))
    assert seeds
    stories = []
    for path in seeds:
        title, _, text = path.read_text(encoding="utf-8").partition("\n")
        stories.append(story(article(path.stem, text, title=title)))
    result = summarize(stories, config=SummaryConfig(sentences=3))
    assert result.problems == () and result.responses == ()
    for done, path in zip(result.stories, seeds, strict=True):
        text = path.read_text(encoding="utf-8")
        assert done.label and 3 <= len(done.keyphrases) <= 5
        assert len(done.summary) == 3
        for sentence in done.summary:
            assert sentence.article_id == path.stem and sentence.text in text


def test_every_summary_rank_and_section_key_is_in_the_readme() -> None:
    import dataclasses

    from digest.config import LlmConfig, RankConfig, SectionRule

    readme = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for cls in (SummaryConfig, LlmConfig, RankConfig, SectionRule):
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(f.default):
                continue  # a table of its own, checked by its class
            assert f"\n{f.name} = " in readme, (
                f"{cls.__name__}.{f.name} is not in the annotated example (docs/configuration.md)"
            )


def test_headings_and_bullets_are_not_summary_sentences() -> None:
    listing = article(
        "list",
        "Ferry plans for the harbor\n"
        "The harbor ferry goes electric in March, the transit authority said.\n"
        "What riders should know\n"
        "- Electric ferry boats run every ten minutes across the harbor.\n"
        "- Fares for the electric ferry stay the same this year.",
    )
    texts = [s.text for s in summarize_story(story(listing), params=SummaryConfig(sentences=3))]
    assert texts == [
        "The harbor ferry goes electric in March, the transit authority said.",
        "Electric ferry boats run every ten minutes across the harbor.",
        "Fares for the electric ferry stay the same this year.",
    ]
    headings_only = article("h", "Ferry plans for the harbor\nWhat riders should know about it")
    assert len(summarize_story(story(headings_only), params=SummaryConfig(sentences=1))) == 1


def test_a_chinese_article_gets_a_summary() -> None:
    metro = replace(
        FERRY,
        language="zh",
        text="港口渡轮明年三月起改用电动船，交通局周一宣布。新船每十分钟一班，票价第一年不变。工会要求在服务开始前培训船员。",
    )
    summary = summarize_story(story(metro), params=SummaryConfig(sentences=2))
    assert [s.text for s in summary] == [
        "港口渡轮明年三月起改用电动船，交通局周一宣布。",
        "新船每十分钟一班，票价第一年不变。",
    ]


LIVE_BLOG = article(
    "live",
    "Latest updates from the harbor as the first electric ferry sails\n"
    "Clockwatch: keep up with every other ferry launch tonight – live!\n"
    "Sign up here to get an email whenever the ferry timetable changes.\n"
    "Email Dana with any tip-offs or tweet: @DanaOnBoats\n"
    "8.13pm GMT\n"
    "13 min: The electric ferry leaves the quay on time. The mayor waves to the crowd from the upper deck.\n"
    # What is left of a sentence cut at an exclamation mark inside it.
    "the mayor of the harbor town waves from the deck of the ferry.\n"
    "The electric ferry crossed the harbor in twelve minutes on its first trip.",
    title="Electric ferry maiden voyage – live!",
    source="Ledger",
)
LIVE_DE = article(
    "ticker",
    "Hier geht es zum Liveticker der Hafenfähre\n"
    "Melden Sie sich hier für unseren Newsletter zur Hafenfähre an.\n"
    "Folgen Sie uns auf Instagram für Bilder der neuen Fähre.\n"
    "20:15 Uhr: Die Fähre legt pünktlich vom Kai ab.\n"
    "Die elektrische Fähre überquerte den Hafen beim ersten Mal in zwölf Minuten.",
    title="Hafenfähre fährt elektrisch",
    source="Kurier",
)
LIVE_FR = article(
    "direct",
    "Abonnez-vous à notre newsletter pour suivre le nouveau traversier.\n"
    "Suivez-nous sur Instagram pour voir les photos du traversier.\n"
    "Photo : Jean Dupont / Agence Port\n"
    "Le traversier électrique a traversé le port en douze minutes lors de son premier voyage.",
    title="Le traversier du port passe à l'électrique",
    source="Quotidien",
)


def test_page_furniture_never_reaches_a_summary() -> None:
    for item, kept in (
        (LIVE_BLOG, "The electric ferry crossed the harbor in twelve minutes on its first trip."),
        (LIVE_DE, "Die elektrische Fähre überquerte den Hafen beim ersten Mal in zwölf Minuten."),
        (LIVE_FR, "Le traversier électrique a traversé le port en douze minutes lors de son premier voyage."),
    ):
        texts = [s.text for s in summarize_story(story(replace(item, language="")), params=SummaryConfig(sentences=3))]
        assert texts == [kept], item.id


def test_a_dangling_opener_is_never_the_first_sentence() -> None:
    reply = article(
        "reply",
        "The mayor opened the new route on Monday. "
        "But the harbor ferry unions said the electric ferry route needs more crew. "
        "Harbor ferry unions want training for the electric ferry crew.",
    )
    # Without the position prior the "But" sentence is the most central one, and read first it would dangle.
    summary = summarize_story(story(reply), params=SummaryConfig(sentences=2, lead_weight=0.0, redundancy=1.0))
    assert [s.text[:10] for s in summary] == ["Harbor fer", "But the ha"]
    # A story with nothing that reads on its own has no summary rather than one that starts mid-thought.
    only_but = replace(reply, text="But the harbor ferry unions said the electric ferry route needs more crew.")
    assert summarize_story(story(only_but), params=SummaryConfig()) == ()
    aber = replace(
        reply,
        language="de",
        text="Aber die Gewerkschaft der Hafenfähre fordert mehr Personal für die elektrische Fähre. "
        "Die Stadt eröffnete am Montag die elektrische Fähre über den Hafen.",
    )
    summary = summarize_story(story(aber), params=SummaryConfig(sentences=2, lead_weight=1.0))
    assert summary[0].text.startswith("Die Stadt")


def test_an_opinion_column_loses_the_lead_to_a_news_report() -> None:
    column = Article(
        id="column",
        title="Electric ferries are a vanity project | Ada Quill",
        url="https://ledger.example/commentisfree/2026/nov/20/electric-ferries",
        source="Ledger",
        author="Ada Quill",
        published=NOW,
        text="The electric harbor ferry will run every ten minutes, and the electric ferry is a vanity project. "
        "Electric ferry boats across the harbor cost more than the harbor needs.",
    )
    summary = summarize_story(story(column, FERRY), params=SummaryConfig(sentences=2))
    assert summary[0].article_id == "ferry"
    assert story_label(story(column, FERRY)) == "Electric ferries are a vanity project"


def test_a_headline_only_story_is_summed_up_by_headlines_that_add_to_the_leads() -> None:
    lead = article("h1", "", title="Harbor ferry goes electric - Harbor Daily", source="Harbor Daily")
    same = article("h2", "", title="Harbor ferry goes electric", source="Ledger")
    adds = article("h3", "", title="Electric harbor ferry to run every ten minutes from March", source="Courier")
    summary = summarize_story(story(lead, same, adds), params=SummaryConfig(sentences=2))
    assert [(s.text, s.article_id) for s in summary] == [
        ("Electric harbor ferry to run every ten minutes from March.", "h3")
    ]


def test_a_headline_summary_adds_what_the_coverage_agrees_on_not_a_strays_topic() -> None:
    def headline(n: int, title: str) -> Article:
        return article(f"g{n}", "", title=title, source=f"Outlet {n}")

    week = story(
        headline(0, "Whistleblower tells tech festival: you can fix this"),
        # Shares only the festival with the lead, and adds the most words of all.
        headline(1, "Festival guide: six hottest start-ups, best barbecue and late-night music shows"),
        headline(2, "Whistleblower says he has no regrets over leaks"),
        headline(3, "No regrets, whistleblower tells festival crowd by video link"),
        headline(4, "Whistleblower urges engineers to encrypt everything"),
        # Cut short by an aggregator: half a headline is no sentence.
        headline(5, "Whistleblower has no regrets, would leak again, he tells crowd of ..."),
    )
    summary = summarize_story(week, params=SummaryConfig(sentences=1))
    assert [s.article_id for s in summary] in (["g2"], ["g3"])
    # A headline about something else (no word in common with the lead's) is never taken.
    unrelated = story(
        headline(0, "Whistleblower tells tech festival: you can fix this"), headline(6, "Bakery wins award")
    )
    assert summarize_story(unrelated, params=SummaryConfig()) == ()


def test_bylines_datelines_and_cut_teasers_never_reach_a_summary() -> None:
    report = replace(
        article(
            "wire",
            "Lisboa, 24 set (Lusa).\n"
            "O conselho municipal aprovou nesta segunda-feira a nova linha de elétrico até ao porto.\n"
            "As obras devem começar na primavera e durar cerca de dois anos, segundo a presidente da câ...",
        ),
        language="pt",
    )
    texts = [s.text for s in summarize_story(story(report), params=SummaryConfig(sentences=3))]
    assert texts == ["O conselho municipal aprovou nesta segunda-feira a nova linha de elétrico até ao porto."]
    byline = replace(article("byline", "Por Ana Lima e Rui Costa", title="Elétrico chega ao porto"), language="pt")
    assert summarize_story(story(byline), params=SummaryConfig()) == ()
    english = replace(byline, text="By Ann Lee and Bo Kim", language="en")
    assert summarize_story(story(english), params=SummaryConfig()) == ()
