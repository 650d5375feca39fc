"""The normalisation step on a real knowledge base: topics, a knowledge gap found and gone again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from luna.container import Container, build_container
from luna.domain.flywheel.sessions import IncomingSession, SessionTurn
from luna.services.flywheel.normalise import COLLECTION, REPORT_KEY
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import Settings

NETZ = """# Netzentgelte 2026

Für Haushalte ohne Leistungsmessung beträgt das Netzentgelt 8,12 ct/kWh, der Grundpreis 60 € im Jahr.
Gewerbekunden mit Leistungsmessung zahlen einen Leistungspreis je Kilowatt.
"""
BALKON = """# Balkonkraftwerke anmelden

Ein Balkonkraftwerk (Steckersolargerät) bis 800 Watt wird nur im Marktstammdatenregister angemeldet.
Die Anmeldung beim Netzbetreiber entfällt seit dem Solarpaket I. Die Einspeisevergütung ist gering.
"""
GAP_QUESTIONS = (
    "Muss ich mein Balkonkraftwerk anmelden?",
    "Wie melde ich ein Balkonkraftwerk an?",
    "Wo muss ein Balkonkraftwerk angemeldet werden?",
    "Brauche ich für mein Balkonkraftwerk eine Anmeldung?",
)
COVERED = ("Was kostet die Netznutzung pro Kilowattstunde?", "Wie hoch sind die Netzentgelte für Haushalte?")


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    built = build_container(make_settings())
    built.database.upgrade()
    yield built
    built.close()


def ingest(container: Container, text: str, name: str) -> None:
    container.services.knowledge.ingest.ingest(IngestRequest(data=text.encode(), filename=name))


def sessions() -> list[IncomingSession]:
    asked = datetime.now(UTC) - timedelta(minutes=5)
    unanswered = [
        IncomingSession(
            f"gap-{n}",
            "n8n",
            f"kunde-{n}",
            True,
            (SessionTurn(q, "Dazu finde ich nichts.", asked, rating=-1),),
        )
        for n, q in enumerate(GAP_QUESTIONS)
    ]
    answered = [
        IncomingSession(
            f"ok-{n}", "n8n", f"kundin-{n}", True, (SessionTurn(q, "8,12 ct/kWh", asked, rating=1),)
        )
        for n, q in enumerate(COVERED)
    ]
    return unanswered + answered


def test_unanswered_questions_on_a_missing_topic_are_a_gap_until_a_document_covers_it(
    container: Container,
) -> None:
    ingest(container, NETZ, "netzentgelte.md")
    container.services.sessions.ingest(sessions())
    normaliser = container.services.normaliser
    window = (datetime.now(UTC) - timedelta(days=1), datetime.now(UTC))

    first = normaliser.run(*window)

    assert (first.sessions, first.questions) == (6, 6)
    [gap] = first.gaps
    assert "balkonkraftwerk" in gap.topic and gap.questions == 4
    assert set(gap.examples) == set(GAP_QUESTIONS)
    assert container.vectors.count(COLLECTION) == 6
    report = normaliser.report(REPORT_KEY)
    assert "## Wissenslücken" in report and gap.topic in report and GAP_QUESTIONS[0] in report
    with container.database.unit_of_work(read_only=True) as uow:
        stored = uow.sessions.current("n8n", "gap-0")
    assert stored is not None and stored.turns[0].topic == gap.topic  # the KPIs read topics from here

    ingest(container, BALKON, "balkonkraftwerk.md")
    second = normaliser.run(*window)

    assert second.gaps == []
    assert container.vectors.count(COLLECTION) == 6  # a rerun replaces its points
    assert len(normaliser.reports()) >= 3  # the current report and one dated copy per run
