"""The evaluation job: ``eval.run`` runs golden sets through the knowledge base of this worker.

Operators start it with ``POST /api/v1/admin/jobs`` (``{"name": "eval.run", "params": {"sets":
["/path/golden.yaml"], "split": "test"}}``) or from the admin dashboard's job form; an approved flywheel
ticket starts it with ``flywheel.evaluation_sets``. The run is kept like one of ``luna eval run`` and
read back with ``GET /api/v1/admin/eval/runs/{run_id}``.

The set files and the ``documents`` folder are read on the worker's machine, so like the folders of
``kb.ingest_paths`` they must lie inside folders the operator chose, or be a set file the settings name
(:func:`eval_folders`), judged with ``..`` and symlinks resolved when the job is submitted and again when
it runs: an admin-key holder could otherwise learn whether ``/etc/anything`` exists and read the ids of
any YAML file. ``luna eval run`` is not bound by them: it reads the files in the operator's own shell
process (no server, no job), so it can only read what that operator can read anyway.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from luna.container import Container
from luna.domain.errors import InvalidInput
from luna.domain.evaluation import SPLITS, GoldenQuestion, Split
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.operations.job_paths import ReadableFolders
from luna.workers.knowledge import import_dirs
from luna.workers.registry import register
from luna.workers.runner import JobContext

MAX_SETS: Final = 20
MAX_NAME_CHARS: Final = 80
#: This module's file, whose place tells a source checkout from an installed package.
SOURCE_FILE: Final = Path(__file__)


def team_sets() -> Path | None:
    """``bench/`` of the source checkout this package runs from (the team's golden sets,
    docs/evaluation.md); None where it is installed (pip, the Docker image), which ships no sets.

    A checkout is known by its layout: this module at ``<root>/src/luna/workers/`` beside
    ``<root>/pyproject.toml``, which an installed package (``site-packages/luna/``) never has. Nothing
    else is looked for: a ``bench`` in the working directory is whatever lies there when the server
    starts (a symlink to ``/`` would open the whole disk to the job)."""
    here = SOURCE_FILE.resolve()
    root = here.parents[3]
    checkout = here.parents[2].name == "src" and (root / "pyproject.toml").is_file()
    bench = root / "bench"
    return bench if checkout and bench.is_dir() else None


def eval_folders(container: Container) -> ReadableFolders:
    """Where ``eval.run`` reads: the team's sets, ``<data_dir>/eval`` (the datasets' golden sets) and the
    import folders (the documents the knowledge base was filled from), and the files of
    ``flywheel.evaluation_sets`` one by one, so every set and folder Luna or its settings name for an
    evaluation is allowed and nothing else."""
    settings = container.settings
    team = team_sets()
    return ReadableFolders.of(
        [*([team] if team else []), settings.data_dir / "eval", *import_dirs(container)],
        "the folders eval.run reads (bench/ of a source checkout, <data_dir>/eval, ingest.import_dirs)"
        " and the files of flywheel.evaluation_sets",
        "readable",
        files=settings.evaluation_sets,
    )


def check_run(
    container: Container, sets: object, split: object = "test", name: object = "run", documents: object = None
) -> None:
    """Refuse a run whose sets cannot be read or whose options are wrong, before it is queued."""
    folders = eval_folders(container)
    _questions(sets, folders)
    _split(split)
    _name(name)
    _documents(documents, folders)


@register("eval.run", check=check_run)
def run(
    container: Container,
    ctx: JobContext,
    sets: list[str],
    split: str = "test",
    name: str = "run",
    documents: str | None = None,
) -> dict[str, Any]:
    """Ask every question of the split; the result names the kept run and its figures.

    The paths are judged again here: the job may have been queued by a process that ran no check (a
    flywheel ticket, ``luna jobs run``), or before the folders or the disk changed."""

    def progress(done: int, total: int) -> None:
        ctx.raise_if_cancelled()
        ctx.progress(done / total, f"{done} von {total} Fragen")

    folders = eval_folders(container)
    kept = container.services.evaluation.run(
        _questions(sets, folders),
        split=_split(split),
        name=_name(name),
        documents_dir=_documents(documents, folders),
        readable=folders.holds,
        progress=progress,
    )
    return {"run_id": kept.run_id, "split": kept.split, "figures": asdict(kept.figures)}


def _questions(sets: object, folders: ReadableFolders) -> list[GoldenQuestion]:
    if not isinstance(sets, list) or not sets or len(sets) > MAX_SETS:
        raise InvalidInput(f"sets: a list of 1 to {MAX_SETS} golden-set file paths.")
    return read_golden_sets([folders.resolve("sets", path) for path in sets])


def _split(split: object) -> Split:
    for known in SPLITS:
        if split == known:
            return known
    raise InvalidInput(f"split: one of {', '.join(SPLITS)}, not {split!r}.")


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"name: a text of 1 to {MAX_NAME_CHARS} characters.")
    return name


def _documents(documents: object, folders: ReadableFolders) -> Path | None:
    if documents is None:
        return None
    path = folders.resolve("documents", documents)
    try:
        is_folder = path.is_dir()
    except (OSError, ValueError):  # a name longer than the file system takes
        is_folder = False
    if not is_folder:
        raise InvalidInput(f"documents: {str(documents)[:120]!r} is not a folder on the worker's machine.")
    return path
