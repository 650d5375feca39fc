"""Does the flywheel turn? Simulated users over simulated days, three topics the knowledge base lacks.

    .venv/bin/python bench/flywheel_loop.py [--days 6] [--per-hour 6] [--seed 7] [--sessions 100000]
        [--skip-loop] [--skip-throughput]

(bench/RESULTS.md: --days 5 --per-hour 24; the shipped thresholds need 20 samples per topic and day.)

A knowledge base of four short German documents (grid fees, heat pumps, smart meters, switching
supplier). Every simulated hour, ``--per-hour`` users ask one question each; until day 3 they ask
about the four covered topics, from day 3 on a third of them ask about one of three topics the
knowledge base does not cover (balcony solar, wallbox subsidy, tenant electricity). Luna's answer is
simulated by her own retrieval: a question whose best chunk reaches ``rag.min_dense_score`` is
answered (the user rates 👍 with p = 0.85), else refused (👎 with p = 0.9). Sessions go through
the real session ingest (pseudonyms, redaction), and after every simulated hour the real cycle runs
on a simulated clock: normalisation (embeddings, topics, gaps), KPIs, the shipped
``config/thresholds.yaml``, action tickets.

A simulated operator reads the open knowledge-gap tickets after each cycle; when a gap's examples
are about an injected topic, they add that topic's document and close the ticket. The run reports,
per injected topic: hours from its first question to the first alert on it, to a knowledge-gap
ticket naming it, and to the alert resolving after the document was added; and the precision and
recall of gap detection (a gap is right when most of its examples belong to one injected topic).
It also measures session ingest throughput (single vs. batched) and the KPI + alert part of the
hourly job at 100,000 sessions (normalisation is bounded by the embedding model and reported
separately as questions per second).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from luna.container import Container, build_container
from luna.domain.flywheel.actions import ActionKind, ActionStatus
from luna.domain.flywheel.sessions import IncomingSession, SessionTurn
from luna.services.flywheel.actions import ActionService
from luna.services.flywheel.alerts import AlertService
from luna.services.flywheel.cycle import FlywheelCycle
from luna.services.flywheel.kpis import KpiService
from luna.services.flywheel.normalise import SessionNormaliser
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "out" / "flywheel"
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday: KPI weeks start here

COVERED = {
    "netzentgelte": (
        "# Netzentgelte 2026\n\nHaushalte ohne Leistungsmessung zahlen 8,12 ct/kWh Netzentgelt und "
        "60 € Grundpreis im Jahr. Das Netzentgelt ist Teil des Strompreises und wird vom "
        "Netzbetreiber festgelegt.",
        [
            "Was kostet die Netznutzung pro Kilowattstunde?",
            "Wie hoch sind die Netzentgelte 2026?",
            "Welchen Grundpreis zahle ich für das Stromnetz?",
            "Wer legt das Netzentgelt fest?",
        ],
    ),
    "wärmepumpe": (
        "# Wärmepumpen\n\nEine Wärmepumpe macht aus einer Kilowattstunde Strom drei bis fünf Kilowattstunden "
        "Wärme. Die Jahresarbeitszahl sollte über 3 liegen. Förderung gibt es über die KfW.",
        [
            "Lohnt sich eine Wärmepumpe im Altbau?",
            "Was ist die Jahresarbeitszahl einer Wärmepumpe?",
            "Wie viel Wärme macht eine Wärmepumpe aus Strom?",
            "Gibt es eine Förderung für Wärmepumpen?",
        ],
    ),
    "smart meter": (
        "# Smart Meter\n\nDer Messstellenbetreiber baut das intelligente Messsystem ein. Die Kosten sind "
        "gesetzlich gedeckelt, für Haushalte bis 6.000 kWh auf 20 € im Jahr.",
        [
            "Was kostet ein Smart Meter im Jahr?",
            "Wer baut das intelligente Messsystem ein?",
            "Muss ich ein Smart Meter einbauen lassen?",
            "Wie teuer ist der Messstellenbetrieb?",
        ],
    ),
    "anbieterwechsel": (
        "# Stromanbieter wechseln\n\nDer Wechsel des Stromlieferanten darf höchstens drei Wochen dauern und "
        "kostet nichts. Der neue Lieferant kündigt den alten Vertrag.",
        [
            "Wie lange dauert ein Wechsel des Stromanbieters?",
            "Kostet der Anbieterwechsel etwas?",
            "Wer kündigt meinen alten Stromvertrag?",
            "Wie wechsle ich den Stromlieferanten?",
        ],
    ),
}
INJECTED = {
    "balkonkraftwerk": (
        "# Balkonkraftwerke\n\nEin Balkonkraftwerk (Steckersolargerät) bis 800 Watt wird nur im "
        "Marktstammdatenregister angemeldet; die Anmeldung beim Netzbetreiber entfällt.",
        [
            "Muss ich mein Balkonkraftwerk anmelden?",
            "Wo melde ich ein Balkonkraftwerk an?",
            "Wie viel Watt darf ein Balkonkraftwerk haben?",
            "Brauche ich für ein Steckersolargerät eine Genehmigung?",
        ],
    ),
    "wallbox": (
        "# Förderung für Wallboxen\n\nFür eine private Wallbox gibt es derzeit keinen Bundeszuschuss; manche "
        "Kommunen fördern Ladepunkte mit bis zu 500 €.",
        [
            "Gibt es eine Förderung für eine Wallbox?",
            "Wer bezuschusst meine Wallbox?",
            "Wie viel Zuschuss bekomme ich für eine Wallbox?",
            "Kann ich die Wallbox fördern lassen?",
        ],
    ),
    "mieterstrom": (
        "# Mieterstrom\n\nBeim Mieterstrom liefert der Vermieter Strom aus der Solaranlage auf dem Dach "
        "an die Mieter; der Preis darf höchstens 90 % des Grundversorgungstarifs betragen.",
        [
            "Was ist Mieterstrom?",
            "Wie teuer darf Mieterstrom sein?",
            "Darf mein Vermieter mir Solarstrom vom Dach verkaufen?",
            "Wie funktioniert ein Mieterstrommodell?",
        ],
    ),
}


@dataclass
class Timeline:
    first_question: datetime | None = None
    first_alert: datetime | None = None
    gap_named: datetime | None = None
    document_added: datetime | None = None
    resolved: datetime | None = None
    topic_labels: set[str] = field(default_factory=set)


def _container() -> Container:
    shutil.rmtree(WORK, ignore_errors=True)
    environ = {
        **os.environ,
        "LUNA_DATA_DIR": str(WORK),
        "LUNA_AUTH__ADMIN_API_KEY": "bench-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "bench-jwt-secret-0123456789",
        "LUNA_FLYWHEEL__PSEUDONYM_KEY": "bench-pseudonym-key-0123456789",
        "LUNA_FLYWHEEL__THRESHOLDS_FILE": str(REPO / "config" / "thresholds.yaml"),
        "LUNA_INGEST__DEMO_SAMPLES": "false",
        "LUNA_LOGGING__LEVEL": "ERROR",
    }
    container = build_container(load_settings("default", environ=environ, env_file=WORK / "none.env"))
    container.database.upgrade()
    return container


def _ingest(container: Container, name: str, text: str) -> None:
    container.services.knowledge.ingest.ingest(IngestRequest(data=text.encode(), filename=f"{name}.md"))


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _cycle(container: Container, clock: Clock) -> tuple[FlywheelCycle, ActionService, AlertService]:
    s, services = container.settings, container.services
    alerts = AlertService(
        container.database,
        s.flywheel.thresholds_file,
        None,
        payload_format="generic",
        external_url="http://bench",
        clock=clock,
    )
    actions = ActionService(container.database, services.jobs, None, clock=clock)
    normaliser = SessionNormaliser(
        container.database,
        container.vectors,
        container.embedder,
        services.knowledge.retrieval,
        container.blobs,
        gap_score=s.dense_score_floor,
        clock=clock,
    )
    cycle = FlywheelCycle(
        services.own_sessions,
        normaliser,
        KpiService(container.database, clock=clock),
        alerts,
        actions,
        collect_own=False,
        clock=clock,
    )
    return cycle, actions, alerts


def _answered(container: Container, question: str, cache: dict[str, bool]) -> bool:
    if question not in cache:
        best = container.services.knowledge.retrieval.search(question, top_k=3).best_dense_score
        cache[question] = best is not None and best >= container.settings.dense_score_floor
    return cache[question]


def _hour_sessions(
    container: Container,
    rng: random.Random,
    hour: datetime,
    per_hour: int,
    day: int,
    cache: dict[str, bool],
    asked: list[tuple[str, str]],
) -> list[IncomingSession]:
    sessions = []
    for n in range(per_hour):
        if day >= 2 and rng.random() < 1 / 3:
            topic = rng.choice(sorted(INJECTED))
            question = rng.choice(INJECTED[topic][1])
        else:
            topic = rng.choice(sorted(COVERED))
            question = rng.choice(COVERED[topic][1])
        answered = _answered(container, question, cache)
        draw = rng.random()
        rating = (1 if draw < 0.85 else -1) if answered else (-1 if draw < 0.9 else None)
        note = (
            "Danke, das hilft mir." if rating == 1 else ("Leider nicht hilfreich." if rating == -1 else None)
        )
        at = hour + timedelta(minutes=rng.randrange(60))
        turn = SessionTurn(
            question,
            "…" if answered else "Dazu finde ich nichts.",
            at,
            (),
            rating,
            note,
            not answered,
            float(rng.randrange(200, 900)),
        )
        sid = f"{hour:%Y%m%d%H}-{n}"
        asked.append((sid, topic))
        sessions.append(IncomingSession(sid, "bench", f"user-{rng.randrange(400)}", True, (turn,)))
    return sessions


def _gap_topic(examples: list[str]) -> str | None:
    """The injected topic most of a gap's examples belong to (None: a covered topic, a false gap)."""
    votes = Counter(t for t, (_, qs) in INJECTED.items() for e in examples if e in qs)
    if not votes:
        return None
    topic, count = votes.most_common(1)[0]
    return topic if count * 2 > len(examples) else None


