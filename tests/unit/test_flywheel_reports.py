"""The progress report's knowledge gaps are true: a gap the last search found is named even when no alert
opened a ticket for it, and "no gap" is said only when the last search found none.

The search's gaps are stored as JSON next to the vector-ingest report (never parsed from its Markdown,
which holds user text), so the writer and the reader are checked together.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import markdown2
import pytest

from luna.domain.flywheel.gaps import KnowledgeGap
from luna.domain.flywheel.kpi_values import ALL, Kpi, KpiValue, Window
from luna.domain.flywheel.reports import (
    EXAMPLES_NOT_KEPT,
    GapSearch,
    ProgressFacts,
    gaps_section,
    progress_report,
    vector_ingest_report,
)

SEARCHED = datetime(2026, 1, 31, 13, 5, tzinfo=UTC)


def _gap(topic: str, questions: int) -> KnowledgeGap:
    return KnowledgeGap(
        topic=topic,
        questions=questions,
        examples=("Wie melde ich es an?",),
        nearest_documents=(),
        best_score=None,
        suggestion=f"Ein Dokument zu „{topic}“ aufnehmen.",
    )


def _facts(
    trends: dict[Kpi, list[KpiValue]] | None = None,
    gaps: list[KnowledgeGap] | None = None,
    search: GapSearch | None = None,
) -> ProgressFacts:
    return ProgressFacts(
        written_at=SEARCHED,
        sessions=0,
        consentless={},
        consent_granted=0,
        consent_withdrawn=0,
        trends=trends or {},
        firing=[],
        changes=[],
        descriptions={},
        gaps=gaps or [],
        gap_search=search,
    )


def _gaps_section(ticketed: list[KnowledgeGap], search: GapSearch | None) -> str:
    report = progress_report(_facts(gaps=ticketed, search=search))
    return report[report.index("## Wissenslücken") : report.index("## Einwilligungen")]


def test_a_search_goes_through_json_unchanged_whatever_its_topics_say() -> None:
    gaps = [_gap("balkonkraftwerk (anmeldung)", 14), _gap("strom\n### tarif (9 Fragen)\n", 3)]
    search = GapSearch.of(SEARCHED, gaps)

    assert search == GapSearch(
        SEARCHED, (("balkonkraftwerk (anmeldung)", 14), ("strom\n### tarif (9 Fragen)\n", 3))
    )
    assert GapSearch.from_json(search.as_json()) == search
    assert GapSearch.from_json(GapSearch(SEARCHED, ()).as_json()) == GapSearch(SEARCHED, ())


def test_a_search_is_stored_in_utc() -> None:
    berlin = datetime(2026, 7, 1, 15, 5, tzinfo=ZoneInfo("Europe/Berlin"))

    document = json.loads(GapSearch.of(berlin, []).as_json())

    assert document == {"at": "2026-07-01T13:05:00+00:00", "gaps": []}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        "null",
        "[" * 100_000 + "]" * 100_000,
        '{"gaps": []}',
        '{"at": 5, "gaps": []}',
        '{"at": "gestern", "gaps": []}',
        '{"at": "2026-01-31T13:05:00", "gaps": []}',  # no zone: which time is it?
        '{"at": "2026-01-31T13:05:00+00:00"}',
        '{"at": "2026-01-31T13:05:00+00:00", "gaps": {"wallbox": 3}}',
        '{"at": "2026-01-31T13:05:00+00:00", "gaps": [["wallbox", 3]]}',
        '{"at": "2026-01-31T13:05:00+00:00", "gaps": [{"topic": "wallbox"}]}',
        '{"at": "2026-01-31T13:05:00+00:00", "gaps": [{"topic": 7, "questions": 3}]}',
        '{"at": "2026-01-31T13:05:00+00:00", "gaps": [{"topic": "wallbox", "questions": "3"}]}',
        '{"at": "2026-01-31T13:05:00+00:00", "gaps": [{"topic": "wallbox", "questions": 3.5}]}',
        '{"at": "2026-01-31T13:05:00+00:00", "gaps": [{"topic": "wallbox", "questions": true}]}',
        '{"at": "2026-01-31T13:05:00+00:00", "gaps": [{"topic": "wallbox", "questions": -1}]}',
    ],
)
def test_anything_but_a_stored_search_is_no_search(text: str) -> None:
    assert GapSearch.from_json(text) is None


def test_a_search_read_in_another_zone_is_shown_in_utc() -> None:
    stored = '{"at": "2026-07-01T15:05:00+02:00", "gaps": []}'
    search = GapSearch.from_json(stored)
    assert search is not None and search.at == datetime(2026, 7, 1, 13, 5, tzinfo=UTC)

    berlin = GapSearch(datetime(2026, 7, 1, 15, 5, tzinfo=ZoneInfo("Europe/Berlin")), ())

    assert "Die letzte Suche (01.07.2026 13:05 UTC) fand keine Wissenslücke." in _gaps_section([], berlin)


def test_a_gap_without_a_ticket_is_named_not_denied() -> None:
    section = _gaps_section([], GapSearch(SEARCHED, (("wallbox", 5), ("tarif", 1))))

    assert "Keine Wissenslücke" not in section
    assert (
        "Die letzte Suche (31.01.2026 13:05 UTC) fand 2 Wissenslücken: wallbox (5 Fragen), tarif (1 Frage)."
        in (section)
    )
    assert (
        "Ohne offene Maßnahme: wallbox, tarif. Eine Maßnahme entsteht erst, wenn ein Alarm auslöst" in section
    )


def test_only_the_gaps_no_ticket_follows_are_called_without_one() -> None:
    section = _gaps_section([_gap("wallbox", 5)], GapSearch(SEARCHED, (("wallbox", 5), ("tarif", 4))))

    assert "### wallbox (5 Fragen)" in section  # the ticket's gap in full
    assert "Ohne offene Maßnahme: tarif." in section


def test_no_gap_is_said_when_the_last_search_found_none() -> None:
    assert "Die letzte Suche (31.01.2026 13:05 UTC) fand keine Wissenslücke." in _gaps_section(
        [], GapSearch(SEARCHED, ())
    )
    with_ticket = _gaps_section([_gap("wallbox", 5)], GapSearch(SEARCHED, ()))
    assert "fand keine Wissenslücke mehr; die Maßnahmen oben sind noch offen." in with_ticket


def test_without_any_search_the_report_says_so() -> None:
    section = _gaps_section([], None)

    assert (
        "Keine offene Maßnahme zu einer Wissenslücke; nach Wissenslücken wurde noch nicht gesucht" in section
    )


def test_the_trend_table_shows_each_kpi_on_its_own_scale() -> None:
    def day(kpi: Kpi, value: float) -> KpiValue:
        return KpiValue(kpi, Window.DAY, SEARCHED, ALL, value, 20)

    trends = {
        Kpi.RETRIEVAL_CONFIDENCE: [day(Kpi.RETRIEVAL_CONFIDENCE, 1.7), day(Kpi.RETRIEVAL_CONFIDENCE, 1.655)],
        Kpi.USEFULNESS_RATE: [day(Kpi.USEFULNESS_RATE, 0.285), day(Kpi.USEFULNESS_RATE, 0.5)],
        Kpi.LATENCY_P95_MS: [day(Kpi.LATENCY_P95_MS, 1234.5), day(Kpi.LATENCY_P95_MS, 80)],
    }
    report = progress_report(_facts(trends=trends))

    rows = {line.split(" | ")[0]: line for line in report.splitlines() if " | " in line}

    assert "| 1,70 | 1,66 |" in rows["| retrieval_confidence"]  # a score of 0..2, never "170,0 %"
    assert "| 28,5 % | 50,0 % |" in rows["| usefulness_rate"]
    assert "| 1.235 ms | 80 ms |" in rows["| latency_p95_ms"]


def test_user_text_in_a_gap_stays_text_in_the_rendered_report() -> None:
    """The admin page renders the report as Markdown: a question with an image made the operator's
    browser load the sender's URL; a blank line and "# …" forged a heading, "| … |" lines a table."""
    hostile = "![x](https://sender.example/beacon) <img src=x onerror=alert(1)> [Klick](javascript:alert(1))"
    gap = KnowledgeGap(
        topic="<b>strom</b> | tarif",
        questions=3,
        examples=(hostile, "Frage?\n\n# Überschrift\n\n| a | b |\n|---|---|\n| 1 | 2 |", "x" * 7_000),
        nearest_documents=("Preisblatt [2026](https://sender.example)",),
        best_score=0.4,
        suggestion="Ein Dokument zu <b>strom</b> ergänzen.",
    )

    html = markdown2.markdown("\n".join(gaps_section([gap])), extras=["fenced-code-blocks", "tables"])

    assert "<img" not in html and "<a " not in html and "<b>" not in html and "<table" not in html
    assert "<h1" not in html and html.count("<h3>") == 1
    assert "![x](https://sender.example/beacon)" in html  # shown as written
    assert max(len(line) for line in html.splitlines()) < 1_000  # a 7,000-character question is cut


def test_a_dated_copy_of_the_vector_ingest_report_keeps_no_users_questions() -> None:
    """Copies are kept for months; the newest report is rebuilt each cycle from the stored sessions,
    so an erased user's questions leave it with the next cycle, and only there may they stand."""
    at = datetime(2026, 7, 1, 13, tzinfo=UTC)
    facts = (3, 4, [("balkonkraftwerk", 4)], [_gap("balkonkraftwerk", 4)], at, at, at)

    newest = vector_ingest_report(*facts)
    dated = vector_ingest_report(*facts, examples=False)

    assert "Wie melde ich es an?" in newest and "Wie melde ich es an?" not in dated
    assert EXAMPLES_NOT_KEPT in dated and "balkonkraftwerk" in dated
