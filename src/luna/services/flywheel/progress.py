"""The flywheel's reports for people: the progress report, a short summary, and the consent log.

All three are read from SQL (KPIs, alert states, action tickets, consent records, session counts), so
they can be written at any time, also while ``luna serve`` runs. Knowledge gaps come from the open
knowledge-gap tickets, which carry the gaps the cycle found when their alert fired, and from what the
newest vector-ingest run stored in the blob store (``vector_ingest_gaps.json``): what the last search
found, ticket or not. That file is optional for the reports: when it cannot be read, they say no search
ran rather than fail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import structlog

from luna.domain.errors import LunaError, NotFound
from luna.domain.events import LEARNING_SCOPE, Consent
from luna.domain.flywheel.actions import ACTIVE, ActionKind
from luna.domain.flywheel.gaps import KnowledgeGap
from luna.domain.flywheel.kpi_values import ALL, Kpi, Window
from luna.domain.flywheel.reports import GapSearch, ProgressFacts, consent_log, progress_report
from luna.ports.blobs import BlobStore
from luna.ports.sql import Database
from luna.services.flywheel.actions import ActionService
from luna.services.flywheel.alerts import AlertService
from luna.services.flywheel.normalise import GAPS_KEY

#: How far back the KPI trends and the consentless count reach.
TREND_DAYS: Final = 30
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

log = structlog.stdlib.get_logger("luna.flywheel")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ProgressService:
    def __init__(
        self,
        database: Database,
        alerts: AlertService,
        actions: ActionService,
        blobs: BlobStore,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._database = database
        self._alerts = alerts
        self._actions = actions
        self._blobs = blobs
        self._clock = clock

    def facts(self) -> ProgressFacts:
        now = self._clock()
        since = now - timedelta(days=TREND_DAYS)
        descriptions = {t.name: t.description for t in self._alerts.thresholds()}
        open_actions = [a for a in self._actions.list(limit=200) if a.status in ACTIVE]
        with self._database.unit_of_work(read_only=True) as uow:
            trends = {kpi: list(uow.kpis.series(kpi.value, Window.DAY.value, ALL, since)) for kpi in Kpi}
            decisions = _newest_decisions(uow.consent.records_since(_EPOCH))
            sessions, consentless = uow.sessions.count(), uow.sessions.consentless(since.date())
        return ProgressFacts(
            written_at=now,
            sessions=sessions,
            consentless=consentless,
            consent_granted=sum(decisions.values()),
            consent_withdrawn=sum(1 for granted in decisions.values() if not granted),
            trends=trends,
            firing=[state for state in self._alerts.states() if state.firing],
            changes=self._alerts.history(10),
            descriptions=descriptions,
            open_actions=[(a.kind.value, a.title, a.status.value, a.owner.value) for a in open_actions],
            gaps=[
                _gap(g)
                for a in open_actions
                if a.kind is ActionKind.KNOWLEDGE_GAP
                for g in a.details.get("gaps", [])
            ],
            gap_search=self._last_gap_search(),
        )

    def _last_gap_search(self) -> GapSearch | None:
        """What the newest search for knowledge gaps found, as its run stored it: a gap gets a ticket only
        when an alert fires, so the tickets alone would say "no gap" right after a search found one.

        None when no search ran, or (with a warning) when its file cannot be read: the reports read SQL
        otherwise, and a blob store's trouble must not take them down.
        """
        try:
            text = self._blobs.get(GAPS_KEY).decode("utf-8")
        except NotFound:
            return None
        except (LunaError, OSError, UnicodeDecodeError) as error:
            log.warning("flywheel.gap_search_unreadable", key=GAPS_KEY, error=str(error))
            return None
        search = GapSearch.from_json(text)
        if search is None:
            log.warning("flywheel.gap_search_malformed", key=GAPS_KEY)
        return search

    def progress_report(self) -> str:
        return progress_report(self.facts())

    def summary(self) -> str:
        """A few lines for a terminal or a chat message."""
        facts = self.facts()
        days = facts.trends.get(Kpi.USEFULNESS_RATE) or []
        last = days[-1] if days else None
        useful = (
            f"{100 * last.value:.0f} % hilfreich am {last.bucket_start:%d.%m.} (n = {last.samples})"
            if last is not None
            else "noch keine Bewertungen"
        )
        refused = sum(facts.consentless.values())
        lines = [
            f"Sitzungen: {facts.sessions} gespeichert, {refused} ohne Einwilligung (30 Tage)",
            f"Antworten: {useful}",
            f"Alarme aktiv: {len(facts.firing)}",
            *(f"  - {facts.descriptions.get(s.threshold, s.threshold)} ({s.scope})" for s in facts.firing),
            f"Offene Maßnahmen: {len(facts.open_actions)}; Wissenslücken: {_gap_count(facts)}",
        ]
        return "\n".join(lines)

    def consent_log(self) -> str:
        now = self._clock()
        with self._database.unit_of_work(read_only=True) as uow:
            records = uow.consent.records_since(_EPOCH)
            consentless = uow.sessions.consentless((now - timedelta(days=TREND_DAYS)).date())
        return consent_log([r for r in records if r.scope == LEARNING_SCOPE], consentless, now)


def _gap_count(facts: ProgressFacts) -> str:
    """The gaps the last search found, or those of open tickets when no search report is left."""
    if facts.gap_search is None:
        return str(len(facts.gaps))
    return f"{len(facts.gap_search.gaps)} bei der letzten Suche, {len(facts.gaps)} mit offener Maßnahme"


def _newest_decisions(records: Sequence[Consent]) -> dict[str, bool]:
    newest: dict[str, bool] = {}
    for record in records:  # oldest first: the last one per user wins
        if record.scope == LEARNING_SCOPE:
            newest[record.user_id] = record.granted
    return newest


def _gap(data: dict[str, object]) -> KnowledgeGap:
    examples = data.get("examples")
    documents = data.get("nearest_documents")
    score = data.get("best_score")
    return KnowledgeGap(
        topic=str(data.get("topic", "")),
        questions=int(str(data.get("questions", 0))),
        examples=tuple(str(e) for e in examples) if isinstance(examples, list) else (),
        nearest_documents=tuple(str(d) for d in documents) if isinstance(documents, list) else (),
        best_score=float(score) if isinstance(score, int | float) else None,
        suggestion=str(data.get("suggestion", "")),
    )
