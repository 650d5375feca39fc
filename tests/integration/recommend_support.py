"""What the recommender suites share: a small topic-tagged corpus, events, and a meter with prices.

The corpus has three short German notes per topic, each one chunk, so a suite ingests it in a few
seconds (the embedder is the real e5 model). Meter data is simulated: a household with PV at
15-minute readings and the simulated day-ahead prices of the same days.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from luna.container import Container, build_container
from luna.domain.bandit import COLD_STRATEGIES, STRATEGIES, WARM
from luna.domain.energy import MeterInfo, PriceBatch, ReadingBatch
from luna.domain.events import Event, EventType
from luna.domain.sim.market import simulate_prices
from luna.domain.sim.meters import MeterSpec, simulate_meter
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import load_settings

TOPIC_NOTES: dict[str, list[tuple[str, str]]] = {
    "pv": [
        (
            "Photovoltaik auf dem Einfamilienhaus",
            "Eine Photovoltaikanlage auf dem Dach erzeugt tagsüber Solarstrom. Module nach Süden mit "
            "30 Grad Neigung liefern in Deutschland rund 950 kWh pro kWp und Jahr.",
        ),
        (
            "Wechselrichter und Module",
            "Der Wechselrichter wandelt den Gleichstrom der Solarmodule in Wechselstrom. Verschattung "
            "einzelner Module senkt den Ertrag der ganzen Photovoltaikanlage.",
        ),
        (
            "Einspeisevergütung für Solarstrom",
            "Überschüssiger Solarstrom der PV-Anlage wird ins Netz eingespeist und nach dem EEG vergütet. "
            "Kleine Anlagen bis 10 kWp erhalten die höchste Vergütung je Kilowattstunde.",
        ),
    ],
    "waermepumpe": [
        (
            "Wärmepumpe im Altbau",
            "Eine Wärmepumpe heizt auch im Altbau effizient, wenn die Vorlauftemperatur unter 55 Grad "
            "bleibt. Große Heizkörper oder eine Fußbodenheizung helfen dabei.",
        ),
        (
            "Jahresarbeitszahl verstehen",
            "Die Jahresarbeitszahl einer Wärmepumpe gibt an, wie viel Wärme sie je Kilowattstunde Strom "
            "liefert. Gute Luft-Wasser-Wärmepumpen erreichen Werte um 3,5.",
        ),
        (
            "Erdwärme und Sole",
            "Sole-Wasser-Wärmepumpen nutzen Erdwärme über Erdsonden. Sie arbeiten im Winter effizienter "
            "als Luftwärmepumpen, kosten aber mehr in der Anschaffung.",
        ),
    ],
    "tarif": [
        (
            "Dynamischer Stromtarif",
            "Mit einem dynamischen Stromtarif zahlen Haushalte den Börsenpreis der jeweiligen Stunde. "
            "Mittags und nachts ist Strom oft besonders günstig.",
        ),
        (
            "Grundpreis und Arbeitspreis",
            "Ein Stromtarif besteht aus Grundpreis und Arbeitspreis. Der Arbeitspreis wird je verbrauchter "
            "Kilowattstunde berechnet, der Grundpreis monatlich.",
        ),
        (
            "Stromanbieter wechseln",
            "Der Wechsel des Stromanbieters ist mit zwei Wochen Frist möglich. Preisgarantien und "
            "Vertragslaufzeiten entscheiden über den günstigsten Tarif.",
        ),
    ],
    "speicher": [
        (
            "Batteriespeicher für Solarstrom",
            "Ein Batteriespeicher lädt mittags mit überschüssigem Solarstrom und gibt ihn abends ab. "
            "So steigt der Eigenverbrauch auf bis zu 70 Prozent.",
        ),
        (
            "Speichergröße richtig wählen",
            "Als Faustregel passt je 1.000 kWh Jahresverbrauch etwa 1 kWh Speicherkapazität. Zu große "
            "Batteriespeicher werden im Winter kaum voll.",
        ),
        (
            "Lebensdauer von Lithium-Speichern",
            "Lithium-Eisenphosphat-Speicher halten 6.000 Ladezyklen und mehr. Die nutzbare Kapazität "
            "nimmt über die Jahre langsam ab.",
        ),
    ],
}


#: One long document (several chunks): what "at most two chunks per item" is about.
GRID_FEES_TITLE = "Netzentgelte im Überblick"
GRID_FEES_SECTIONS = [
    ("Wer Netzentgelte erhebt", "Netzbetreiber erheben Netzentgelte für die Nutzung der Stromnetze."),
    ("Arbeitspreis und Grundpreis", "Das Netzentgelt besteht aus einem Arbeitspreis je Kilowattstunde."),
    ("Regulierung", "Die Bundesnetzagentur genehmigt die Erlösobergrenzen der Netzbetreiber."),
    ("Regionale Unterschiede", "In ländlichen Regionen mit viel Windkraft waren Netzentgelte höher."),
    (
        "Paragraf 14a",
        "Steuerbare Verbrauchseinrichtungen erhalten nach § 14a EnWG ein reduziertes Netzentgelt.",
    ),
    ("Ausblick", "Der Netzausbau für die Energiewende wird die Netzentgelte weiter beeinflussen."),
]


def grid_fees_document() -> str:
    """Six short sections: six chunks of one item."""
    parts = [f"# {GRID_FEES_TITLE}\n"]
    for heading, sentence in GRID_FEES_SECTIONS:
        filler = " ".join(
            f"{sentence} Dieser Abschnitt erläutert das Thema {heading} in Satz {n} mit weiteren Details."
            for n in range(1, 3)
        )
        parts.append(f"## {heading}\n\n{filler}\n")
    return "\n".join(parts)


#: A long document on a topic no other note shares: a reader of it has a content pool of its chunks only.
HEAT_PLAN_TITLE = "Kommunale Wärmeplanung Musterstadt"
HEAT_PLAN_DISTRICTS = 50


def heat_plan_document(districts: int = HEAT_PLAN_DISTRICTS) -> str:
    """One section per city district, each a chunk: more chunks than a content pool holds."""
    parts = [f"# {HEAT_PLAN_TITLE}\n"]
    for n in range(1, districts + 1):
        parts.append(
            f"## Quartier {n}\n\nDie kommunale Wärmeplanung sieht für das Quartier {n} ein Wärmenetz mit "
            f"{40 + 7 * n} Hausanschlüssen und einer Heizzentrale mit {n % 5 + 2} Megawatt vor. Der "
            f"Anschluss an das Fernwärmenetz im Quartier {n} ist ab dem Jahr {2030 + n % 9} geplant.\n"
        )
    return "\n".join(parts)


def ingest_heat_plan(container: Container, districts: int = HEAT_PLAN_DISTRICTS) -> list[Note]:
    """The long document: one note per chunk, in order."""
    result = container.services.knowledge.ingest.ingest(
        IngestRequest(
            data=heat_plan_document(districts).encode(), filename="waermeplan.md", tags=["Wärmeplanung"]
        )
    )
    with container.database.unit_of_work(read_only=True) as uow:
        chunks = uow.chunks.list_for_item(result.item_id)
    return [Note(result.item_id, chunk.chunk_id, "waermeplan", HEAT_PLAN_TITLE) for chunk in chunks]


#: A Swiss municipal plan on the topic of the heat-pump notes (issue 19: recommended to a German household).
SWISS_PLAN_TITLE = "Wärmepumpen im Energieplan Winterthur"
SWISS_PLAN_TEXT = (
    "Der kommunale Energieplan der Stadt Winterthur regelt, wo Wärmepumpen als Heizung erlaubt sind. "
    "Luft-Wasser-Wärmepumpen ausserhalb des Gebäudes sind beim Kanton Zürich zu melden. Die Stadt "
    "fördert den Ersatz einer Ölheizung durch eine Wärmepumpe mit 2'000 CHF."
)


def ingest_swiss_plan(container: Container) -> Note:
    """The Swiss plan as one note tagged like the heat-pump notes, as old as the corpus."""
    result = container.services.knowledge.ingest.ingest(
        IngestRequest(
            data=f"# {SWISS_PLAN_TITLE}\n\n{SWISS_PLAN_TEXT}\n".encode(),
            filename="energieplan-winterthur.md",
            tags=["waermepumpe"],
        )
    )
    age_items(container, [result.item_id], days=120)
    with container.database.unit_of_work(read_only=True) as uow:
        [chunk] = uow.chunks.list_for_item(result.item_id)
    return Note(result.item_id, chunk.chunk_id, "waermepumpe", SWISS_PLAN_TITLE)


def teach_bandit(container: Container, strategy: str, segment: str, rounds: int = 40) -> None:
    """Logged answers from which the bandit learnt that ``strategy`` pays in ``segment`` and the other
    strategies do not: it then serves ``strategy`` there (practically always). Each round an hour
    apart: one user's answers of one strategy within an hour are one round to the bandit."""
    user_id = new_user(container)
    events: list[Event] = []
    for arm in STRATEGIES if segment == WARM else COLD_STRATEGIES:
        for hours in range(rounds):
            at = datetime.now(UTC) - timedelta(days=1, hours=hours)
            served = Event(
                event_id=str(uuid.uuid4()),
                user_id=user_id,
                ts=at,
                type=EventType.RECOMMEND,
                meta={"strategy": arm, "segment": segment, "chunk_ids": [], "energy": []},
            )
            events.append(served)
            if arm == strategy:
                events.append(
                    Event(
                        event_id=str(uuid.uuid4()),
                        user_id=user_id,
                        ts=at,
                        type=EventType.CLICK,
                        meta={"recommendation_id": served.event_id},
                    )
                )
    with container.database.unit_of_work() as uow:
        uow.events.add_many(events)
        uow.commit()
    container.services.recommender.chooser.invalidate()


