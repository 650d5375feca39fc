"""The simulated world the recommender benchmarks share: a topic corpus, users with tastes, behaviour.

Corpus: six topics (Photovoltaik, Wärmepumpe, Stromtarife, Netzentgelte, Speicher, E-Mobilität),
eight short German notes each, written for this benchmark from a pool of sentences per topic (each
note one chunk, tagged with its topic). Users: each prefers one or two topics, drawn with a skew (PV
is the most common taste), so popularity alone serves the majority and misses the rest.

Behaviour: a user opens a note of their topics with ``BROWSE_ON_TOPIC`` and any note otherwise; they
like what they opened with ``LIKE_ON_TOPIC`` when it is one of their topics and ``LIKE_OFF_TOPIC``
otherwise, and dislike an off-topic note with ``DISLIKE_OFF_TOPIC``. Everything is drawn from seeded
generators, so a run is reproducible.
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from luna.container import Container, build_container
from luna.domain.events import Event, EventType
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
NOTES_PER_TOPIC = 8
LIKE_ON_TOPIC, LIKE_OFF_TOPIC, DISLIKE_OFF_TOPIC = 0.7, 0.03, 0.25
BROWSE_ON_TOPIC = 0.6

#: topic tag → (how many users prefer it, relative; titles; sentences)
TOPICS: dict[str, tuple[float, list[str], list[str]]] = {
    "pv": (
        3.0,
        [
            "Photovoltaik auf dem Einfamilienhaus",
            "Solarmodule richtig ausrichten",
            "Wechselrichter im Vergleich",
            "Balkonkraftwerk anmelden",
            "Ertrag einer PV-Anlage",
            "Verschattung von Solarmodulen",
            "Einspeisevergütung nach dem EEG",
            "PV-Anlage reinigen und warten",
        ],
        [
            "Eine Photovoltaikanlage wandelt Sonnenlicht direkt in elektrischen Strom um.",
            "Module mit Südausrichtung und 30 Grad Neigung liefern in Deutschland den höchsten Ertrag.",
            "Pro installiertem Kilowattpeak erzeugt eine Anlage rund 950 Kilowattstunden im Jahr.",
            "Der Wechselrichter macht aus dem Gleichstrom der Module netzfähigen Wechselstrom.",
            "Schon der Schatten eines Schornsteins kann den Ertrag eines ganzen Modulstrangs senken.",
            "Ein Balkonkraftwerk mit bis zu 800 Watt wird im Marktstammdatenregister angemeldet.",
            "Überschüssiger Solarstrom wird ins Netz eingespeist und nach dem EEG vergütet.",
            "Solarmodule verlieren pro Jahr etwa ein halbes Prozent ihrer Leistung.",
            "Ost-West-Dächer liefern morgens und abends Strom und passen gut zum Eigenverbrauch.",
            "Ein Monitoring der PV-Anlage zeigt Ausfälle einzelner Module früh an.",
            "Für Solaranlagen auf Wohngebäuden gilt seit 2023 ein Umsatzsteuersatz von null Prozent.",
            "Verschmutzte Module erzeugen weniger Solarstrom, Regen reinigt sie meist ausreichend.",
        ],
    ),
    "waermepumpe": (
        2.0,
        [
            "Wärmepumpe im Altbau",
            "Luft-Wasser-Wärmepumpe erklärt",
            "Jahresarbeitszahl verstehen",
            "Erdwärme mit Sole-Wärmepumpe",
            "Vorlauftemperatur senken",
            "Wärmepumpentarif nutzen",
            "Förderung für Wärmepumpen",
            "Schallschutz bei Außengeräten",
        ],
        [
            "Eine Wärmepumpe nutzt die Wärme aus Luft, Erde oder Grundwasser zum Heizen.",
            "Die Jahresarbeitszahl gibt an, wie viel Wärme je Kilowattstunde Strom entsteht.",
            "Gute Luft-Wasser-Wärmepumpen erreichen eine Jahresarbeitszahl von etwa 3,5.",
            "Im Altbau arbeitet die Wärmepumpe effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt.",
            "Größere Heizkörper oder eine Fußbodenheizung senken die nötige Vorlauftemperatur.",
            "Sole-Wasser-Wärmepumpen holen Erdwärme über Erdsonden aus der Tiefe.",
            "Viele Netzbetreiber bieten günstigere Wärmepumpentarife mit eigenem Zähler an.",
            "Das Außengerät einer Luftwärmepumpe muss die Lärmgrenzwerte zum Nachbarn einhalten.",
            "Ein hydraulischer Abgleich verbessert die Effizienz der Heizung deutlich.",
            "Die Heizlast des Gebäudes bestimmt die richtige Größe der Wärmepumpe.",
            "Im Winter sinkt die Effizienz einer Luftwärmepumpe bei starkem Frost.",
            "Für den Heizungstausch zur Wärmepumpe gibt es staatliche Zuschüsse.",
        ],
    ),
    "tarif": (
        1.5,
        [
            "Dynamischer Stromtarif erklärt",
            "Grundpreis und Arbeitspreis",
            "Stromanbieter wechseln",
            "Preisgarantie im Stromvertrag",
            "Börsenstrompreis und Endkundenpreis",
            "Abschlag richtig einstellen",
            "Ökostromtarife vergleichen",
            "Sonderkündigungsrecht bei Preiserhöhung",
        ],
        [
            "Ein dynamischer Stromtarif gibt den stündlichen Börsenpreis an den Haushalt weiter.",
            "Der Arbeitspreis wird je verbrauchter Kilowattstunde berechnet, der Grundpreis monatlich.",
            "Einen Stromanbieter zu wechseln ist mit zwei Wochen Frist möglich.",
            "Eine Preisgarantie schützt vor Erhöhungen des Arbeitspreises während der Laufzeit.",
            "Steuern, Umlagen und Netzentgelte machen einen großen Teil des Endkundenpreises aus.",
            "Der monatliche Abschlag sollte zum tatsächlichen Jahresverbrauch passen.",
            "Bei einer Preiserhöhung haben Kunden ein Sonderkündigungsrecht.",
            "Ökostromtarife unterscheiden sich darin, ob sie den Ausbau neuer Anlagen fördern.",
            "Mittags und nachts ist der Börsenstrom an vielen Tagen besonders günstig.",
            "Für einen dynamischen Tarif braucht der Haushalt ein intelligentes Messsystem.",
            "Vergleichsportale zeigen nicht immer alle Tarife eines Anbieters.",
            "Die Jahresabrechnung zeigt den Verbrauch und die gezahlten Abschläge.",
        ],
    ),
    "netzentgelte": (
        1.0,
        [
            "Netzentgelte im Überblick",
            "Wer die Netzentgelte festlegt",
            "Regionale Unterschiede der Netzentgelte",
            "Reduziertes Netzentgelt nach Paragraf 14a",
            "Netzentgelte und Netzausbau",
            "Netzentgelte auf der Stromrechnung",
            "Steuerbare Verbrauchseinrichtungen",
            "Bundeszuschuss zu Übertragungsnetzentgelten",
        ],
        [
            "Netzbetreiber erheben Netzentgelte für den Transport des Stroms durch ihre Netze.",
            "Die Bundesnetzagentur genehmigt die Erlösobergrenzen der Netzbetreiber.",
            "In Regionen mit viel Windkraft lagen die Netzentgelte lange höher als anderswo.",
            "Steuerbare Verbrauchseinrichtungen erhalten nach Paragraf 14a EnWG ein reduziertes Netzentgelt.",
            "Wallboxen und Wärmepumpen gelten als steuerbare Verbrauchseinrichtungen.",
            "Der Netzbetreiber darf steuerbare Geräte bei Engpässen vorübergehend drosseln.",
            "Der Ausbau der Verteilnetze für die Energiewende erhöht die Netzkosten.",
            "Auf der Stromrechnung sind die Netzentgelte als eigener Posten ausgewiesen.",
            "Netzentgelte bestehen aus einem Arbeitspreis und einem Grundpreis des Netzbetreibers.",
            "Ein Bundeszuschuss hat die Übertragungsnetzentgelte zeitweise gesenkt.",
            "Zeitvariable Netzentgelte belohnen den Verbrauch in Schwachlastzeiten.",
            "Die Entgelte werden jährlich zum ersten Januar angepasst.",
        ],
    ),
    "speicher": (
        1.5,
        [
            "Batteriespeicher für Solarstrom",
            "Speichergröße richtig wählen",
            "Lebensdauer von Lithium-Speichern",
            "AC- oder DC-gekoppelter Speicher",
            "Notstrom mit dem Hausspeicher",
            "Wirtschaftlichkeit eines Stromspeichers",
            "Speicher nachrüsten",
            "Stromspeicher und dynamischer Tarif",
        ],
        [
            "Ein Batteriespeicher lädt mittags mit Solarstrom und gibt ihn abends wieder ab.",
            "Mit einem Speicher steigt der Eigenverbrauch einer PV-Anlage auf bis zu 70 Prozent.",
            "Als Faustregel passt je 1.000 kWh Jahresverbrauch etwa 1 kWh Speicherkapazität.",
            "Lithium-Eisenphosphat-Speicher halten mehrere tausend Ladezyklen.",
            "Ein DC-gekoppelter Speicher sitzt vor dem Wechselrichter der PV-Anlage.",
            "AC-gekoppelte Speicher lassen sich leicht an bestehende Anlagen nachrüsten.",
            "Nur Speicher mit Notstromfunktion versorgen das Haus bei einem Netzausfall.",
            "Die nutzbare Kapazität eines Akkus nimmt über die Jahre langsam ab.",
            "Zu große Speicher werden im Winter kaum vollständig geladen.",
            "Ein Speicher rechnet sich, wenn der Preis je gespeicherter Kilowattstunde niedrig ist.",
            "Mit einem dynamischen Tarif kann der Speicher auch günstigen Netzstrom laden.",
            "Heimspeicher sollten kühl und trocken aufgestellt werden.",
        ],
    ),
    "e-mobilitaet": (
        1.0,
        [
            "Wallbox zu Hause installieren",
            "Elektroauto mit Solarstrom laden",
            "Ladeleistung und Ladezeit",
            "Öffentliche Ladesäulen und Preise",
            "Bidirektionales Laden",
            "THG-Quote für Elektroautos",
            "Wallbox als steuerbare Einrichtung",
            "Reichweite im Winter",
        ],
        [
            "Eine Wallbox lädt das Elektroauto zu Hause mit bis zu 11 Kilowatt.",
            "Mit Überschussladen fließt nur der Solarstrom in die Batterie des Elektroautos.",
            "Die Ladezeit hängt von der Ladeleistung der Wallbox und des Bordladers ab.",
            "An öffentlichen Schnellladesäulen kostet die Kilowattstunde meist deutlich mehr.",
            "Beim bidirektionalen Laden gibt das Auto Strom an das Haus zurück.",
            "Halter von Elektroautos können jährlich die THG-Quote verkaufen.",
            "Eine Wallbox über 4,2 Kilowatt muss beim Netzbetreiber angemeldet werden.",
            "Im Winter sinkt die Reichweite eines Elektroautos durch Heizung und Kälte.",
            "Ein Elektroauto verbraucht etwa 15 bis 20 Kilowattstunden auf 100 Kilometer.",
            "Das Laden in der Nacht nutzt oft günstige Strompreise.",
            "Ladekarten und Apps unterscheiden sich stark in ihren Tarifen.",
            "Vorklimatisieren am Ladekabel schont die Reichweite im Winter.",
        ],
    ),
}


@dataclass(frozen=True, slots=True)
class Note:
    item_id: str
    chunk_id: str
    topic: str


@dataclass(slots=True)
class SimUser:
    user_id: str
    topics: frozenset[str]
    seen: set[str] = field(default_factory=set)


def note_text(topic: str, index: int) -> tuple[str, str]:
    """Title and text of note ``index`` of ``topic``: four of the topic's sentences, never the same four."""
    _, titles, sentences = TOPICS[topic]
    chosen = [sentences[(index + step * 3) % len(sentences)] for step in range(4)]
    return titles[index], " ".join(chosen)