def run_loop(days: int, per_hour: int, seed: int) -> None:
    container = _container()
    for name, (text, _) in COVERED.items():
        _ingest(container, name, text)
    clock = Clock()
    cycle, actions, alerts = _cycle(container, clock)
    rng, cache, asked = random.Random(seed), {}, []
    timelines = {topic: Timeline() for topic in INJECTED}
    gaps_seen: list[str | None] = []
    cycle_seconds: list[float] = []
    for hour_index in range(days * 24):
        hour = START + timedelta(hours=hour_index)
        batch = _hour_sessions(container, rng, hour, per_hour, hour_index // 24, cache, asked)
        container.services.sessions.ingest(batch)
        for _, topic in asked[-per_hour:]:
            if topic in timelines and timelines[topic].first_question is None:
                timelines[topic].first_question = hour
        clock.now = hour + timedelta(hours=1)
        began = time.perf_counter()
        cycle.run()
        cycle_seconds.append(time.perf_counter() - began)
        _learn_labels(container, asked[-per_hour:], timelines)
        _observe(container, actions, alerts, clock.now, timelines, gaps_seen, cache)
    _print_loop(timelines, gaps_seen, cycle_seconds, days, per_hour)
    container.close()


def _learn_labels(container: Container, asked: list[tuple[str, str]], timelines: dict[str, Timeline]) -> None:
    """The topic names the normaliser gave this hour's questions on the injected topics."""
    with container.database.unit_of_work(read_only=True) as uow:
        for sid, topic in asked:
            session = uow.sessions.current("bench", sid)
            if topic in timelines and session is not None and session.turns[0].topic:
                timelines[topic].topic_labels.add(session.turns[0].topic)


def _observe(
    container: Container,
    actions: ActionService,
    alerts: AlertService,
    now: datetime,
    timelines: dict[str, Timeline],
    gaps_seen: list[str | None],
    cache: dict[str, bool],
) -> None:
    for state in alerts.states():
        if state.firing:
            for timeline in timelines.values():
                if (
                    state.scope.removeprefix("topic:") in timeline.topic_labels
                    and timeline.first_alert is None
                ):
                    timeline.first_alert = now
    for action in actions.list(status=ActionStatus.OPEN.value, limit=50):
        if action.kind is not ActionKind.KNOWLEDGE_GAP:
            continue
        for gap in action.details.get("gaps", []):
            topic = _gap_topic(list(gap["examples"]))
            gaps_seen.append(topic)
            if topic is None:
                continue
            timeline = timelines[topic]
            timeline.topic_labels.add(gap["topic"])
            if timeline.gap_named is None:
                timeline.gap_named = now
            if timeline.document_added is None:
                _ingest(container, topic, INJECTED[topic][0])
                timeline.document_added = now
                cache.clear()
        actions.approve(action.action_id, "bench-operator", "wird ergänzt")
        actions.complete(action.action_id, "bench-operator", "Dokument ergänzt")
    firing_scopes = {s.scope.removeprefix("topic:") for s in alerts.states() if s.firing}
    for timeline in timelines.values():
        settled = timeline.document_added and timeline.first_alert and not timeline.resolved
        if settled and not timeline.topic_labels & firing_scopes:
            timeline.resolved = now


def _hours(start: datetime | None, end: datetime | None) -> str:
    return "–" if start is None or end is None else f"{(end - start).total_seconds() / 3600:.0f} h"


def _print_loop(
    timelines: dict[str, Timeline],
    gaps_seen: list[str | None],
    cycle_seconds: list[float],
    days: int,
    per_hour: int,
) -> None:
    print(f"loop: {days} days x 24 cycles, {per_hour} sessions per hour")
    print("topic | first question | → alert | → gap ticket names it | → document added | → alert resolved")
    for topic, t in timelines.items():
        print(
            f"{topic} | {t.first_question:%a %H:%M} | {_hours(t.first_question, t.first_alert)} | "
            f"{_hours(t.first_question, t.gap_named)} | {_hours(t.first_question, t.document_added)} | "
            f"{_hours(t.document_added, t.resolved)}  labels={sorted(t.topic_labels)}"
        )
    right = sum(1 for topic in gaps_seen if topic is not None)
    found = {topic for topic in gaps_seen if topic is not None}
    print(
        f"gap detection: precision {right}/{len(gaps_seen)} = {right / max(len(gaps_seen), 1):.2f}, "
        f"recall {len(found)}/{len(INJECTED)}"
    )
    ordered = sorted(cycle_seconds)
    print(f"cycle duration: median {ordered[len(ordered) // 2]:.2f} s, max {ordered[-1]:.2f} s")


def run_throughput(sessions: int) -> None:
    container = _container()
    services = container.services
    for name, (text, _) in COVERED.items():
        _ingest(container, name, text)
    rng = random.Random(1)
    questions = [q for _, qs in {**COVERED, **INJECTED}.values() for q in qs]

    def session(n: int) -> IncomingSession:
        at = START + timedelta(minutes=n % (6 * 24 * 60))
        turn = SessionTurn(
            rng.choice(questions),
            "Antwort",
            at,
            (),
            rng.choice((1, -1, None)),
            None,
            False,
            400.0,
            topic=f"t{n % 12}",
        )
        return IncomingSession(f"s{n}", "bench", f"user-{n % 5000}", True, (turn,))

    began = time.perf_counter()
    for n in range(500):
        services.sessions.ingest([session(n)])
    single = 500 / (time.perf_counter() - began)
    began = time.perf_counter()
    for offset in range(500, sessions, 500):
        services.sessions.ingest([session(n) for n in range(offset, min(offset + 500, sessions))])
    batched = (sessions - 500) / (time.perf_counter() - began)
    clock = Clock()
    clock.now = START + timedelta(days=6)
    kpis = KpiService(container.database, clock=clock)
    began = time.perf_counter()
    run = kpis.compute(START)
    kpi_seconds = time.perf_counter() - began
    alerts = AlertService(
        container.database,
        REPO / "config" / "thresholds.yaml",
        None,
        payload_format="generic",
        external_url="http://bench",
        clock=clock,
    )
    began = time.perf_counter()
    judged = alerts.evaluate()
    alert_seconds = time.perf_counter() - began
    normaliser = SessionNormaliser(
        container.database,
        container.vectors,
        container.embedder,
        services.knowledge.retrieval,
        container.blobs,
        gap_score=container.settings.dense_score_floor,
        clock=clock,
    )
    began = time.perf_counter()
    normalised = normaliser.run(START, clock.now)
    normalise_seconds = time.perf_counter() - began
    container.embedder.embed_query("Aufwärmen")  # loads (and on a fresh data dir converts) the model
    distinct = [f"{question} ({n})" for n in range(8) for question in questions]  # 224 distinct texts
    began = time.perf_counter()
    for text in distinct:
        container.embedder.embed_query(text)
    embed_rate = len(distinct) / (time.perf_counter() - began)
    print(
        f"session ingest: single {single:.0f} sessions/s, batched (500 per request) {batched:.0f} sessions/s"
    )
    print(
        f"hourly job at {run.sessions:,} sessions ({run.turns:,} turns): KPIs {kpi_seconds:.1f} s "
        f"({run.values:,} values), alerts {alert_seconds:.2f} s ({len(judged.changes)} changes)"
    )
    print(
        f"normalisation at {normalised.sessions:,} sessions ({len(set(questions))} distinct questions): "
        f"{normalise_seconds:.1f} s, {len(normalised.topics)} topics; the whole hourly job "
        f"{normalise_seconds + kpi_seconds + alert_seconds:.1f} s"
    )
    print(
        f"normalisation: {embed_rate:.0f} distinct questions/s embedded ({container.embedder.model_name}); "
        f"{run.turns / embed_rate / 60:.0f} min if all {run.turns:,} questions differed (a question asked "
        "again is embedded once per run; a rerun reads stored vectors back)"
    )
    container.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=6)
    parser.add_argument("--per-hour", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--skip-loop", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    if not args.skip_loop:
        run_loop(args.days, args.per_hour, args.seed)
    if not args.skip_throughput:
        run_throughput(args.sessions)


if __name__ == "__main__":
    main()
