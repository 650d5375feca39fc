"""The evaluation job: ``eval.run`` runs golden sets through the knowledge base of this worker.

Operators start it with ``POST /api/v1/admin/jobs`` (``{"name": "eval.run", "params": {"sets":
["/path/golden.yaml"], "split": "test"}}``) or from the admin dashboard's job form; the run is kept
like one of ``luna eval run`` and read back with ``GET /api/v1/admin/eval/runs/{run_id}``. The set
files are read on the worker's machine, like the folders of ``kb.ingest_paths``.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from luna.container import Container
from luna.domain.errors import InvalidInput
from luna.domain.evaluation import SPLITS, GoldenQuestion, Split
from luna.services.evaluation.evaluation import read_golden_sets
from luna.workers.registry import register
from luna.workers.runner import JobContext

MAX_SETS: Final = 20
MAX_NAME_CHARS: Final = 80


def check_run(
    container: Container, sets: object, split: object = "test", name: object = "run", documents: object = None
) -> None:
    """Refuse a run whose sets cannot be read or whose options are wrong, before it is queued."""
    _questions(sets)
    _split(split)
    _name(name)
    _documents(documents)


@register("eval.run", check=check_run)
def run(
    container: Container,
    ctx: JobContext,
    sets: list[str],
    split: str = "test",
    name: str = "run",
    documents: str | None = None,
) -> dict[str, Any]:
    """Ask every question of the split; the result names the kept run and its figures."""

    def progress(done: int, total: int) -> None:
        ctx.raise_if_cancelled()
        ctx.progress(done / total, f"{done} von {total} Fragen")

    kept = container.services.evaluation.run(
        _questions(sets),
        split=_split(split),
        name=_name(name),
        documents_dir=_documents(documents),
        progress=progress,
    )
    return {"run_id": kept.run_id, "split": kept.split, "figures": asdict(kept.figures)}


def _questions(sets: object) -> list[GoldenQuestion]:
    if not isinstance(sets, list) or not sets or len(sets) > MAX_SETS:
        raise InvalidInput(f"sets: a list of 1 to {MAX_SETS} golden-set file paths.")
    if not all(isinstance(path, str) and path for path in sets):
        raise InvalidInput("sets: every entry is a file path (text).")
    return read_golden_sets([Path(path) for path in sets])


def _split(split: object) -> Split:
    for known in SPLITS:
        if split == known:
            return known
    raise InvalidInput(f"split: one of {', '.join(SPLITS)}, not {split!r}.")


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"name: a text of 1 to {MAX_NAME_CHARS} characters.")
    return name


def _documents(documents: object) -> Path | None:
    if documents is None:
        return None
    if not isinstance(documents, str) or not Path(documents).is_dir():
        raise InvalidInput(f"documents: {documents!r} is not a folder on the worker's machine.")
    return Path(documents)
