"""Knowledge-base jobs: ingesting folders (and the demo set), reindexing, repairing drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from luna.container import Container
from luna.domain.jobs import Job, JobStatus
from luna.services.knowledge.ingest_files import collect_files, ingest_files
from luna.workers.registry import register
from luna.workers.runner import JobContext

#: Files in ``docs/samples`` that describe the samples rather than being one.
SAMPLE_EXCLUDES = frozenset({"README.md", "make_samples.py"})


def samples_dir() -> Path:
    """``docs/samples`` of the source tree, else of the working directory."""
    source_tree = Path(__file__).resolve().parents[3] / "docs" / "samples"
    return source_tree if source_tree.is_dir() else Path.cwd() / "docs" / "samples"


@register("kb.ingest_paths")
def ingest_paths(
    container: Container,
    ctx: JobContext,
    paths: list[str],
    kind: str = "document",
    source: str = "api",
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Ingest files and folders (recursively) on the machine the worker runs on."""
    files = collect_files(paths)
    ctx.progress(0.0, f"{len(files)} Dateien gefunden")
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
    ctx.raise_if_cancelled()
    return summary.as_dict()


@register("kb.ingest_samples")
def ingest_samples(container: Container, ctx: JobContext) -> dict[str, Any]:
    """The German demo documents Luna ships (a PDF with a table, a DOCX, Markdown, HTML)."""
    files = collect_files([samples_dir()], exclude_names=SAMPLE_EXCLUDES)
    summary = ingest_files(
        container.services.knowledge.ingest,
        files,
        kind="document",
        source="api",
        tags=["demo"],
        progress=ctx.progress,
        added_by=f"job:{ctx.job_id}",
        added_via="demo",
    )
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


@register("kb.reindex")
def reindex(
    container: Container,
    ctx: JobContext,
    item_ids: list[str] | None = None,
    where: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rebuild vectors from SQL (in place for chosen items, via a shadow collection for all)."""
    return container.services.knowledge.maintenance.reindex(item_ids, where, ctx.progress)


@register("kb.verify")
def verify(container: Container, ctx: JobContext, fix: bool = False) -> dict[str, Any]:
    """Compare SQL, vectors and blobs; repair the drift when ``fix``."""
    ctx.progress(0.1, "Speicher werden verglichen")
    report = container.services.knowledge.maintenance.verify(fix=fix)
    return {"clean": report.clean, "fixed": report.fixed, **report.summary()}
