"""The evaluation consumer: helpful answers with the passage they cited become golden questions.

A golden question names its document and 1–3 needles, verbatim passages a right answer's first
citation must contain (``luna.domain.evaluation``). From a rated answer: the document is the item of
its first cited chunk (``item:<id>``), the needles are the sentences of that chunk the answer quotes,
or the chunk's first sentence when it quotes none. Pairs without a cited passage cannot say where the
answer stands, and a question already in the set would repeat its id: both are left out (counted).
The set is written to ``<data_dir>/eval/golden/<dataset>.yaml``, where ``luna eval run`` and the
``eval.run`` job read it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Final

import polars as pl
import yaml

from luna.domain.datasets.versions import DatasetVersion
from luna.domain.evaluation import MAX_NEEDLES
from luna.ports.blobs import BlobStore

_SENTENCE: Final = re.compile(r"(?<=[.!?])\s+|\n+")
#: Needles shorter than this match too much; longer ones are cut (a needle is a substring test).
_MIN_NEEDLE, _MAX_NEEDLE = 20, 200


def golden_entries(version: DatasetVersion, frame: pl.DataFrame) -> list[dict[str, Any]]:
    usable = frame.filter(
        (pl.col("rating").is_null() | (pl.col("rating") > 0))
        & pl.col("document").is_not_null()
        & pl.col("context").is_not_null()
    )
    entries = []
    seen: set[str] = set()
    for question, answer, context, document in usable.select(
        "question", "answer", "context", "document"
    ).iter_rows():
        needles = needles_for(answer, context)
        digest = hashlib.sha256(question.encode("utf-8")).hexdigest()[:12]
        # A question asked twice keeps its first passage: ids must be unique, or the evaluation core
        # refuses the whole set (templated questions repeat across passages of one document).
        if needles and digest not in seen:
            seen.add(digest)
            entries.append(
                {
                    "id": f"{version.dataset}-{digest}",
                    "question": question,
                    "file": document,
                    "needles": needles,
                }
            )
    return entries


def needles_for(answer: str, context: str) -> list[str]:
    parts = (s.strip() for s in _SENTENCE.split(context))
    sentences = [s for s in parts if len(s) >= _MIN_NEEDLE and not s.startswith("#")]
    quoted = [s for s in sentences if " ".join(s.split()) in " ".join(answer.split())]
    chosen = (quoted or sentences[:1])[: min(3, MAX_NEEDLES)]
    return [s[:_MAX_NEEDLE] for s in chosen]


def write_golden(
    version: DatasetVersion, frame: pl.DataFrame, blobs: BlobStore, golden_dir: Path
) -> dict[str, Any]:
    entries = golden_entries(version, frame)
    text = (
        f"# Golden questions from dataset {version.dataset}, version {version.number} "
        f"({version.content_sha256[:12]}); made by Luna's datasets capability.\n"
        + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=110)
    )
    blobs.put(
        f"datasets/{version.dataset}/v{version.number}/golden.yaml", text.encode("utf-8"), "application/yaml"
    )
    golden_dir.mkdir(parents=True, exist_ok=True)
    path = golden_dir / f"{version.dataset}.yaml"
    temporary = path.with_suffix(".yaml.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return {"questions": len(entries), "left_out": frame.height - len(entries), "path": str(path)}