@dataclass(frozen=True, slots=True)
class Note:
    item_id: str
    chunk_id: str
    topic: str
    title: str


def ingest_notes(container: Container, topics: Sequence[str] = tuple(TOPIC_NOTES)) -> list[Note]:
    notes: list[Note] = []
    for topic in topics:
        for title, text in TOPIC_NOTES[topic]:
            result = container.services.knowledge.ingest.ingest(
                IngestRequest(
                    data=f"# {title}\n\n{text}\n".encode(),
                    filename=f"{uuid.uuid4().hex[:8]}.md",
                    kind="note",
                    tags=[topic],
                )
            )
            with container.database.unit_of_work(read_only=True) as uow:
                [chunk] = uow.chunks.list_for_item(result.item_id)
            notes.append(Note(result.item_id, chunk.chunk_id, topic, title))
    return notes


def ingest_grid_fees(container: Container) -> tuple[str, list[str]]:
    """The long document, tagged ``netzentgelte``: its item ID and chunk IDs."""
    result = container.services.knowledge.ingest.ingest(
        IngestRequest(data=grid_fees_document().encode(), filename="netzentgelte.md", tags=["netzentgelte"])
    )
    with container.database.unit_of_work(read_only=True) as uow:
        chunk_ids = [chunk.chunk_id for chunk in uow.chunks.list_for_item(result.item_id)]
    return result.item_id, chunk_ids


