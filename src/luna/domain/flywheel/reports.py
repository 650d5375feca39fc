"""The flywheel's Markdown reports, as operators and the blueprint's journal read them (German)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from luna.domain.events import Consent
from luna.domain.flywheel.alerts import AlertChange, AlertState
from luna.domain.flywheel.gaps import KnowledgeGap
from luna.domain.flywheel.kpi_values import Kpi, KpiValue
from luna.domain.flywheel.thresholds import is_rate
from luna.domain.german_numbers import de_count, de_number, de_percent


def _utc(at: datetime) -> datetime:
    """``at`` in UTC; a naive time is taken as UTC already (as SQL gives it back)."""
    return at.replace(tzinfo=UTC) if at.utcoffset() is None else at.astimezone(UTC)


def _when(at: datetime) -> str:
    return f"{_utc(at):%d.%m.%Y %H:%M} UTC"


#: Markdown's punctuation (and the table cell's "|"): escaped in user text so that it stays text.
_MARKDOWN_MARKS = re.compile(r"([\\`*_{}\[\]()#+\-.!~>])")
#: Longest user text a report quotes (an example question, a topic, a title).
_QUOTED_CHARS = 300


def _text(value: str) -> str:
    """User text (a question, a topic named after questions, a document title) as the report's Markdown
    shows it: on one line, at most ``_QUOTED_CHARS`` characters, every mark escaped. Unescaped, a
    question with "![x](https://…)" made the operator's browser load the sender's URL, and one with
    a blank line and "# …" forged a heading in the report."""
    flat = " ".join(value.split())
    if len(flat) > _QUOTED_CHARS:
        flat = flat[: _QUOTED_CHARS - 1] + "…"
    marked = _MARKDOWN_MARKS.sub(r"\\\1", html.escape(flat, quote=False))
    return marked.replace("|", "&#124;")


def _score(score: float | None) -> str:
    return "–" if score is None else de_number(score, 2)


#: In place of the example questions of a dated copy (see :func:`vector_ingest_report`).
EXAMPLES_NOT_KEPT = "- Beispielfragen: nur im neuesten Bericht (`vector_ingest_report.md`)"


def gaps_section(gaps: Sequence[KnowledgeGap], *, examples: bool = True) -> list[str]:
    if not gaps:
        return ["Keine Wissenslücke: jedes Thema mit unbeantworteten Fragen findet passende Dokumente.", ""]
    lines: list[str] = []
    for gap in gaps:
        lines += [
            f"### {_text(gap.topic)} ({gap.questions} Fragen)",
            "",
            _text(gap.suggestion),
            "",
            f"- Größte Ähnlichkeit eines Abschnitts: {_score(gap.best_score)}",
            f"- Nächste Dokumente: {', '.join(map(_text, gap.nearest_documents)) or 'keine'}",
            *(
                ["- Beispielfragen:", *(f"  - {_text(example)}" for example in gap.examples)]
                if examples
                else [EXAMPLES_NOT_KEPT]
            ),
            "",
        ]
    return lines


def vector_ingest_report(
    sessions: int,
    questions: int,
    topics: Sequence[tuple[str, int]],
    gaps: Sequence[KnowledgeGap],
    start: datetime,
    end: datetime,
    written_at: datetime,
    *,
    examples: bool = True,
) -> str:
    """What one normalisation run did: counts, topics by size, knowledge gaps with examples. A dated
    copy is kept without the examples, which are users' questions word for word: the newest report is
    rebuilt every cycle from the stored sessions, so an erased user's questions leave it with the next
    cycle; a copy kept for months would keep them."""
    lines = [
        "# Vektor-Ingest der Sitzungen",
        "",
        f"Erstellt {_when(written_at)} für Sitzungen vom {_when(start)} bis {_when(end)}.",
        "",
        f"- Sitzungen: {sessions}",
        f"- Fragen eingebettet (Sammlung `flywheel_sessions`): {questions}",
        f"- Themen: {len(topics)}",
        "",
        "## Themen",
        "",
    ]
    if topics:
        lines += ["| Thema | Fragen |", "|---|---|"]
        lines += [
            f"| {_text(label)} | {count} |"
            for label, count in sorted(topics, key=lambda item: (-item[1], item[0]))
        ]
    else:
        lines.append("Keine Fragen im Zeitraum.")
    lines += ["", "## Wissenslücken", "", *gaps_section(gaps, examples=examples)]
    return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True, slots=True)
class GapSearch:
    """When the newest search for knowledge gaps (a vector-ingest run) ran, and what it found.

    A run's gaps are kept nowhere else (a ticket holds them only when an alert fired), so the run
    stores this as JSON next to its report, and the progress report reads it back. Never parsed from
    the Markdown report: that holds user text (example questions, topic names) that could forge a gap.
    """

    at: datetime
    #: Each gap's topic and its number of unanswered questions, largest first.
    gaps: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, at: datetime, gaps: Sequence[KnowledgeGap]) -> GapSearch:
        return cls(_utc(at), tuple((gap.topic, gap.questions) for gap in gaps))

    def as_json(self) -> str:
        """``{"at": ISO 8601 in UTC, "gaps": [{"topic": ..., "questions": ...}, ...]}``."""
        document = {
            "at": _utc(self.at).isoformat(),
            "gaps": [{"topic": topic, "questions": questions} for topic, questions in self.gaps],
        }
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> GapSearch | None:
        """The search :meth:`as_json` wrote; None for anything else (bad JSON, wrong types, naive time)."""
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if not isinstance(document, dict) or not isinstance(document.get("at"), str):
            return None
        items = document.get("gaps")
        if not isinstance(items, list):
            return None
        try:
            at = datetime.fromisoformat(document["at"])
        except ValueError:
            return None
        if at.utcoffset() is None:
            return None
        gaps: list[tuple[str, int]] = []
        for item in items:
            if not isinstance(item, dict):
                return None
            topic, questions = item.get("topic"), item.get("questions")
            if not isinstance(topic, str) or type(questions) is not int or questions < 0:
                return None
            gaps.append((topic, questions))
        return cls(at.astimezone(UTC), tuple(gaps))


@dataclass(frozen=True, slots=True)
class ProgressFacts:
    """What the progress report states; gathered by the service, rendered here."""

    written_at: datetime
    sessions: int
    consentless: dict[str, int]
    consent_granted: int
    consent_withdrawn: int
    #: Day values of the ``all`` scope, oldest first, per KPI.
    trends: dict[Kpi, list[KpiValue]]
    firing: list[AlertState]
    changes: list[AlertChange]
    descriptions: dict[str, str]
    open_actions: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: The gaps of open knowledge-gap tickets (opened only when an alert fired).
    gaps: list[KnowledgeGap] = field(default_factory=list)
    #: The newest search for gaps, ticket or not; None when no search has run (or its file is unreadable).
    gap_search: GapSearch | None = None


def _value(kpi: Kpi, value: float) -> str:
    """A KPI as the report's trend table shows it: latency in ms, the retrieval confidence as the score
    it is (0..2, not a share: it read "170,0 %"), the rates as percentages."""
    if kpi is Kpi.LATENCY_P95_MS:
        return f"{de_number(value)} ms"
    return de_percent(value, 1) if is_rate(kpi) else de_number(value, 2)


def _state(severity: object) -> str:
    return "in Ordnung" if severity is None else str(severity)


def progress_report(facts: ProgressFacts) -> str:
    """The blueprint's progress report: KPI trends, alerts, actions, knowledge gaps, consent."""
    lines = [
        "# Fortschrittsbericht des Daten-Schwungrads",
        "",
        f"Stand {_when(facts.written_at)}.",
        "",
        "## Kennzahlen (Tageswerte, alle Themen)",
        "",
        "| Kennzahl | erster Tag | letzter Tag | Tage | Stichprobe zuletzt |",
        "|---|---|---|---|---|",
    ]
    for kpi, values in facts.trends.items():
        if values:
            first, last = values[0], values[-1]
            lines.append(
                f"| {kpi.value} | {_value(kpi, first.value)} | {_value(kpi, last.value)} | {len(values)} "
                f"| {last.samples} |"
            )
    lines += ["", "## Alarme", ""]
    if facts.firing:
        lines += [
            f"- **{state.severity}**: {facts.descriptions.get(state.threshold, state.threshold)} "
            f"({state.scope}, Wert {state.value:.3f}, Stichprobe {state.samples}, seit {_when(state.since)})"
            for state in facts.firing
        ]
    else:
        lines.append("Kein Alarm aktiv.")
    if facts.changes:
        lines += ["", "Letzte Änderungen:", ""]
        lines += [
            f"- {_when(c.at)}: {c.description} ({c.scope}): {_state(c.before)} → {_state(c.after)}"
            for c in facts.changes
        ]
    lines += ["", "## Maßnahmen", ""]
    if facts.open_actions:
        lines += ["| Art | Titel | Status | Zuständig |", "|---|---|---|---|"]
        lines += [
            f"| {kind} | {_text(title)} | {status} | {_text(owner)} |"
            for kind, title, status, owner in facts.open_actions
        ]
    else:
        lines.append("Keine offene Maßnahme.")
    lines += ["", "## Wissenslücken", "", *progress_gaps_section(facts.gaps, facts.gap_search)]
    lines += consent_section(facts)
    return "\n".join(lines).rstrip() + "\n"


