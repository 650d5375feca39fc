"""Knowledge-base jobs: ingesting folders (and the demo set), reindexing, repairing drift.

``kb.ingest_paths`` reads files on the worker's machine into the shared knowledge base, whose text every
customer can then find. Whoever may submit a job (the admin API, ``luna ingest … --job``, ``luna jobs
run``) must therefore not be able to name any file the worker can read (``/etc/passwd``, the secrets
file): the job reads only inside ``ingest.import_dirs`` (default ``<data_dir>/import``), judged on the
path with ``..`` and symlinks resolved (``services/operations/job_paths.py``, the check ``eval.run``
shares). It is checked at submission (a 400, nothing queued) and again when the job runs,
where a file that a symlink inside the folders leads out of is reported as failed instead of read.
``luna ingest PATH`` without ``--job`` is not bound by the folders: it reads the files in the operator's
own shell process and uploads them (or ingests them directly), so it can only read what that operator
can read anyway.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Final

from luna.container import Container
from luna.domain.errors import Conflict, InvalidInput
from luna.domain.german_numbers import de_count
from luna.domain.jobs import Job, JobStatus
from luna.services.knowledge.ingest_files import FileOutcome, collect_files, ingest_files
from luna.services.knowledge.ingest_rules import KINDS, SOURCES, choice, clean_tags
from luna.services.knowledge.refine import REFINE_JOB
from luna.services.operations.job_paths import ReadableFolders
from luna.workers.registry import register
from luna.workers.runner import JobContext

#: Most paths one job may name (``luna ingest --job`` sends one per file it found).
MAX_PATHS: Final = 10_000
OUTSIDE_MESSAGE: Final = "outside ingest.import_dirs (a symlink leads out of them); not read"


def samples_dir() -> Path:
    """``docs/samples`` of the source tree, else of the working directory."""
    source_tree = Path(__file__).resolve().parents[3] / "docs" / "samples"
    return source_tree if source_tree.is_dir() else Path.cwd() / "docs" / "samples"


def import_dirs(container: Container) -> list[Path]:
    """The folders ``kb.ingest_paths`` may read (``ingest.import_dirs``; ``<data_dir>/import``)."""
    settings = container.settings
    configured = settings.ingest.import_dirs
    return [settings.data_dir / "import"] if configured is None else list(configured)


def import_folders(container: Container) -> ReadableFolders:
    """The import folders as the shared check of job paths judges them (``eval.run`` reads them too)."""
    name = "the import folders (ingest.import_dirs)"
    return ReadableFolders.of(import_dirs(container), name, "import_dirs")


def importable_paths(paths: object, folders: ReadableFolders) -> list[Path]:
    """``paths`` resolved, each an existing file or folder inside ``folders``; else InvalidInput."""
    if not isinstance(paths, list) or not paths or len(paths) > MAX_PATHS:
        raise InvalidInput(f"paths: a list of 1 to {MAX_PATHS} file or folder paths.")
    chosen = []
    for raw in paths:
        path = folders.resolve("paths", raw)
        try:
            exists = path.is_file() or path.is_dir()
        except (OSError, ValueError):  # a name longer than the file system takes
            exists = False
        if not exists:
            raise InvalidInput(f"paths: {str(raw)[:120]!r} is neither a file nor a folder.")
        chosen.append(path)
    return chosen


def check_ingest_paths(
    container: Container,
    paths: object,
    kind: object = "document",
    source: object = "api",
    tags: object = None,
) -> None:
    """Refuse paths outside the import folders, and a kind, source or tags every file would fail on."""
    importable_paths(paths, import_folders(container))
    choice("kind", str(kind), KINDS)
    choice("source", str(source), SOURCES)
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise InvalidInput("tags: a list of texts.")
        clean_tags(tags)


@register("kb.ingest_paths", check=check_ingest_paths)
def ingest_paths(
    container: Container,
    ctx: JobContext,
    paths: list[str],
    kind: str = "document",
    source: str = "api",
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Ingest files and folders (recursively) inside ``ingest.import_dirs`` on the worker's machine.

    The paths are checked again here: the job may have been queued by a process that ran no check
    (``luna jobs run`` without a server), or before the folders were changed.
    """
    folders = import_folders(container)
    found = collect_files(importable_paths(paths, folders))
    files = [file for file in found.files if folders.holds(file)]
    outside = [file for file in found.files if not folders.holds(file)]
    skipped = []
    for outcome in found.skipped:  # a file of another format a symlink leads out to is outside, too
        target = Path(outcome.path).resolve()
        if folders.holds(target):
            skipped.append(outcome)
        else:
            outside.append(target)
    ctx.progress(0.0, f"{de_count(len(files), 'Datei', 'Dateien')} gefunden, {len(skipped)} übersprungen")
    summary = ingest_files(
        container.services.knowledge.ingest,
        files,
        kind=kind,
        source=source,
        tags=tags or [],
        progress=ctx.progress,
        should_stop=ctx.cancelled,
        added_by=f"job:{ctx.job_id}",
    )
    read = len(summary.files)
    summary.files.extend(FileOutcome(str(file), "failed", message=OUTSIDE_MESSAGE) for file in outside)
    summary.files.extend(skipped)
    if read < len(files):  # stopped by a cancel between files: what was read stays, and is said
        ctx.progress(
            read / len(files), f"Abgebrochen nach {read} von {len(files)} Dateien: {summary.outcome_line()}"
        )
        ctx.raise_if_cancelled()
    # A cancel that came once every file was read changes nothing: the job reports what it did.
    ctx.progress(1.0, summary.outcome_line())
    return summary.as_dict()


