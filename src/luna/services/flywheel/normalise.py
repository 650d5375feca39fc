"""The normalisation step (the blueprint's ``vector-ingest``): session questions into the vector store,
grouped into topics, linked to the knowledge base, and knowledge gaps found.

* Every turn's question of the window's sessions is embedded as a *query* (the model's question side)
  and kept in the vector collection ``flywheel_sessions`` with its session, rating and topic, so
  similar questions can be looked up later (point IDs are stable: a rerun replaces, never duplicates).
* Topics group the questions by meaning (:mod:`luna.domain.flywheel.topics`); a turn without a topic
  gets its group's label in SQL, where the per-topic KPIs read it. A topic once given stays (the
  sender's, or the first label found), so a topic's KPI series does not jump between names.
* Questions that were refused or rated 👎 are searched in the knowledge base; a topic whose best
  similarity to any chunk stays under ``gap_score`` is a knowledge gap, with examples and the nearest
  documents. (The fused hybrid score is relative to the other candidates, so it cannot say "nothing
  fits"; the dense cosine can.)
* A Markdown report (``reports/flywheel/vector_ingest_report.md`` in the blob store, plus a dated copy)
  says what was done; the admin view lists the reports. Next to it, ``vector_ingest_gaps.json`` holds
  the run's time and gaps (topic, questions) for the progress report, which must not parse the
  Markdown: it holds user text.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from luna.domain.errors import LunaError
from luna.domain.flywheel.gaps import KnowledgeGap
from luna.domain.flywheel.reports import GapSearch, vector_ingest_report
from luna.domain.flywheel.sessions import SessionTurn, StoredSession
from luna.domain.flywheel.topics import DEFAULT_THRESHOLD, Topic, topics
from luna.ports.blobs import BlobStore
from luna.ports.embeddings import Embedder
from luna.ports.sql import Database
from luna.ports.vectors import VectorIndex, VectorPoint
from luna.services.knowledge.retrieval import RetrievalService

COLLECTION: Final = "flywheel_sessions"
REPORT_KEY: Final = "reports/flywheel/vector_ingest_report.md"
REPORTS_PREFIX: Final = "reports/flywheel/"
#: The newest run's time and gaps as JSON (:meth:`GapSearch.as_json`); not one of the listed reports.
GAPS_KEY: Final = "reports/flywheel/vector_ingest_gaps.json"
#: Unanswered questions a topic needs before it counts as a gap (one odd question is no gap).
MIN_GAP_QUESTIONS: Final = 3
_POINT_NAMESPACE: Final = uuid.UUID("6f0c3c52-6b1e-4a61-9a8e-4c3f1d8a2b77")
_BATCH: Final = 64

Progress = Callable[[float, str], None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class NormaliseRun:
    sessions: int
    questions: int
    topics: list[tuple[str, int]]
    gaps: list[KnowledgeGap] = field(default_factory=list)
    report_key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """What a job or the CLI reports: counts, the topics, each gap's name and example questions."""
        return {
            "sessions": self.sessions,
            "questions": self.questions,
            "topics": [{"topic": name, "questions": size} for name, size in self.topics],
            "knowledge_gaps": [{"topic": gap.topic, "examples": list(gap.examples)} for gap in self.gaps],
            "report": self.report_key,
        }


@dataclass(frozen=True, slots=True)
class _Question:
    session: StoredSession
    position: int
    turn: SessionTurn

    @property
    def unanswered(self) -> bool:
        return bool(self.turn.refused) or self.turn.rating == -1


