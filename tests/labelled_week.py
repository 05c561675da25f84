"""A small week written for the tests: several outlets covering the same events in their own words.

Two of the events are of the same kind (two earthquakes, days apart, on different continents), the
case where word overlap alone merges stories that an editor keeps apart. :func:`two_fires` is a
harder pair: two wildfires whose articles each recall the other fire at length after their lede.
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


_RIDGE = (
    "Cedar Ridge",
    [
        (
            "Evacuations ordered as Cedar Ridge fire jumps highway",
            "The Cedar Ridge fire jumped Highway 58 on Wednesday night and forced 2,400 residents of Oakridge "
            "and Westfir to leave their homes, the Lane County sheriff said. Crews from the Oregon Department "
            "of Forestry estimated the blaze at 11,000 acres, with no containment, after dry east winds pushed "
            "it across the river before midnight.",
        ),
        (
            "Oakridge empties as blaze crosses Highway 58",
            "Sheriff's deputies went door to door in Oakridge and Westfir after the Cedar Ridge fire crossed "
            "Highway 58, and about 2,400 people left overnight. Oregon forestry officials said the fire had "
            "grown to 11,000 acres by Thursday morning and was not contained, driven by gusty east winds "
            "along the Willamette River.",
        ),
        (
            "Cedar Ridge fire grows to 11,000 acres",
            "Firefighters in Lane County lost ground to the Cedar Ridge fire, which reached 11,000 acres on "
            "Thursday and pushed evacuation orders to 2,400 residents of Oakridge and Westfir. The Oregon "
            "Department of Forestry said the east winds that carried it over Highway 58 should ease by "
            "the weekend, and shelters opened at the Eugene fairgrounds.",
        ),
    ],
)
_HOLLOW = (
    "Pine Hollow",
    [
        (
            "Pine Hollow fire burns ranch land near Helena",
            "The Pine Hollow fire burned across 6,500 acres of ranch land north of Helena, Montana, on "
            "Monday, destroying two barns and closing Interstate 15 for six hours. The Lewis and Clark "
            "County sheriff ordered 300 homes around Wolf Creek evacuated while air tankers from Missoula "
            "dropped retardant along the ridgelines.",
        ),
        (
            "Interstate closed as Montana blaze spreads",
            "Montana closed Interstate 15 between Helena and Wolf Creek for six hours on Monday as the Pine "
            "Hollow fire spread to 6,500 acres. About 300 homes were evacuated by the Lewis and Clark County "
            "sheriff, two barns were lost, and tankers flying from Missoula laid retardant on the ridges "
            "above the ranches.",
        ),
        (
            "Wolf Creek families wait out Pine Hollow fire",
            "Families from 300 homes around Wolf Creek spent Monday night in a Helena school gym while the "
            "Pine Hollow fire held at 6,500 acres. Crews from Missoula and the Lewis and Clark County "
            "sheriff's office reopened Interstate 15 in the evening after six hours, and ranchers counted "
            "two burned barns.",
        ),
    ],
)
_RECALL = {
    "Cedar Ridge": (
        "It is the second large wildfire of the week in the Northwest. Earlier, a wildfire north of "
        "Helena, Montana burned across 6,500 acres of ranch land, destroyed two barns, closed Interstate 15 "
        "for six hours and forced 300 homes around Wolf Creek to evacuate, while air tankers from Missoula "
        "dropped retardant and the Lewis and Clark County sheriff set up a shelter. Fire officials warned "
        "that wildfire crews, tankers and firefighters are stretched thin across the West, that the "
        "wildfire season has grown longer, and that evacuation orders may widen if winds rise."
    ),
    "Pine Hollow": (
        "It is one of several large wildfires burning across the Northwest. In Oregon a wildfire crossed "
        "Highway 58 and reached 11,000 acres, forcing 2,400 residents of Oakridge and Westfir from their "
        "homes as east winds pushed it over the Willamette River, and the Lane County sheriff opened "
        "shelters at the Eugene fairgrounds. Fire officials warned that wildfire crews, tankers and "
        "firefighters are stretched thin across the West, that the wildfire season has grown longer, "
        "and that evacuation orders may widen if winds rise."
    ),
}


def two_fires() -> tuple[list[Article], list[str]]:
    """Two wildfires of one week, each article's second paragraph recalling the other fire."""
    articles, labels = [], []
    for name, pieces in (_RIDGE, _HOLLOW):
        for i, (title, lede) in enumerate(pieces):
            articles.append(
                Article(
                    id=f"{name}-{i}",
                    title=title,
                    url="",
                    source=f"Outlet {i}",
                    published=datetime(2026, 8, 12 + i, 9, tzinfo=UTC),
                    text=lede + "\n" + _RECALL[name],
                )
            )
            labels.append(name)
    return articles, labels