def open_world(work: Path, **env: str) -> Container:
    """A fresh embedded container in ``work`` (emptied first), quiet logs, throw-away secrets."""
    if work.exists():
        shutil.rmtree(work)
    environ = {
        **os.environ,
        "LUNA_DATA_DIR": str(work),
        "LUNA_AUTH__ADMIN_API_KEY": "bench-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "bench-jwt-secret-0123456789",
        "LUNA_LOGGING__LEVEL": "WARNING",
        "LUNA_INGEST__DEMO_SAMPLES": "false",
        **env,
    }
    container = build_container(load_settings("default", environ=environ, env_file=work / "none.env"))
    container.database.upgrade()
    return container


def ingest_corpus(container: Container, age_days: float = 60.0) -> list[Note]:
    """Every note, ingested through Luna's ingest service and dated ``age_days`` back."""
    notes: list[Note] = []
    for topic in TOPICS:
        for index in range(NOTES_PER_TOPIC):
            title, text = note_text(topic, index)
            result = container.services.knowledge.ingest.ingest(
                IngestRequest(
                    data=f"# {title}\n\n{text}\n".encode(), filename=f"{topic}-{index}.md", tags=[topic]
                )
            )
            with container.database.unit_of_work(read_only=True) as uow:
                chunks = uow.chunks.list_for_item(result.item_id)
            notes.extend(Note(result.item_id, chunk.chunk_id, topic) for chunk in chunks)
    # A minute apart in a seeded order: with equal dates the random item IDs would break ties by chance,
    # and in ingest order the first topic would look newest.
    moment = datetime.now(UTC) - timedelta(days=age_days)
    order = list(dict.fromkeys(note.item_id for note in notes))
    random.Random(0).shuffle(order)
    with container.database.unit_of_work() as uow:
        for index, item_id in enumerate(order):
            dated = moment - timedelta(minutes=index)
            uow.items.update(item_id, created_at=dated, updated_at=dated)
        uow.commit()
    return notes