def age_items(container: Container, item_ids: Sequence[str], days: float) -> None:
    """Make items look ``days`` old: fresh items are then only the ones a test adds."""
    moment = datetime.now(UTC) - timedelta(days=days)
    with container.database.unit_of_work() as uow:
        for item_id in item_ids:
            uow.items.update(item_id, created_at=moment, updated_at=moment)
        uow.commit()


def new_user(container: Container) -> str:
    user_id = str(uuid.uuid4())
    with container.database.unit_of_work() as uow:
        uow.users.get_or_create(user_id)
        uow.commit()
    return user_id


def record(
    container: Container,
    user_id: str,
    kind: EventType,
    note: Note,
    at: datetime,
    **meta: object,
) -> str:
    event = Event(
        event_id=str(uuid.uuid4()),
        user_id=user_id,
        ts=at,
        type=kind,
        item_id=note.item_id,
        chunk_id=note.chunk_id,
        meta=dict(meta),
    )
    with container.database.unit_of_work() as uow:
        uow.events.add_many([event])
        uow.commit()
    return event.event_id


def fill_meter(container: Container, meter_id: str, start: datetime, days: int) -> None:
    """A PV household at 15-minute readings over ``days`` from ``start``, and EEX BASE prices."""
    end = start + timedelta(days=days)
    series = simulate_meter(
        MeterSpec(meter_id, "household", annual_kwh=4500.0, has_pv=True, pv_kwp=8.0, seed=3),
        start,
        end,
        step=timedelta(minutes=15),
    )
    n = series.ts.shape[0]
    store = container.energy
    store.upsert_meters(
        [MeterInfo(meter_id, kind="household", has_pv=True, pv_kwp=8.0, annual_kwh=4500.0, interval_s=900)]
    )
    store.write_readings(
        ReadingBatch(
            meter_id=np.full(n, meter_id),
            ts=series.ts,
            consumption_kw=series.consumption_kw,
            production_kw=series.production_kw,
            voltage=series.voltage,
            quality=series.quality,
            register_kwh=series.register_kwh,
        )
    )
    prices = simulate_prices(start, end, seed=5)
    m = prices.ts.shape[0]
    store.write_prices(
        PriceBatch(
            market=np.full(m, "EEX"),
            product=np.full(m, "BASE"),
            ts=prices.ts,
            price_eur_mwh=prices.price_eur_mwh,
            volume=prices.volume_mwh,
        )
    )


@dataclass(frozen=True, slots=True)
class Corpus:
    notes: list[Note]
    grid_fees_item: str
    grid_fees_chunks: list[str]

    def of_topic(self, topic: str) -> list[Note]:
        return [note for note in self.notes if note.topic == topic]


def build_corpus(data_dir: Path) -> Corpus:
    """A data dir holding the corpus, 120 days old: copy it (``shutil.copytree``) into each test's own
    data dir, which is much faster than embedding the corpus again."""
    settings = load_settings(
        "test", environ={"LUNA_DATA_DIR": str(data_dir)}, env_file=data_dir.parent / "absent.env"
    )
    container = build_container(settings)
    try:
        container.database.upgrade()
        notes = ingest_notes(container)
        item_id, chunk_ids = ingest_grid_fees(container)
        age_items(container, [note.item_id for note in notes] + [item_id], days=120)
    finally:
        container.close()
    return Corpus(notes, item_id, chunk_ids)
