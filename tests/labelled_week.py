"""A small week written for the tests: several outlets covering the same events in their own words.

Two of the events are of the same kind (two earthquakes, days apart, on different continents), the
case where word overlap alone merges stories that an editor keeps apart.
"""

from __future__ import annotations

from datetime import UTC, datetime

from digest.models import Article

_WEEK = [
    # story, source, day, hour, title, text
    (
        "quake-chile",
        "Pacific Wire",
        17,
        4,
        "Strong earthquake shakes central Chile",
        "A magnitude 6.8 earthquake struck near Valparaíso early on Tuesday, killing at least 12 people. "
        "Chile's emergency office said buildings collapsed in Viña del Mar and power was cut across the region. "
        "Rescue crews searched the rubble through the morning.",
    ),
    (
        "quake-chile",
        "Andes Daily",
        17,
        9,
        "Twelve dead as quake hits Valparaíso region",
        "Chilean authorities confirmed 12 deaths after the 6.8 tremor centred off Valparaíso. "
        "President Boric flew to Viña del Mar, where several apartment blocks came down. "
        "The navy ruled out a tsunami within an hour of the shock.",
    ),
    (
        "quake-chile",
        "Global Times Review",
        18,
        7,
        "Chile counts the cost of Tuesday's tremor",
        "Insurers estimate the Valparaíso earthquake caused more than $400 million in damage. "
        "Families in Viña del Mar spent a second night outdoors as aftershocks continued, "
        "and officials raised the death toll to 12.",
    ),
    (
        "quake-sulawesi",
        "Pacific Wire",
        21,
        2,
        "Quake rattles Sulawesi, damaging homes",
        "A magnitude 5.9 earthquake hit central Sulawesi on Friday, damaging about 300 houses near Palu. "
        "Indonesia's BMKG agency said there was no tsunami threat. No deaths were reported, "
        "though dozens of residents were treated for injuries.",
    ),
    (
        "quake-sulawesi",
        "Jakarta Courier",
        21,
        6,
        "Palu residents flee homes after 5.9 tremor",
        "Residents of Palu ran into the streets when the 5.9 quake struck Sulawesi before dawn on Friday. "
        "The BMKG said the epicentre was 20 kilometres deep. Around 300 homes were damaged, "
        "and schools in Donggala stayed closed.",
    ),
    (
        "quake-sulawesi",
        "Global Times Review",
        21,
        15,
        "Indonesia assesses damage in central Sulawesi",
        "Officials in Central Sulawesi counted roughly 300 damaged houses after Friday's earthquake "
        "near Palu and Donggala. "
        "The BMKG recorded more than 40 aftershocks but said the 5.9 quake did not trigger a tsunami.",
    ),
    (
        "tram",
        "Port Ellis Ledger",
        18,
        19,
        "Council approves Harbour Line tram budget",
        "Port Ellis city council voted 9 to 4 on Wednesday to fund the Harbour Line tram, "
        "a 14-kilometre route from the ferry terminal to Northgate. Mayor Ines Okafor called the "
        "$1.2 billion plan the biggest transport investment in a generation.",
    ),
    (
        "tram",
        "Ellis Evening Post",
        18,
        22,
        "Harbour Line gets green light after heated debate",
        "After four hours of debate, councillors backed Mayor Okafor's Harbour Line by nine votes to four. "
        "The tram will link Northgate with the ferry terminal; opponents warned the $1.2 billion cost "
        "would mean higher property taxes in Port Ellis.",
    ),
    (
        "tram",
        "Metro Transit News",
        19,
        10,
        "Port Ellis commits to 14-km tram",
        "Port Ellis will build a 14 km tram line, the Harbour Line, after the council approved its budget "
        "on Wednesday. Construction between Northgate and the ferry terminal could begin in 2027, "
        "Mayor Ines Okafor said.",
    ),
    (
        "recall",
        "Harbor Tech",
        19,
        13,
        "Nimbus Labs recalls Aero thermostats over overheating batteries",
        "Nimbus Labs is recalling 180,000 Aero smart thermostats after reports that their backup batteries "
        "can overheat. The company said owners should remove the battery pack and request a free replacement.",
    ),
    (
        "recall",
        "Gadget Ledger",
        19,
        18,
        "Aero thermostat owners told to pull battery packs",
        "Owners of the Aero smart thermostat should take out its battery pack now, Nimbus Labs said on Thursday, "
        "announcing a recall of 180,000 units. Eleven customers reported scorched wall plates.",
    ),
    (
        "recall",
        "Consumer Watch",
        20,
        8,
        "Recall: 180,000 Nimbus Aero thermostats",
        "Nimbus Labs has recalled 180,000 Aero thermostats sold since March because the backup battery may overheat. "
        "Eleven incidents of scorching were reported; Nimbus will ship replacement batteries free of charge.",
    ),
    (
        "coach",
        "Sports Desk",
        20,
        21,
        "Rovers sack manager Dario Pellegrini",
        "Kingsport Rovers dismissed manager Dario Pellegrini on Friday after a seventh straight defeat left the club "
        "bottom of the league. Assistant coach Hana Brandt will take charge of Saturday's derby.",
    ),
    (
        "coach",
        "Kingsport Gazette",
        21,
        8,
        "Pellegrini out as Rovers slump continues",
        "Dario Pellegrini's 18 months at Kingsport Rovers ended on Friday night, "
        "with the club seven games without a win. "
        "Hana Brandt steps up from assistant to lead the team against City on Saturday.",
    ),
    (
        "bakery",
        "Port Ellis Ledger",
        22,
        9,
        "Northgate bakery wins national sourdough prize",
        "Crumb & Co., a bakery on Northgate's Mill Street, won gold at the National Bread Awards "
        "for its rye sourdough. "
        "Owner Priya Sandhu started baking in her garage six years ago.",
    ),
]


def labelled_week() -> tuple[list[Article], list[str]]:
    """The week's articles and each one's story label."""
    articles, labels = [], []
    for i, (story, source, day, hour, title, text) in enumerate(_WEEK):
        slug = f"{story}-{i}"
        articles.append(
            Article(
                id=f"week:{slug}",
                title=title,
                url=f"https://{source.lower().replace(' ', '-')}.example/{slug}",
                source=source,
                published=datetime(2026, 11, day, hour, tzinfo=UTC),
                text=text,
            )
        )
        labels.append(story)
    return articles, labels
