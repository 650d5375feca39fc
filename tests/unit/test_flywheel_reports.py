"""The progress report's knowledge gaps are true: a gap the last search found is named even when no alert
opened a ticket for it, and "no gap" is said only when the last search found none.

The search's gaps are read back from the vector-ingest report, so the report's format and the reader
are checked together.
"""

from __future__ import annotations

from datetime import UTC, datetime

from luna.domain.flywheel.gaps import KnowledgeGap
from luna.domain.flywheel.reports import (
    GapSearch,
    ProgressFacts,
    gap_search,
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


def _gaps_section(ticketed: list[KnowledgeGap], search: GapSearch | None) -> str:
    facts = ProgressFacts(
        written_at=SEARCHED,
        sessions=0,
        consentless={},
        consent_granted=0,
        consent_withdrawn=0,
        trends={},
        firing=[],
        changes=[],
        descriptions={},
        gaps=ticketed,
        gap_search=search,
    )
    report = progress_report(facts)
    return report[report.index("## Wissenslücken") : report.index("## Einwilligungen")]


def test_the_gaps_a_vector_ingest_report_lists_are_read_back() -> None:
    gaps = [_gap("balkonkraftwerk (anmeldung)", 14), _gap("wallbox", 3)]
    report = vector_ingest_report(12, 40, [("wallbox", 9)], gaps, SEARCHED, SEARCHED, SEARCHED)

    assert gap_search(report) == GapSearch(SEARCHED, (("balkonkraftwerk (anmeldung)", 14), ("wallbox", 3)))


def test_a_report_without_gaps_reads_as_a_search_that_found_none() -> None:
    report = vector_ingest_report(12, 40, [("wallbox", 9)], [], SEARCHED, SEARCHED, SEARCHED)

    assert gap_search(report) == GapSearch(SEARCHED, ())


def test_text_that_is_no_vector_ingest_report_is_no_search() -> None:
    assert gap_search("# Fortschrittsbericht\n\n## Wissenslücken\n\n### x (3 Fragen)\n") is None


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
