"""Feedback analytics: stored sessions → turn facts → KPI values per hour, day and week, kept in SQL.

Each run recomputes whole buckets (from the Monday of the week ``since`` falls in), so a bucket is
never left half-counted when sessions arrive late or are revised. Citation validity looks the cited
chunk IDs up in the knowledge base; the sentiment of a turn is that of its rating note or, without
one, of the user's next message in the session (the follow-up often says what the rating does not).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from luna.domain.evaluation import RunFigures
from luna.domain.flywheel.golden import golden_kpis
from luna.domain.flywheel.kpi_values import KPI_PREFIX, KpiValue, Window, export_files
from luna.domain.flywheel.kpis import TurnFacts, bucket_start, compute_kpis
from luna.domain.flywheel.sentiment import Sentiment, classify
from luna.domain.flywheel.sessions import StoredSession
from luna.ports.blobs import BlobStore
from luna.ports.sql import Database, UnitOfWork
from luna.services.flywheel.sentiment import SentimentJudge

#: Evaluation runs read per computation, newest first.
_RUNS_READ: Final = 500
#: Cited IDs looked up per query.
_LOOKUP_BATCH: Final = 500


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class KpiRun:
    since: datetime
    until: datetime
    sessions: int
    turns: int
    values: int


class KpiService:
    def __init__(
        self,
        database: Database,
        blobs: BlobStore | None = None,
        *,
        judge: SentimentJudge | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._database = database
        self._blobs = blobs
        self._judge = judge
        self._clock = clock

    def compute(self, since: datetime | None = None, until: datetime | None = None) -> KpiRun:
        """Recompute every bucket from the week of ``since`` (default: the current week) to ``until``."""
        now = self._clock()
        start = bucket_start(since or now, Window.WEEK)
        end = until or now + timedelta(microseconds=1)
        with self._database.unit_of_work(read_only=True) as uow:
            sessions = list(uow.sessions.current_between(start, end))
            existing = _existing_chunks(uow, sessions)
            runs = _golden_runs(uow, start, end)
        judged = self._judge.judge(feedback_texts(sessions)) if self._judge else None
        facts = turn_facts(sessions, existing, judged.sentiments if judged else None)
        values = compute_kpis(facts) + golden_kpis(runs)
        with self._database.unit_of_work() as uow:
            uow.kpis.put(values, now)
            uow.commit()
        self._export(values)
        return KpiRun(start, end, len(sessions), len(facts), len(values))

    def _export(self, values: Sequence[KpiValue]) -> None:
        """The recomputed buckets as CSV files under ``kpi/`` (after the commit: SQL stays the truth)."""
        if self._blobs is None:
            return
        for key, text in export_files(values).items():
            self._blobs.put(key, text.encode("utf-8"), "text/csv; charset=utf-8")

    def exported(self) -> list[str]:
        """The KPI files, newest date first."""
        if self._blobs is None:
            return []
        return sorted(
            self._blobs.list(KPI_PREFIX), key=lambda key: (key.rsplit("/", 1)[-1], key), reverse=True
        )

    def latest(self) -> list[KpiValue]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.kpis.latest())

    def series(self, kpi: str, window: str, scope: str, since: datetime) -> list[KpiValue]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.kpis.series(kpi, window, scope, since))


def _golden_runs(uow: UnitOfWork, start: datetime, end: datetime) -> list[tuple[datetime, RunFigures]]:
    """The kept evaluation runs started in ``[start, end)`` (the newest few hundred are enough)."""
    started = (
        (datetime.fromisoformat(run.created_at), run.figures) for run in uow.eval_runs.list(limit=_RUNS_READ)
    )
    return [(at, run_figures) for at, run_figures in started if start <= at < end]


def _feedback_text(session: StoredSession, position: int) -> str | None:
    """A turn's rating note or, without one, the user's next message in the session."""
    turns = session.turns
    return turns[position].note or (turns[position + 1].question if position + 1 < len(turns) else None)


def feedback_texts(sessions: Iterable[StoredSession]) -> list[str]:
    """Every text whose sentiment the KPIs read."""
    texts = (_feedback_text(s, n) for s in sessions for n in range(len(s.turns)))
    return [text for text in texts if text]


def turn_facts(
    sessions: Iterable[StoredSession],
    existing_chunks: set[str],
    sentiments: Mapping[str, Sentiment] | None = None,
) -> list[TurnFacts]:
    """What the KPIs need of every turn, from sessions already pseudonymised and redacted.

    ``sentiments`` holds a judge's verdict per feedback text; a text it lacks gets the lexicon's.
    """
    judged = sentiments or {}
    facts: list[TurnFacts] = []
    for session in sessions:
        for position, turn in enumerate(session.turns):
            text = _feedback_text(session, position)
            facts.append(
                TurnFacts(
                    at=turn.asked_at,
                    session_id=f"{session.source}/{session.session_id}",
                    user_ref=session.user_ref,
                    topic=turn.topic,
                    question=turn.question,
                    rating=turn.rating,
                    refused=bool(turn.refused),
                    cited=len(turn.cited_chunk_ids),
                    cited_valid=sum(1 for chunk_id in turn.cited_chunk_ids if chunk_id in existing_chunks),
                    unsupported_numbers=turn.unsupported_numbers,
                    retrieval_score=turn.retrieval_score,
                    latency_ms=turn.latency_ms,
                    sentiment=None if not text else judged.get(text) or classify(text),
                )
            )
    return facts


def _existing_chunks(uow: UnitOfWork, sessions: Sequence[StoredSession]) -> set[str]:
    cited = sorted({chunk_id for s in sessions for t in s.turns for chunk_id in t.cited_chunk_ids})
    found: set[str] = set()
    for offset in range(0, len(cited), _LOOKUP_BATCH):
        found.update(chunk.chunk_id for chunk in uow.chunks.get_many(cited[offset : offset + _LOOKUP_BATCH]))
    return found
