"""The container the knowledge-base benchmarks share: embedded defaults in ``bench/out/retrieval/``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from luna.adapters.lexical.bm25s import Bm25sLexicalIndex
from luna.container import Container, build_container
from luna.domain.errors import Conflict
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.ingest import IngestRequest
from luna.services.knowledge.knowledge import KnowledgeBase
from luna.settings import load_settings

Variant = TypeVar("Variant")

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "out" / "retrieval"
#: The team's first five golden sets (tune / test split by question id) and the sixth, written blind to
#: judge what was chosen on the five (``docs/evaluation.md``).
FIVE_GOLDEN_SETS = [
    REPO / "bench" / name
    for name in (
        "questions_de.yaml",
        "unanswerable_de.yaml",
        "questions_confirm_de.yaml",
        "questions_blind_de.yaml",
        "questions_fresh_de.yaml",
    )
]
SIXTH_GOLDEN_SET = [REPO / "bench" / "questions_sixth_de.yaml"]
#: Written blind on 2026-11-26, after every choice before it (``docs/evaluation.md``).
SEVENTH_GOLDEN_SET = [REPO / "bench" / "questions_seventh_de.yaml"]
#: Written blind on 2026-11-26 in the nineteenth session; nothing was chosen on it (``docs/evaluation.md``).
EIGHTH_GOLDEN_SET = [REPO / "bench" / "questions_eighth_de.yaml"]
#: The held-out views the answer benchmarks print: (split, sets, label).
ANSWER_SPLITS = (
    ("tune", FIVE_GOLDEN_SETS, "tune (five sets)"),
    ("test", FIVE_GOLDEN_SETS, "test (five sets)"),
    ("all", SIXTH_GOLDEN_SET, "sixth set"),
    ("all", SEVENTH_GOLDEN_SET, "seventh set"),
    ("all", EIGHTH_GOLDEN_SET, "eighth set"),
)


def corpus_container(data_dir: Path = WORK, overrides: Mapping[str, str] | None = None) -> Container:
    """Embedded profile on a benchmark data dir, with throw-away secrets, quiet logs and ``overrides``."""
    environ = {
        **os.environ,
        "LUNA_DATA_DIR": str(data_dir),
        "LUNA_AUTH__ADMIN_API_KEY": "bench-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "bench-jwt-secret-0123456789",
        "LUNA_LOGGING__LEVEL": "WARNING",
        **(overrides or {}),
    }
    return build_container(load_settings("default", environ=environ, env_file=data_dir / "none.env"))


@contextmanager
def caught_up_container(
    data_dir: Path = WORK, overrides: Mapping[str, str] | None = None
) -> Iterator[Container]:
    """:func:`corpus_container` (``overrides`` turn the refine leg on), refusing to measure before the
    refine leg's job has read every chunk: until then answers run on the fast legs alone, which is not
    the shipped path. Closed on leaving."""
    c = corpus_container(data_dir, overrides)
    try:
        refine = c.services.knowledge.refine
        assert refine is not None and refine.pending() == 0, "run bench/refine_sentences.py first"
        yield c
    finally:
        c.close()


def split_outcomes(
    c: Container, name: str, documents_dir: Path = REPO.parent / "shared" / "corpus"
) -> Iterator[tuple[str, Any, list[tuple[Any, Any]]]]:
    """Each answer split's evaluation run through ``c``'s evaluation core, with its (outcome, golden
    question) pairs: (label, run, pairs). ``documents_dir`` holds the files the golden sets name."""
    for split, sets, label in ANSWER_SPLITS:
        questions = read_golden_sets(sets)
        run = c.services.evaluation.run(
            questions, split=split, name=f"{name}-{split}", documents_dir=documents_dir
        )
        by_id = {q.question_id: q for q in questions}
        yield label, run, [(o, by_id[o.question_id]) for o in run.outcomes]


def tune_row(c: Container, questions: Sequence[Any], label: str, name: str) -> Any:
    """The figures of ``questions``' tune split through ``c``'s evaluation core (run ``name``), after
    printing them as a row of :func:`figure_header`'s table, ``label`` first."""
    run = c.services.evaluation.run(
        questions, split="tune", name=name, documents_dir=REPO.parent / "shared" / "corpus"
    )
    print(f"| {label} | tune (five sets) {figure_cells(run.figures)}", flush=True)
    return run.figures


