"""Does the learning boost ever lift an irrelevant chunk above a relevant one? The retrieval-quality
benchmark (74 German questions, ``bench/questions_de.yaml``) re-run with and without boosts.

    .venv/bin/python bench/retrieval_boost.py [--corpus ../shared/corpus] [--boost-max 0.05] [--seed 7]

Works on a copy of the retrieval benchmark's data dir (``bench/out/retrieval`` → ``bench/out/
retrieval_boost``), so its embedding cache is reused and the simulated events never reach the original.
For both fusion methods it searches every question (top 13, see :data:`TOP`) with

- **off**: no boost (the baseline);
- **random**: simulated users view, click, like and rate chunks picked with a Zipf skew from a random
  order, the learning job runs, retrieval boosts from the stored scores;
- **aligned**: the same users also like each question's answering chunks (an upper bound: users who
  found what the benchmark calls relevant; not a quality claim);
- **adversarial**: every irrelevant chunk gets the maximum boost, the relevant ones none.

It prints hit@5, MRR@10 and *inversions*: pairs of a relevant chunk and an irrelevant one that scored
strictly lower without boosts and ranks above it with them (exact ties, which the fusion breaks by chunk
ID, are counted apart: under RRF the learned scores break them on purpose). The *margin* of a relevant
chunk is its fused score minus the best irrelevant score below it, as a share of the fusion method's
largest score; an adversarial additive boost inverts exactly the relevant chunks whose margin is below
``boost_max``, so the smallest margin is the largest safe ``boost_max`` on this question set.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from corpus_container import REPO, WORK, corpus_files

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables import audit_log, consent, events, labels, rag_feedback, score_versions, scores
from luna.container import Container, build_container
from luna.domain.errors import Conflict
from luna.domain.events import Event, EventType, RagFeedback
from luna.domain.learning.boost import FusionMethod, fusion_scale
from luna.ports.sql import UnitOfWork
from luna.services.knowledge.ingest import IngestRequest
from luna.services.knowledge.retrieval import BoostSource, LearnedBoosts, RetrievalService, RetrievalSettings
from luna.settings import load_settings

BOOST_WORK = REPO / "bench" / "out" / "retrieval_boost"
END = datetime(2025, 6, 1, tzinfo=UTC)
#: Hits per search: 13 · 3 ≤ rag.candidates (40), so each leg fetches exactly the candidates of the
#: retrieval-quality benchmark's top-10 search and the fused scores are the same; the 3 extra ranks show
#: the irrelevant chunks just below the top 10 that a boost could lift into it.
TOP = 13
SWEEP = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1)


def boost_container(boost_max: float | None) -> Container:
    """The embedded profile on the copy, with the boost the run measures."""
    if not BOOST_WORK.exists():
        if not (WORK / "luna.db").exists():
            sys.exit("run bench/retrieval_quality.py first: it ingests the corpus into bench/out/retrieval")
        BOOST_WORK.mkdir(parents=True)
        with sqlite3.connect(WORK / "luna.db") as source, sqlite3.connect(BOOST_WORK / "luna.db") as copy:
            source.backup(copy)  # consistent even with a WAL beside it
        for folder in ("vectors", "blobs"):
            shutil.copytree(WORK / folder, BOOST_WORK / folder)
    environ = {
        "LUNA_DATA_DIR": str(BOOST_WORK),
        "LUNA_AUTH__ADMIN_API_KEY": "bench-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "bench-jwt-secret-0123456789",
        "LUNA_LOGGING__LEVEL": "WARNING",
        **({"LUNA_LEARNING__BOOST_MAX": str(boost_max)} if boost_max is not None else {}),
    }
    return build_container(load_settings("default", environ=environ, env_file=BOOST_WORK / "none.env"))


def ingest(container: Container, corpus: Path) -> dict[str, str]:
    item_of: dict[str, str] = {}
    for path in corpus_files(corpus):
        request = IngestRequest(data=path.read_bytes(), filename=path.name, kind="regulation")
        try:
            item_of[path.name] = container.services.knowledge.ingest.ingest(request).item_id
        except Conflict as error:
            item_of[path.name] = str(error.details["item_id"])
    return item_of


def relevant_chunks(container: Container, question: Mapping[str, Any], item_id: str) -> set[str]:
    with container.database.unit_of_work(read_only=True) as uow:
        chunks = uow.chunks.list_for_item(item_id)
    return {c.chunk_id for c in chunks if any(needle in c.text for needle in question["needles"])}


class Adversarial:
    """The worst case: the maximum boost for every chunk except the question's relevant ones."""

    def __init__(self) -> None:
        self.relevant: set[str] = set()

    def strengths(self, uow: UnitOfWork, chunk_ids: Sequence[str]) -> dict[str, float]:
        return {chunk_id: 0.0 if chunk_id in self.relevant else 1.0 for chunk_id in chunk_ids}