def progress_gaps_section(ticketed: Sequence[KnowledgeGap], search: GapSearch | None) -> list[str]:
    """The gaps of open tickets in full, then what the newest search found.

    Tickets alone would say "no gap" right after a search found one whose alert has not fired, so the
    search is always reported, and the gaps it found that no ticket follows are named.
    """
    lines = gaps_section(ticketed) if ticketed else []
    if search is None:
        return lines or [
            "Keine offene Maßnahme zu einer Wissenslücke; nach Wissenslücken wurde noch nicht gesucht "
            "(`luna flywheel run` oder `luna data --pipeline vector-ingest`).",
            "",
        ]
    when = _when(search.at)
    if not search.gaps:
        found = "keine Wissenslücke" + (" mehr; die Maßnahmen oben sind noch offen" if ticketed else "")
        return [*lines, f"Die letzte Suche ({when}) fand {found}.", ""]
    named = ", ".join(
        f"{_text(topic)} ({de_count(count, 'Frage', 'Fragen')})" for topic, count in search.gaps
    )
    lines.append(
        f"Die letzte Suche ({when}) fand {de_count(len(search.gaps), 'Wissenslücke', 'Wissenslücken')}: "
        f"{named}."
    )
    followed = {gap.topic for gap in ticketed}
    unfollowed = [topic for topic, _ in search.gaps if topic not in followed]
    if unfollowed:
        lines.append(
            f"Ohne offene Maßnahme: {', '.join(map(_text, unfollowed))}. Eine Maßnahme entsteht erst, "
            "wenn ein Alarm auslöst; Beispielfragen und nächste Dokumente stehen im Vektor-Ingest-Bericht."
        )
    return [*lines, ""]


