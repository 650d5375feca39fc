"""The short German "why" of each recommendation, and the topics it names.

A reason is a lower-case fragment the dashboard puts after "Empfohlen, ": "weil Sie sich für
Photovoltaik interessieren", "beliebt bei anderen Nutzern", "neu in der Wissensbasis". It names what
actually ranked the item (the largest share of its score), never a generic compliment.

Topics come from an item's tags, and from its title when it has none: tags are operator vocabulary
(``pv``, ``waermepumpe``, ``tarif``), so a small glossary turns the common ones into the words a
customer reads; other tags are shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from luna.domain.document_country import IN_COUNTRY
from luna.domain.german_numbers import de_number, de_percent
from luna.domain.german_text import fold, surface_tokens

#: Folded tag or title word → the topic as a customer reads it.
_GLOSSARY: Mapping[str, str] = {
    "pv": "Photovoltaik",
    "photovoltaik": "Photovoltaik",
    "solar": "Photovoltaik",
    "solarstrom": "Photovoltaik",
    "solaranlage": "Photovoltaik",
    "balkonkraftwerk": "Photovoltaik",
    "warmepumpe": "Wärmepumpen",
    "warmepumpen": "Wärmepumpen",
    "heizung": "Heizung",
    "tarif": "Stromtarife",
    "tarife": "Stromtarife",
    "stromtarif": "Stromtarife",
    "stromtarife": "Stromtarife",
    "dynamischer-tarif": "Stromtarife",
    "netzentgelt": "Netzentgelte",
    "netzentgelte": "Netzentgelte",
    "speicher": "Stromspeicher",
    "stromspeicher": "Stromspeicher",
    "batteriespeicher": "Stromspeicher",
    "batterie": "Stromspeicher",
    "e-mobilitat": "Elektromobilität",
    "emobilitat": "Elektromobilität",
    "elektromobilitat": "Elektromobilität",
    "elektroauto": "Elektromobilität",
    "wallbox": "Elektromobilität",
    "eeg": "das EEG",
    "enwg": "das Energiewirtschaftsgesetz",
    "geg": "das Gebäudeenergiegesetz",
    "smart-meter": "Smart Meter",
    "smartmeter": "Smart Meter",
    "messsystem": "Smart Meter",
    "strompreis": "Strompreise",
    "strompreise": "Strompreise",
    "borsenstrompreis": "Strompreise",
    "energieeffizienz": "Energieeffizienz",
    "effizienz": "Energieeffizienz",
    "lastverschiebung": "Lastverschiebung",
    "eigenverbrauch": "Eigenverbrauch",
}
_WORDLIKE = re.compile(r"^[^\W\d_][\w\- ]{1,40}$")
#: Words of the tags operators use for bookkeeping, not for what a text is about: never a customer's
#: "interest" (every demo document is tagged ``demo``; "weil Sie sich für Demo interessieren" was shown
#: everywhere).
_NOT_TOPICS = frozenset(
    fold(word)
    for word in (
        "demo", "demodaten", "test", "tests", "testdaten", "beispiel", "beispiele", "beispieldaten",
        "sample", "samples", "intern", "internal", "import", "importiert", "upload", "uploads", "batch",
        "seed", "tmp", "temp", "todo", "entwurf", "draft", "crawler", "crawl", "dev", "debug", "misc",
        "sonstiges",
    )
)  # fmt: skip
#: Where a tag splits into words: "import-2024-05", "demo_set", "Test 3", "batch7".
_TAG_PARTS = re.compile(r"[\s\-_./:]+|(?<=[a-z])(?=\d)")

POPULAR_REASON = "beliebt bei anderen Nutzern"
FRESH_REASON = "neu in der Wissensbasis"
COLD_START_REASON = "ein guter Einstieg in die Wissensbasis"
PROFILE_REASON = "passend zu dem, was Sie zuletzt gelesen haben"


def topic_of_tag(tag: str) -> str | None:
    """The topic a tag stands for: the glossary's word, the tag itself when it reads like one, else None."""
    cleaned = tag.strip()
    if not cleaned or _is_bookkeeping(cleaned):
        return None
    known = _GLOSSARY.get(fold(cleaned).replace("_", "-").replace(" ", "-"))
    if known is not None:
        return known
    if not _WORDLIKE.match(cleaned):
        return None
    return cleaned[0].upper() + cleaned[1:]


def _is_bookkeeping(tag: str) -> bool:
    """A tag that is, or begins with, a bookkeeping word (``demo``, ``import-2024-05``, ``Test 3``); a
    topic that merely ends in one ("Wärmepumpen-Test") is still a topic."""
    parts = [part for part in _TAG_PARTS.split(fold(tag)) if part]
    return not parts or parts[0] in _NOT_TOPICS


def topics_of(tags: Sequence[str], title: str | None) -> list[str]:
    """An item's topics: from its tags, or from glossary words in its title when tags give none."""
    found = [topic for topic in (topic_of_tag(tag) for tag in tags) if topic is not None]
    if not found and title:
        found = [_GLOSSARY[token] for token in surface_tokens(title) if token in _GLOSSARY]
    return list(dict.fromkeys(found))


def interest_reason(topic: str) -> str:
    return f"weil Sie sich für {topic} interessieren"


def similar_reason(title: str) -> str:
    return f"ähnlich zu „{_short(title)}“, das Sie gelesen haben"


def foreign_reason(reason: str, country: str) -> str:
    """``reason`` of a document from another country, saying where it is from: its rules and prices
    may not apply to the reader."""
    where = IN_COUNTRY.get(country, f"dem Ausland ({country})")
    return f"{reason} – ein Beispiel aus {where}, dort gelten eigene Regeln und Preise"


def best_topic(candidates: Iterable[str], interests: Mapping[str, float]) -> str | None:
    """The candidate topic the user cares most about (None when they share none); ties by name."""
    shared = [(interests[topic], topic) for topic in candidates if interests.get(topic, 0.0) > 0]
    if not shared:
        return None
    return min(shared, key=lambda pair: (-pair[0], pair[1]))[1]


def _short(title: str, limit: int = 60) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


# -- numbers as a German reader writes them ---------------------------------------------------------


def euros(value: float) -> str:
    """``4,20 €``: two decimals, decimal comma, thousands with a dot (rounded as the dashboard's € are)."""
    return f"{de_number(value, 2)} €"


def kilowatts(value: float) -> str:
    return f"{de_number(value, 1)} kW"


def kilowatt_hours(value: float) -> str:
    return f"{de_number(value, 0 if value >= 100 else 1)} kWh"


def percent(share: float) -> str:
    return de_percent(share)


def clock_window(start_hour: int, start_minute: int, end_hour: int, end_minute: int) -> str:
    """``13–15 Uhr``, or ``13:30–15:30 Uhr`` off the full hour (``24`` for midnight at the end)."""
    if start_minute == 0 and end_minute == 0:
        return f"{start_hour}–{end_hour} Uhr"
    return f"{start_hour}:{start_minute:02d}–{end_hour}:{end_minute:02d} Uhr"