def forget_learning(container: Container) -> None:
    database = container.database
    assert isinstance(database, SqlDatabase)
    with database.engine.begin() as connection:
        for table in (scores, score_versions, audit_log, labels, rag_feedback, events, consent):
            connection.execute(sa.delete(table))


def simulate(container: Container, seed: int, aligned: Sequence[set[str]] = ()) -> dict[str, Any]:
    """Users with a Zipf-skewed taste for random chunks (and, for ``aligned``, for the answering ones)."""
    forget_learning(container)
    rng = random.Random(seed)
    with container.database.unit_of_work(read_only=True) as uow:
        chunk_ids = sorted(c.chunk_id for batch in uow.chunks.all_active() for c in batch)
    rng.shuffle(chunk_ids)
    zipf = [1 / (rank + 1) for rank in range(len(chunk_ids))]
    kinds, kind_weights = (
        [EventType.VIEW, EventType.CLICK, EventType.LIKE, EventType.DISLIKE],
        [60, 25, 10, 5],
    )
    users = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(40)]
    happened: list[Event] = []
    ratings: list[RagFeedback] = []
    for user in users:
        for _ in range(30):
            ts = END - timedelta(seconds=rng.uniform(0, 60 * 86_400))
            chunk = rng.choices(chunk_ids, zipf)[0]
            kind = rng.choices(kinds, kind_weights)[0]
            happened.append(Event(str(uuid.UUID(int=rng.getrandbits(128))), user, ts, kind, chunk_id=chunk))
        for _ in range(3):
            cited = rng.sample(chunk_ids, 3)
            ts = END - timedelta(seconds=rng.uniform(0, 60 * 86_400))
            fid = str(uuid.UUID(int=rng.getrandbits(128)))
            ratings.append(
                RagFeedback(fid, user, ts, "Frage", "Antwort", rng.random() < 0.7, chunks_used=cited)
            )
    for relevant in aligned:
        for user in rng.sample(users, 5):
            for chunk in relevant:
                ts = END - timedelta(seconds=rng.uniform(0, 14 * 86_400))
                happened.append(
                    Event(str(uuid.UUID(int=rng.getrandbits(128))), user, ts, EventType.LIKE, chunk_id=chunk)
                )
    with container.database.unit_of_work() as uow:
        for user in users:
            uow.users.get_or_create(user)
        uow.events.add_many(happened)
        for rating in ratings:
            uow.feedback.add(rating, [])
        uow.commit()
    result = container.services.learning.run("bench")
    return {"events": result.events, "ratings": result.ratings, "chunks_scored": result.chunks}


def retrieval(container: Container, boosts: BoostSource | None) -> RetrievalService:
    """A retrieval service on the knowledge base's indexes with the given boosts (None: no boost)."""
    kb, s = container.services.knowledge, container.settings
    settings = RetrievalSettings(
        candidates=s.rag.candidates,
        fusion=s.rag.fusion,
        rrf_k=s.rag.rrf_k,
        dense_weight=s.rag.dense_weight,
        lexical_weight=s.rag.lexical_weight,
        boost_enabled=boosts is not None,
        boost_max=s.learning.boost_max,
        quality_prior_mean=s.learning.quality_prior_mean,
    )
    return RetrievalService(
        container.database, container.vectors, kb.embedder, kb.collections, kb.lexical, settings, boosts
    )


#: Search latencies per (boosts, fusion), milliseconds: what reading the scores adds to a search.
LATENCIES: dict[tuple[str, str], list[float]] = {}


def ranked(
    service: RetrievalService, question: str, fusion: FusionMethod, label: str
) -> list[tuple[str, float]]:
    began = time.perf_counter()
    found = service.search(question, TOP, fusion=fusion)
    LATENCIES.setdefault((label, fusion), []).append((time.perf_counter() - began) * 1000)
    return [(c.chunk_id, c.score - c.boost) for c in found.citations]


def evaluate(rankings: Sequence[list[tuple[str, float]]], relevant: Sequence[set[str]]) -> dict[str, float]:
    hits5, reciprocal = 0, []
    for ranking, wanted in zip(rankings, relevant, strict=True):
        first = next((rank for rank, (cid, _) in enumerate(ranking[:10], 1) if cid in wanted), None)
        hits5 += first is not None and first <= 5
        reciprocal.append(1 / first if first else 0.0)
    return {"hit@5": hits5 / len(rankings), "mrr@10": statistics.fmean(reciprocal)}


def inversions(
    before: list[tuple[str, float]], after: list[tuple[str, float]], wanted: set[str]
) -> tuple[int, int, int]:
    """(inverted pairs, of which in the boosted top 10, exact ties now broken for the irrelevant chunk).

    A pair is inverted when the relevant chunk's fused score was strictly higher; an exact tie has no
    order to invert (without boosts the fusion breaks it by chunk ID).
    """
    score_before = dict(before)
    rank_before = {cid: rank for rank, (cid, _) in enumerate(before)}
    rank_after = {cid: rank for rank, (cid, _) in enumerate(after)}
    total = top10 = ties = 0
    for relevant in (cid for cid in rank_before if cid in wanted):
        below = rank_after.get(relevant, len(after))
        for cid, rank in rank_after.items():
            if cid in wanted or rank >= below or rank_before.get(cid, TOP) < rank_before[relevant]:
                continue
            if score_before.get(cid) == score_before[relevant]:
                ties += 1
            else:
                total += 1
                top10 += rank < 10
    return total, top10, ties