def consent_section(facts: ProgressFacts) -> list[str]:
    refused = sum(facts.consentless.values())
    by_source = (
        ", ".join(f"{source}: {count}" for source, count in sorted(facts.consentless.items())) or "keine"
    )
    return [
        "## Einwilligungen",
        "",
        f"- Gespeicherte Sitzungen (mit Einwilligung, pseudonymisiert): {facts.sessions}",
        f"- Sitzungen ohne Einwilligung (nur gezählt, letzte 30 Tage): {refused} ({by_source})",
        f"- Nutzer mit Einwilligung zum Lernen (ausdrücklich): {facts.consent_granted}",
        f"- Nutzer, die ihre Einwilligung widerrufen haben: {facts.consent_withdrawn}",
        "",
    ]


def consent_log(records: Sequence[Consent], consentless: dict[str, int], written_at: datetime) -> str:
    """The consent log (the blueprint's ``consent_log.md``): every decision in time order."""
    lines = [
        "# Einwilligungsprotokoll",
        "",
        f"Stand {_when(written_at)}. Jede Entscheidung eines Nutzers zum Lernen aus seinen Daten, "
        "älteste zuerst; gelöschte Nutzer stehen nicht mehr darin (ihre Einträge gehen mit der Löschung).",
        "",
        "| Zeitpunkt (UTC) | Nutzer | Zweck | Entscheidung |",
        "|---|---|---|---|",
        *(
            f"| {record.ts:%Y-%m-%d %H:%M:%S} | {record.user_id} | {record.scope} | "
            f"{'erteilt' if record.granted else 'widerrufen'} |"
            for record in records
        ),
        "",
        "## Sitzungen ohne Einwilligung (nur gezählt, nie gespeichert), letzte 30 Tage",
        "",
        *(f"- {source}: {count}" for source, count in sorted(consentless.items())),
    ]
    if not consentless:
        lines.append("Keine.")
    return "\n".join(lines).rstrip() + "\n"