def make_users(container: Container, count: int, rng: random.Random) -> list[SimUser]:
    names = list(TOPICS)
    weights = [TOPICS[name][0] for name in names]
    users: list[SimUser] = []
    with container.database.unit_of_work() as uow:
        for _ in range(count):
            wanted = 1 if rng.random() < 0.5 else 2
            topics: set[str] = set()
            while len(topics) < wanted:
                topics.add(rng.choices(names, weights)[0])
            user = SimUser(str(uuid.UUID(int=rng.getrandbits(128), version=4)), frozenset(topics))
            uow.users.get_or_create(user.user_id)
            users.append(user)
        uow.commit()
    return users


def browse(
    user: SimUser, notes: Sequence[Note], seen: int, rng: random.Random, now: datetime, days: float = 14.0
) -> list[Event]:
    """The user's history: ``seen`` notes viewed, liked or disliked by their taste.

    Users open what interests them: each view is a note of one of their topics with ``BROWSE_ON_TOPIC``,
    otherwise any note (curiosity, a link, a search hit).
    """
    events: list[Event] = []
    unseen = [note for note in notes if note.chunk_id not in user.seen]
    for _ in range(min(seen, len(unseen))):
        on_topic_left = [note for note in unseen if note.topic in user.topics]
        pool = on_topic_left if on_topic_left and rng.random() < BROWSE_ON_TOPIC else unseen
        note = rng.choice(pool)
        unseen.remove(note)
        ts = now - timedelta(seconds=rng.uniform(60, days * 86_400))
        events.append(_event(user, EventType.VIEW, note, ts, rng))
        on_topic = note.topic in user.topics
        if rng.random() < (LIKE_ON_TOPIC if on_topic else LIKE_OFF_TOPIC):
            events.append(_event(user, EventType.LIKE, note, ts + timedelta(seconds=30), rng))
        elif not on_topic and rng.random() < DISLIKE_OFF_TOPIC:
            events.append(_event(user, EventType.DISLIKE, note, ts + timedelta(seconds=30), rng))
        user.seen.add(note.chunk_id)
    return events


def _event(
    user: SimUser, kind: EventType, note: Note, ts: datetime, rng: random.Random, **meta: object
) -> Event:
    return Event(
        event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        user_id=user.user_id,
        ts=ts,
        type=kind,
        item_id=note.item_id,
        chunk_id=note.chunk_id,
        meta=dict(meta),
    )


def click_event(user: SimUser, note: Note, ts: datetime, rng: random.Random, recommendation_id: str) -> Event:
    return _event(user, EventType.CLICK, note, ts, rng, recommendation_id=recommendation_id)


def store(container: Container, events: Sequence[Event]) -> None:
    with container.database.unit_of_work() as uow:
        for start in range(0, len(events), 1000):
            uow.events.add_many(events[start : start + 1000])
        uow.commit()