def tune_scores(
    c: Container,
    variants: Mapping[Variant, Callable[[], object]],
    run_name: Callable[[Variant], str],
    score: Callable[[Any], float],
) -> dict[Variant, float]:
    """Each of ``variants`` set up in turn (its callable) and answered on the tune split of the five golden
    sets as run ``run_name(variant)``, its row printed by :func:`tune_row`: its ``score`` of the figures."""
    tune = read_golden_sets(FIVE_GOLDEN_SETS)
    scores: dict[Variant, float] = {}
    for variant, set_up in variants.items():
        set_up()
        scores[variant] = score(tune_row(c, tune, str(variant), run_name(variant)))
    return scores


def chosen_on_tune(
    scores: Mapping[Variant, float],
    among: Iterable[Variant] | None = None,
    prefer: Callable[[Variant], float] | None = None,
) -> Variant:
    """The variant of ``among`` (every scored one by default) with the best tune score, rounded to six
    places so that float noise decides nothing; a tie goes to the one ``prefer`` rates highest, by
    default the earliest scored (the benches list the shipped or simpler variant first)."""
    order = list(scores)
    tie = prefer or (lambda variant: -order.index(variant))
    return max(order if among is None else among, key=lambda v: (round(scores[v], 6), tie(v)))


def figure_header(*leading: str, tune: bool = False) -> str:
    """The Markdown header of rows that end in :func:`figure_cells`, after the ``leading`` columns;
    ``tune``: the retrieval column says its figures are tune's."""
    columns = [
        *leading,
        f"{'tune ' if tune else ''}hit@1 / hit@5 / MRR@10",
        "states it",
        "first citation answers",
        "refused unanswerable / answerable",
        "number warnings",
        "answer ms p50 / p95",
    ]
    return f"| {' | '.join(columns)} |\n|{'---|' * len(columns)}"


def print_views(c: Container, label: str, name: str, *, skip: tuple[str, ...] = ()) -> None:
    """One row per answer view of :func:`split_outcomes` (those in ``skip`` left out), ``label`` first."""
    for view, run, _ in split_outcomes(c, name):
        if view not in skip:
            print(f"| {label} | {view} {figure_cells(run.figures)}", flush=True)


def figure_cells(f: Any) -> str:
    """An evaluation run's figures as the answer tables' cells, from "hit@1 / hit@5 / MRR@10" on."""
    return (
        f"| {f.hit_at_1:.3f} / {f.hit_at_5:.3f} / {f.mrr_at_10:.3f} | {f.answer_holds_needle:.3f} "
        f"| {f.first_citation_hit:.3f} | {f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} "
        f"| {f.false_number_warnings} | {f.answer_ms_p50:.0f} / {f.answer_ms_p95:.0f} |"
    )


def corpus_files(corpus: Path) -> list[Path]:
    """The benchmark corpus: every law of ``gesetze/`` and the Winterthur energy portal notes."""
    return [*sorted((corpus / "gesetze").glob("*.md")), corpus / "notizen" / "energieportal-winterthur.md"]


def ingest_corpus(kb: KnowledgeBase, corpus: Path) -> tuple[dict[str, str], int, int]:
    """Item id per file name, bytes read and chunks made; a file already stored keeps its item."""
    item_of: dict[str, str] = {}
    total_bytes = chunks = 0
    for path in corpus_files(corpus):
        data = path.read_bytes()
        total_bytes += len(data)
        try:
            result = kb.ingest.ingest(IngestRequest(data=data, filename=path.name, kind="regulation"))
            item_of[path.name] = result.item_id
            chunks += result.chunks
            print(f"ingested {path.name}: {result.chunks} chunks", file=sys.stderr)
        except Conflict as error:
            item_of[path.name] = str(error.details["item_id"])
    return item_of, total_bytes, chunks


def rebuilt_lexical_index(c: Container, k1: float = 1.5, b: float = 0.75) -> Bm25sLexicalIndex:
    """A BM25 index over the bench index's current chunks, built now: with other BM25 parameters, or
    with analyzer settings a benchmark changed after the container was built."""
    kb = c.services.knowledge
    index = Bm25sLexicalIndex(k1=k1, b=b)
    with c.database.unit_of_work(read_only=True) as uow:
        for batch in uow.chunks.all_active():
            by_item: dict[str, list] = {}  # type: ignore[type-arg]
            for chunk in batch:
                by_item.setdefault(chunk.item_id, []).append(chunk)
            for item_id, chunks in by_item.items():
                item = uow.items.get(item_id)
                assert item is not None
                index.add(kb.indexer.lexical_documents(item, chunks))
    return index