def margins(
    baseline: Sequence[list[tuple[str, float]]], relevant: Sequence[set[str]], scale: float
) -> list[float]:
    """Per relevant chunk in the top 10: its score minus the best irrelevant score below it, / scale."""
    found = []
    for ranking, wanted in zip(baseline, relevant, strict=True):
        for rank, (cid, score) in enumerate(ranking[:10]):
            below = [s for other, s in ranking[rank + 1 :] if other not in wanted]
            if cid in wanted and below:
                found.append((score - max(below)) / scale)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--questions", type=Path, default=REPO / "bench" / "questions_de.yaml")
    parser.add_argument("--boost-max", type=float, default=None, help="default: learning.boost_max")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    container = boost_container(args.boost_max)
    container.database.upgrade()
    item_of = ingest(container, args.corpus)
    questions = yaml.safe_load(args.questions.read_text(encoding="utf-8"))
    relevant = [relevant_chunks(container, q, item_of[q["file"]]) for q in questions]
    rag = container.settings.rag
    adversarial = Adversarial()
    boost_max = container.settings.learning.boost_max
    report: dict[str, Any] = {"questions": len(questions), "boost_max": boost_max, "fusion": {}}
    runs: dict[str, dict[str, list[list[tuple[str, float]]]]] = {}
    for name, liked in (("random", ()), ("aligned", relevant)):
        report[f"simulation_{name}"] = simulate(container, args.seed, liked)
        prior = container.settings.learning.quality_prior_mean
        learned = retrieval(container, LearnedBoosts(prior, ttl_sec=0.0))
        runs[name] = {
            f: [ranked(learned, q["question"], f, name) for q in questions] for f in ("weighted", "rrf")
        }
    forget_learning(container)
    off = retrieval(container, None)
    attacked = retrieval(container, adversarial)
    fusions: tuple[FusionMethod, ...] = ("weighted", "rrf")
    for fusion in fusions:
        baseline = [ranked(off, q["question"], fusion, "off") for q in questions]
        runs.setdefault("adversarial", {})[fusion] = []
        for question, wanted in zip(questions, relevant, strict=True):
            adversarial.relevant = wanted
            runs["adversarial"][fusion].append(ranked(attacked, question["question"], fusion, "adversarial"))
        scale = fusion_scale(fusion, rag.dense_weight, rag.lexical_weight, rag.rrf_k)
        found = margins(baseline, relevant, scale)
        rows: dict[str, Any] = {
            "off": {**evaluate(baseline, relevant), "inversions": 0, "inversions_top10": 0}
        }
        for name in ("random", "aligned", "adversarial"):
            pairs = [
                inversions(b, a, w) for b, a, w in zip(baseline, runs[name][fusion], relevant, strict=True)
            ]
            rows[name] = {
                **evaluate(runs[name][fusion], relevant),
                "inversions": sum(p[0] for p in pairs),
                "inversions_top10": sum(p[1] for p in pairs),
                "questions_inverted": sum(p[0] > 0 for p in pairs),
                "ties_broken_for_irrelevant": sum(p[2] for p in pairs),
            }
        for name, row in rows.items():
            row["search_ms_p50"] = statistics.median(LATENCIES[(name, fusion)])
        report["fusion"][fusion] = {
            "scale": scale,
            "rows": rows,
            "relevant_chunks_with_irrelevant_below": len(found),
            "relevant_chunks_tied_with_irrelevant": sum(m == 0 for m in found),
            "smallest_margin": min((m for m in found if m > 0), default=None),
            "margin_p05": statistics.quantiles(found, n=20)[0] if len(found) >= 20 else None,
            "additive_boost_inverted_chunks_by_boost_max": {
                str(b): sum(0 < m < b for m in found) for b in SWEEP
            },
        }
    print(json.dumps(report, indent=2))
    for fusion, figures in report["fusion"].items():
        print(f"\n{fusion} fusion (scale {figures['scale']:.4g}, boost_max {boost_max}):")
        print("| boosts | hit@5 | MRR@10 | inverted pairs | in top 10 | questions | ties | search p50 ms |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, row in figures["rows"].items():
            print(
                f"| {name} | {row['hit@5']:.3f} | {row['mrr@10']:.3f} | {row['inversions']} | "
                f"{row['inversions_top10']} | {row.get('questions_inverted', 0)} | "
                f"{row.get('ties_broken_for_irrelevant', 0)} | "
                f"{row['search_ms_p50']:.1f} |"
            )
    container.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
