"""Each story is about one event: stories that share a name, a company or an event word stay apart."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from digest.cluster import StoryClusterer, build_stories
from digest.cluster.verify import core_members, verify_stories
from digest.models import Article

# One week of headlines: two unrelated bankruptcies (a pizza chain, a bitcoin exchange) that share
# "files for bankruptcy", and one company (Orbit) with two unrelated announcements. Each story is
# told by several outlets in their own words.
_WEEK = [
    # story, source, day, hour, title
    ("pizza", "Market Wire", 10, 9, "Crustano pizza chain files for bankruptcy"),
    ("pizza", "Daily Courier", 10, 10, "Crustano files for Chapter 11 protection, stores stay open"),
    ("pizza", "Money Weekly", 10, 11, "Pizza chain Crustano seeks bankruptcy protection again"),
    ("pizza", "Harbour Times", 10, 13, "Crustano bankruptcy: pizza chain to close 80 restaurants"),
    ("pizza", "North Star", 10, 15, "Mall pizza chain Crustano files for bankruptcy for second time"),
    ("exchange", "Tech Daily", 10, 8, "Bitcoin exchange Coinvault files for bankruptcy"),
    ("exchange", "Market Wire", 10, 12, "Coinvault files for bankruptcy after losing 850,000 bitcoins"),
    ("exchange", "Gadget Review", 10, 14, "Coinvault bankruptcy: customers fear their bitcoins are gone"),
    ("exchange", "Money Weekly", 10, 16, "Tokyo bitcoin exchange Coinvault seeks bankruptcy protection"),
    ("exchange", "Evening Post", 11, 7, "Coinvault chief apologises as exchange files for bankruptcy"),
    ("phone", "Gadget Review", 11, 9, "Orbit unveils its thinnest phone yet"),
    ("phone", "Tech Daily", 11, 10, "Orbit's new phone is 5mm thin and costs $899"),
    ("phone", "Market Wire", 11, 12, "Orbit shares rise after thin phone launch"),
    ("phone", "Daily Courier", 11, 14, "Hands on with the thin Orbit phone: light, fast, pricey"),
    ("ceo", "Money Weekly", 12, 8, "Orbit chief executive Lena Varga steps down"),
    ("ceo", "Evening Post", 12, 9, "Varga quits as Orbit boss after six years"),
    ("ceo", "Market Wire", 12, 11, "Orbit names interim CEO after Varga resigns"),
    ("ceo", "North Star", 12, 13, "Who will replace Lena Varga at the top of Orbit?"),
]


def _week() -> tuple[list[Article], list[str]]:
    articles = [
        Article(
            id=f"w{i}",
            title=title,
            url=f"https://news.example/w{i}",
            source=source,
            published=datetime(2026, 3, day, hour, tzinfo=UTC),
        )
        for i, (_, source, day, hour, title) in enumerate(_WEEK)
    ]
    return articles, [row[0] for row in _WEEK]


def _stories(labels: np.ndarray, gold: list[str]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for label, story in zip(labels, gold, strict=True):
        out.setdefault(story, set()).add(int(label))
    return out


def test_two_bankruptcies_and_one_companys_two_announcements_stay_apart() -> None:
    articles, gold = _week()
    labels = StoryClusterer().fit(articles).labels_
    stories = _stories(labels, gold)
    for story, found in stories.items():
        assert len(found) == 1, f"{story} is split"
    assert len({next(iter(found)) for found in stories.values()}) == len(stories), stories


def test_without_the_check_stories_sharing_an_event_word_join() -> None:
    # What the check is for: judged by average linkage alone, the two bankruptcies are one story.
    articles, gold = _week()
    labels = StoryClusterer(verify_ratio=0, core_similarity=0).fit(articles).labels_
    stories = _stories(labels, gold)
    assert len(set().union(*stories.values())) < len(stories)


def test_a_story_with_no_core_dissolves() -> None:
    # Three pieces at the threshold's edge of one another (one company's name, its products), none close
    # to the medoid: what they share is a name, not an event.
    sims = np.full((3, 3), 0.15)
    np.fill_diagonal(sims, 1.0)
    labels = np.zeros(3, dtype=np.int64)
    assert verify_stories(labels, sims, ratio=0.45, share=0.1, core=0.25).tolist() == [0, 1, 2]
    sims[0, 1] = sims[1, 0] = 0.4
    assert verify_stories(labels, sims, ratio=0.45, share=0.1, core=0.25).tolist() == [0, 0, 0]


def test_two_tight_groups_thinly_joined_are_split_and_a_loose_periphery_is_not() -> None:
    sims = np.full((8, 8), 0.15)
    sims[:4, :4] = sims[4:, 4:] = 0.8
    np.fill_diagonal(sims, 1.0)
    labels = np.zeros(8, dtype=np.int64)
    split = verify_stories(labels, sims, ratio=0.45, share=0.1, core=0.25)
    assert split.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    # One story told in varied words: a tight core, the rest loosely close to all of it.
    loose = np.full((8, 8), 0.2)
    loose[:4, :4] = 0.8
    np.fill_diagonal(loose, 1.0)
    assert verify_stories(labels, loose, ratio=0.45, share=0.1, core=0.25).tolist() == [0] * 8
    # Off: nothing changes.
    assert verify_stories(labels, sims, ratio=0, share=0.1, core=0).tolist() == [0] * 8


def test_a_small_tight_group_at_the_edge_of_a_large_story_is_its_fringe() -> None:
    n = 30
    sims = np.full((n, n), 0.3)
    sims[:2, :2] = 0.9
    sims[2:, 2:] = 0.7
    np.fill_diagonal(sims, 1.0)
    labels = np.zeros(n, dtype=np.int64)
    assert set(verify_stories(labels, sims, ratio=0.45, share=0.1, core=0.25).tolist()) == {0}
    assert len(set(verify_stories(labels, sims, ratio=0.45, share=0.0, core=0.25).tolist())) == 2


def test_the_core_is_the_medoid_and_what_is_close_to_it() -> None:
    sims = np.array(
        [
            [1.0, 0.6, 0.5, 0.1],
            [0.6, 1.0, 0.4, 0.1],
            [0.5, 0.4, 1.0, 0.2],
            [0.1, 0.1, 0.2, 1.0],
        ]
    )
    assert core_members(sims, 0.25).tolist() == [True, True, True, False]
    assert core_members(sims, 0.0).tolist() == [True] * 4


@pytest.mark.parametrize("seed", range(3))
def test_the_lead_and_headline_come_from_the_core(seed: int) -> None:
    # A long, complete article that joined the story on the company's name would win on completeness;
    # it is outside the core, so a core headline leads.
    articles, gold = _week()
    phone = [a for a, g in zip(articles, gold, strict=True) if g == "phone"]
    rng = np.random.default_rng(seed)
    centrality = rng.uniform(0.5, 1.0, len(phone))
    core = np.array([True, True, True, False])
    long_text = " ".join(["Orbit investors weigh the quarter"] * 200)
    phone[3] = Article(
        id=phone[3].id, title=phone[3].title, url=phone[3].url, source=phone[3].source,
        published=phone[3].published, text=long_text,
    )  # fmt: skip
    centrality[3] = 1.0
    (story,) = build_stories(phone, [0] * len(phone), centrality=centrality, core=core)
    assert story.lead.id != phone[3].id and story.label == story.lead.title
    assert story.articles[-1].id == phone[3].id  # the core first, then the rest
    (anyone,) = build_stories(phone, [0] * len(phone), centrality=centrality)
    assert anyone.lead.id == phone[3].id


def test_fitted_core_marks_every_lone_article_and_each_storys_medoid() -> None:
    articles, _ = _week()
    fitted = StoryClusterer().fit(articles)
    assert fitted.core_.dtype == bool and len(fitted.core_) == len(articles)
    for label in np.unique(fitted.labels_):
        assert fitted.core_[fitted.labels_ == label].any()


def test_a_fringe_merged_last_does_not_hide_two_groups_under_it() -> None:
    # Two tight groups thinly joined, and two outlying articles loosely close to the first, which
    # average linkage merges last: the split under the fringe is judged, and the fringe goes with the
    # half it is closer to.
    sims = np.full((22, 22), 0.15)
    sims[:10, :10] = sims[10:20, 10:20] = 0.7
    sims[20:, :] = sims[:, 20:] = 0.05
    sims[20:, :10] = sims[:10, 20:] = 0.12
    sims[20:, 20:] = 0.25
    np.fill_diagonal(sims, 1.0)
    labels = np.zeros(22, dtype=np.int64)
    split = verify_stories(labels, sims, ratio=0.45, share=0.1, core=0.25)
    assert split.tolist() == [0] * 10 + [1] * 10 + [0, 0]


# A speaker's talk at a festival (a whistleblower by video link), told in varied words, a third of
# its headlines naming the festival; the festival's own coverage (bands, start-ups, food), which shares
# only the festival's name with the talk; and an earthquake told in varied words.
_FESTIVAL = [
    ("talk", "Ilse Marrow tells Brightwater the web can still be saved"),
    ("talk", "Whistleblower Ilse Marrow joins by video link from exile"),
    ("talk", "Ilse Marrow tells Brightwater crowd that encryption is the answer"),
    ("talk", "Ilse Marrow urges engineers to build privacy into products"),
    ("talk", "Exiled leaker Ilse Marrow appears at Brightwater via video"),
    ("talk", "Ilse Marrow: tech firms must protect users from mass surveillance"),
    ("talk", "Ilse Marrow defends her leaks in video appearance"),
    ("talk", "Watch Ilse Marrow's full talk on surveillance and privacy"),
    ("talk", "Ilse Marrow would leak the files again, she says"),
    ("talk", "Lawmaker slams Brightwater for hosting Ilse Marrow"),
    ("talk", "Ilse Marrow wants judges to watch the watchers"),
    ("talk", "Ilse Marrow to developers: encrypt everything"),
    ("talk", "Ilse Marrow: your phone knows too much about you"),
    ("talk", "Ilse Marrow: the spies are watching everyone"),
    ("talk", "Ilse Marrow says her leaks made the public safer"),
    ("talk", "Ilse Marrow praises tech firms that fought the spy agency"),
    ("talk", "Ilse Marrow speaks at Brightwater via seven proxies"),
    ("talk", "Ilse Marrow: mass surveillance makes us less safe"),
    ("fest", "The ten bands to catch at Brightwater 2026"),
    ("fest", "Brightwater 2026: the start-ups pitching investors this year"),
    ("fest", "A playlist for Brightwater: twelve songs from the line-up"),
    ("fest", "Brightwater food trucks: where to eat this week"),
    ("fest", "Hotels sold out as Brightwater opens"),
    ("fest", "Brightwater film premieres draw record crowds"),
    ("fest", "Five gadgets everyone was talking about at Brightwater"),
    ("fest", "Brightwater 2026 day one: music, films and start-ups"),
    ("fest", "Brands flock to Brightwater with pop-up stages"),
    ("fest", "Brightwater interactive awards: the full list of winners"),
    ("quake", "Magnitude 6.1 earthquake strikes near Calvera"),
    ("quake", "Strong quake shakes Calvera, buildings damaged"),
    ("quake", "Calvera tremor: residents flee homes as aftershocks continue"),
    ("quake", "Rescuers search rubble after Calvera earthquake"),
    ("quake", "Death toll rises to 14 after earthquake near Calvera"),
    ("quake", "Quake-hit Calvera asks for international aid"),
]


@pytest.mark.parametrize("reverse", [False, True])
def test_a_talk_at_a_festival_and_the_festivals_own_coverage_are_two_stories(reverse: bool) -> None:
    rows = list(enumerate(_FESTIVAL))[:: -1 if reverse else 1]
    articles = [
        Article(
            id=f"f{i}",
            title=title,
            url=f"https://news.example/f{i}",
            source=f"Outlet {i % 5}",
            published=datetime(2026, 3, 10 + i % 2, 8 + i % 9, tzinfo=UTC),
        )
        for i, (_, title) in rows
    ]
    labels = StoryClusterer().fit(articles).labels_
    stories = _stories(labels, [story for _, (story, _) in rows])
    assert all(len(found) == 1 for found in stories.values()), stories
    assert len(set().union(*stories.values())) == 3, stories