@register("kb.ingest_samples")
def ingest_samples(container: Container, ctx: JobContext) -> dict[str, Any]:
    """The German demo documents Luna ships (a PDF with a table, a DOCX, Markdown, HTML)."""
    found = collect_files([samples_dir()])
    summary = ingest_files(
        container.services.knowledge.ingest,
        found.files,
        kind="document",
        source="api",
        tags=["demo"],
        progress=ctx.progress,
        added_by=f"job:{ctx.job_id}",
        added_via="demo",
    )
    summary.files.extend(found.skipped)
    ctx.progress(1.0, summary.outcome_line())
    return summary.as_dict()


def queue_demo_ingest(container: Container) -> Job | None:
    """On the first start with an empty knowledge base, queue the demo set (``ingest.demo_samples``).

    Nothing happens when an item exists, the setting is off, or a demo ingest is already queued or
    running (two processes starting at once).
    """
    if not container.settings.ingest.demo_samples:
        return None
    with container.database.unit_of_work(read_only=True) as uow:
        if uow.items.count() > 0:
            return None
    jobs = container.services.jobs
    for status in (JobStatus.QUEUED, JobStatus.RUNNING):
        if jobs.list(status, "kb.ingest_samples", 1, 0)[1] > 0:
            return None
    return jobs.submit("kb.ingest_samples", {}, "luna-serve")


def check_reindex(container: Container, item_ids: object = None, where: object = None) -> None:
    """Refuse unknown filter keys (400) or items (404) before the job is queued, as ``/admin/reindex``."""
    container.services.knowledge.maintenance.refuse_empty_scope(item_ids, where, "where")
    ids = item_ids if isinstance(item_ids, list) else []
    for item_id in ids:
        try:
            uuid.UUID(str(item_id))
        except ValueError:
            raise InvalidInput("item_ids: every entry is an item ID (a UUID).") from None
    container.services.knowledge.maintenance.check_scope(ids, where if isinstance(where, dict) else {})


@register("kb.reindex", check=check_reindex)
def reindex(
    container: Container,
    ctx: JobContext,
    item_ids: list[str] | None = None,
    where: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rebuild vectors from SQL (in place for chosen items, via a shadow collection for all)."""
    return container.services.knowledge.maintenance.reindex(item_ids, where, ctx.progress)


@register("kb.reread", check=check_reindex)
def reread(
    container: Container,
    ctx: JobContext,
    item_ids: list[str] | None = None,
    where: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Read the stored files again with the current extractor; a changed reading becomes a new version."""
    return container.services.knowledge.rereader.reread(item_ids, where, ctx.progress).as_dict()


@register("kb.verify")
def verify(container: Container, ctx: JobContext, fix: bool = False) -> dict[str, Any]:
    """Compare SQL, vectors and blobs; repair the drift when ``fix``."""
    ctx.progress(0.1, "Speicher werden verglichen")
    report = container.services.knowledge.maintenance.verify(fix=fix)
    return {"clean": report.clean, "fixed": report.fixed, "lost_files": report.lost_files, **report.summary()}


def check_refine(container: Container) -> None:
    """Refuse the job where there is no refine leg to fill (400), or where its model cannot work
    (409, what health says: EmbeddingGemma not prepared) instead of a job that fails at once."""
    refine = container.services.knowledge.refine
    if refine is None:
        raise InvalidInput(
            "rag.refine is not enabled (or EmbeddingGemma already retrieves): nothing to refine."
        )
    if not refine.ready():
        raise Conflict(f"The refine leg cannot run now: {refine.health().detail}.")


@register(REFINE_JOB, check=check_refine)
def refine_vectors(container: Container, ctx: JobContext) -> dict[str, Any]:
    """Add the refine leg's vectors for every chunk that lacks one (queued by the worker on its own)."""
    refine = container.services.knowledge.refine
    if refine is None:
        raise InvalidInput("rag.refine is not enabled: nothing to refine.")

    def progress(done: int, total: int) -> None:
        ctx.progress(done / total if total else 1.0, f"{done} von {total} Abschnitten verfeinert")

    return refine.catch_up(progress, ctx.raise_if_cancelled)