class SessionNormaliser:
    def __init__(
        self,
        database: Database,
        vectors: VectorIndex,
        embedder: Embedder,
        retrieval: RetrievalService,
        blobs: BlobStore,
        *,
        gap_score: float,
        topic_threshold: float = DEFAULT_THRESHOLD,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """``gap_score``: the dense floor (``Settings.dense_score_floor``), under which Luna answers from no
        chunk; e5-small puts a covering document at 0.90-0.92 and an off-topic one at 0.79-0.82."""
        self._database = database
        self._vectors = vectors
        self._embedder = embedder
        self._retrieval = retrieval
        self._blobs = blobs
        self._gap_score = gap_score
        self._topic_threshold = topic_threshold
        self._clock = clock

    def run(self, start: datetime, end: datetime, progress: Progress | None = None) -> NormaliseRun:
        report = progress or (lambda fraction, message: None)
        with self._database.unit_of_work(read_only=True) as uow:
            sessions = list(uow.sessions.current_between(start, end))
        questions = [_Question(s, n, t) for s in sessions for n, t in enumerate(s.turns)]
        vectors = self._embed(questions, report)
        found = topics([q.turn.question for q in questions], vectors, self._topic_threshold)
        named = _topic_of(questions, found)
        self._keep_vectors(questions, vectors, named)
        self._drop_gone_sessions()
        with self._database.unit_of_work() as uow:
            uow.sessions.set_topics(
                [
                    (q.session.source, q.session.session_id, q.position, named[i])
                    for i, q in enumerate(questions)
                ]
            )
            uow.commit()
        report(0.8, "Wissenslücken werden gesucht")
        gaps = self._gaps(questions, found, named)
        run = NormaliseRun(len(sessions), len(questions), [(t.label, len(t.members)) for t in found], gaps)
        key = self._write_report(run, start, end)
        report(1.0, f"{len(found)} Themen, {len(gaps)} Wissenslücke(n)")
        return NormaliseRun(run.sessions, run.questions, run.topics, gaps, key)

    def reports(self) -> list[str]:
        """The kept reports, newest first (the current one first of all)."""
        return sorted(
            (key for key in self._blobs.list(REPORTS_PREFIX) if key.endswith(".md")),
            key=lambda key: (key != REPORT_KEY, key),
            reverse=False,
        )

    def report(self, key: str) -> str:
        return self._blobs.get(key).decode("utf-8")

    def _embed(self, questions: Sequence[_Question], report: Progress) -> list[list[float]]:
        """Vectors of the questions; those kept by an earlier run are read back, not embedded again."""
        ids = [_point_id(q) for q in questions]
        known: dict[str, list[float]] = {}
        if COLLECTION in self._vectors.collections():
            for offset in range(0, len(ids), _BATCH):
                known.update(
                    {
                        p.point_id: list(p.vector)
                        for p in self._vectors.get(COLLECTION, ids[offset : offset + _BATCH])
                    }
                )
        vectors: list[list[float]] = []
        by_text: dict[str, list[float]] = {}  # users ask the same question often: embed it once per run
        for done, (point_id, question) in enumerate(zip(ids, questions, strict=True), start=1):
            text = question.turn.question
            vector = known.get(point_id) or by_text.get(text) or self._embedder.embed_query(text)
            by_text[text] = vector
            vectors.append(vector)
            if done % _BATCH == 0 or done == len(ids):
                report(0.7 * done / len(ids), f"{done} von {len(ids)} Fragen eingebettet")
        return vectors

    def _keep_vectors(
        self, questions: Sequence[_Question], vectors: Sequence[list[float]], named: list[str]
    ) -> None:
        if not questions:
            return
        if COLLECTION not in self._vectors.collections():
            self._vectors.create_collection(COLLECTION, len(vectors[0]))
        points = [
            VectorPoint(
                _point_id(q),
                vector,
                {
                    "source": q.session.source,
                    "session_id": q.session.session_id,
                    "position": q.position,
                    "user_ref": q.session.user_ref,
                    "asked_at": q.turn.asked_at.isoformat(),
                    "rating": q.turn.rating,
                    "refused": bool(q.turn.refused),
                    "topic": topic,
                },
            )
            for q, vector, topic in zip(questions, vectors, named, strict=True)
        ]
        for offset in range(0, len(points), _BATCH):
            self._vectors.upsert(COLLECTION, points[offset : offset + _BATCH])

    def _drop_gone_sessions(self) -> None:
        """Delete the embedded questions of sessions no longer stored: a deleted conversation, a session
        resent without consent, an erased webhook user. Erasure and withdrawal delete theirs at once."""
        if COLLECTION not in self._vectors.collections():
            return
        ids = self._vectors.point_ids(COLLECTION)
        sessions: dict[tuple[str, str], list[str]] = {}
        for offset in range(0, len(ids), _BATCH):
            for point in self._vectors.get(COLLECTION, ids[offset : offset + _BATCH]):
                key = (str(point.payload.get("source")), str(point.payload.get("session_id")))
                sessions.setdefault(key, []).append(point.point_id)
        with self._database.unit_of_work(read_only=True) as uow:
            gone = [
                p for key, points in sessions.items() if uow.sessions.current(*key) is None for p in points
            ]
        for offset in range(0, len(gone), _BATCH):
            self._vectors.delete(COLLECTION, gone[offset : offset + _BATCH])

    def _gaps(
        self, questions: Sequence[_Question], found: Sequence[Topic], named: Sequence[str]
    ) -> list[KnowledgeGap]:
        gaps: list[KnowledgeGap] = []
        for topic in found:
            name = Counter(named[i] for i in topic.members).most_common(1)[0][0]
            unanswered = [questions[i].turn.question for i in topic.members if questions[i].unanswered]
            if len(unanswered) < MIN_GAP_QUESTIONS:
                continue
            best, titles = self._nearest(unanswered[:5])
            if best is not None and best >= self._gap_score:
                continue
            gaps.append(
                KnowledgeGap(
                    topic=name,
                    questions=len(unanswered),
                    examples=tuple(dict.fromkeys(unanswered))[:5],
                    nearest_documents=titles,
                    best_score=best,
                    suggestion=(
                        f"Ein Dokument zu „{name}“ in die Wissensbasis aufnehmen: "
                        f"{len(unanswered)} Fragen "
                        "dazu blieben unbeantwortet oder wurden als nicht hilfreich bewertet."
                    ),
                )
            )
        return sorted(gaps, key=lambda gap: -gap.questions)

    def _nearest(self, questions: Sequence[str]) -> tuple[float | None, tuple[str, ...]]:
        best: float | None = None
        titles: dict[str, None] = {}
        for question in questions:
            try:
                result = self._retrieval.search(question[:1000], top_k=3)
            except LunaError:  # an empty or missing knowledge base: nothing near it
                continue
            if result.best_dense_score is not None:
                best = result.best_dense_score if best is None else max(best, result.best_dense_score)
            for citation in result.citations:
                titles.setdefault(str(citation.payload.get("title") or "ohne Titel"), None)
        return best, tuple(titles)[:3]

    def _write_report(self, run: NormaliseRun, start: datetime, end: datetime) -> str:
        now = self._clock()
        facts = (run.sessions, run.questions, run.topics, run.gaps, start, end, now)
        newest = vector_ingest_report(*facts).encode("utf-8")
        self._blobs.put(REPORT_KEY, newest, "text/markdown; charset=utf-8")
        self._blobs.put(
            f"{REPORTS_PREFIX}{now:%Y%m%dT%H%M%S.%fZ}-vector_ingest_report.md",
            vector_ingest_report(*facts, examples=False).encode("utf-8"),
            "text/markdown; charset=utf-8",
        )
        search = GapSearch.of(now, run.gaps)  # the same gaps, as data: the report holds user text
        self._blobs.put(GAPS_KEY, search.as_json().encode("utf-8"), "application/json; charset=utf-8")
        return REPORT_KEY


def forget_questions(vectors: VectorIndex, user_ref: str) -> int:
    """Delete the embedded questions of one pseudonymous user (erasure, withdrawn consent): each point
    keeps ``user_ref`` and the session, which would re-identify what of them turned up again."""
    if COLLECTION not in vectors.collections():
        return 0
    mine = {"user_ref": user_ref}
    found = vectors.count(COLLECTION, mine)
    if found:
        vectors.delete_where(COLLECTION, mine)
    return found


def _point_id(question: _Question) -> str:
    """Stable per turn, so a rerun replaces the point (a new revision's same turn included)."""
    session = question.session
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{session.source}/{session.session_id}/{question.position}"))


def _topic_of(questions: Sequence[_Question], found: Sequence[Topic]) -> list[str]:
    """Each question's topic: the one it has (its sender's, or given by an earlier run), else its group's.

    A group that already holds labelled questions passes their most common label on to the new ones,
    so a topic keeps its name while it grows, and its per-topic KPIs form one series.
    """
    named = [q.turn.topic or "" for q in questions]
    for topic in found:
        earlier = Counter(named[i] for i in topic.members if named[i])
        label = earlier.most_common(1)[0][0] if earlier else topic.label
        for index in topic.members:
            named[index] = named[index] or label
    return named
