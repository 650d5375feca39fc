"""`luna ingest` and `luna ask`: the knowledge base from the shell (its upkeep: ``luna.cli.kb_admin``).

Each command asks a running `luna serve` when there is one (it owns the embedded vector folder) and
otherwise works on the stores directly from this process; the output says which.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from luna.cli.context import errors, fail, refusal_code, refused, state
from luna.cli.server_client import ServerClient, ServerError, follow_job
from luna.container import Container
from luna.domain.errors import LunaError
from luna.domain.storable import printable, shows_something
from luna.services.knowledge.ingest_files import (
    INGESTIBLE_FORMATS,
    FileOutcome,
    FoundFiles,
    IngestSummary,
    Outcome,
    PrivateFolder,
    collect_files,
    ingest_files,
    shown_path,
)
from luna.services.knowledge.ingest_rules import KINDS
from luna.settings import Settings

console = Console(emoji=False)


def _data_dir(settings: Settings) -> PrivateFolder:
    """The data dir, never read in, but for the import folders in it."""
    configured = settings.ingest.import_dirs
    imports = [settings.data_dir / "import"] if configured is None else list(configured)
    return PrivateFolder(settings.data_dir, tuple(imports))


def _is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def progress_bar() -> Progress:
    """The bar ingest and the knowledge base's upkeep show while they run here."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _summary_table(summary: IngestSummary, source: str) -> None:
    table = Table(title=f"Ingest — {source}")
    # The file is what a reader looks for; item IDs and reasons fold onto more lines instead.
    table.add_column("file", no_wrap=True)
    table.add_column("result")
    table.add_column("chunks")
    table.add_column("item / reason", overflow="fold")
    colours = {"ingested": "green", "duplicate": "yellow", "failed": "red"}
    # Skipped files were listed before the ingest began; the table holds the files that were read.
    read = [outcome for outcome in summary.files if outcome.outcome != "skipped"]
    shown = _shown_paths([outcome.path for outcome in read])
    for outcome in read:
        colour = colours[outcome.outcome]
        detail = outcome.item_id if outcome.outcome != "failed" else outcome.message
        table.add_row(
            escape(printable(shown.get(outcome.path, outcome.path))),
            f"[{colour}]{outcome.outcome}[/{colour}]",
            str(outcome.chunks),
            escape(printable(detail or "")),
        )
    console.print(table)
    console.print(
        f"{summary.count('ingested')} ingested, {summary.count('duplicate')} already there, "
        f"{summary.count('failed')} failed, {summary.count('skipped')} skipped; "
        f"{summary.chunks} chunks indexed."
    )


#: Most skipped files named one by one; a folder of photos beside its PDFs would bury the progress.
MAX_SKIPPED_SHOWN = 20


def _report_skipped(found: FoundFiles) -> None:
    """Name the files of the folders that are not read, and why, before the ingest starts (below the
    folder they share with the files that are read, as the table will show those)."""
    skipped = found.skipped
    shown = _shown_paths([*map(str, found.files), *(outcome.path for outcome in skipped)])
    for outcome in skipped[:MAX_SKIPPED_SHOWN]:
        path = shown.get(outcome.path, outcome.path)
        console.print(
            f"Übersprungen: {path} – {outcome.message}", style="yellow", markup=False, soft_wrap=True
        )
    if len(skipped) > MAX_SKIPPED_SHOWN:
        console.print(f"… und {len(skipped) - MAX_SKIPPED_SHOWN} weitere übersprungen", style="yellow")


def _shown_paths(paths: list[str]) -> dict[str, str]:
    """Each file's path below the folder all of them share: in 80 columns the full paths were cut to
    the same ``/work/shared/corpus/geset…`` in every row. URLs are shown as they are."""
    files = [path for path in paths if not _is_url(path)]
    if not files:
        return {}
    try:
        base = os.path.commonpath([str(Path(path).parent) for path in files])
    except ValueError:  # absolute and relative paths mixed: no shared folder
        return {}
    return {path: os.path.relpath(path, base) for path in files}


KIND_CHOICES = ", ".join(KINDS)
NOT_UTF8_NAME = (
    "Dateiname ist kein UTF-8 und kann nicht an den Server gehen: ohne --job wird die Datei hochgeladen"
)


def _known_kind(kind: str | None) -> str | None:
    """A usage error (exit 2) before anything is opened: an unknown kind is refused by ingest only
    file by file, and in `ask` it would filter everything out and read as "nothing on this topic"."""
    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"{kind!r} is not one of {KIND_CHOICES}.")
    return kind


def ingest(
    ctx: typer.Context,
    targets: list[str] = typer.Argument(..., help="Files, folders (recursive) or http(s) URLs"),
    kind: str = typer.Option("document", "--kind", callback=_known_kind, help=f"One of {KIND_CHOICES}"),
    tag: list[str] = typer.Option([], "--tag", "-t", help="Tag for every document (repeatable)"),
    source: str = typer.Option("api", "--source", help="upload, crawler or api"),
    as_job: bool = typer.Option(
        False,
        "--job",
        help=(
            "With a running server: one background job reading the files on the server's disk "
            "(only inside ingest.import_dirs, default <data_dir>/import)"
        ),
    ),
) -> None:
    """Ingest documents (PDF, DOCX, HTML, Markdown, text, CSV/TSV, JSON, law XML) with a progress bar
    and a summary table."""
    cli = state(ctx)
    client = ServerClient(cli.settings())
    urls = [t for t in targets if _is_url(t)]
    try:
        found = collect_files([t for t in targets if not _is_url(t)], _data_dir(cli.settings()))
    except LunaError as error:
        raise fail(error.message, 2) from None
    _report_skipped(found)
    files = found.files
    if not files and not urls:
        console.print(f"[yellow]No files found to read ({INGESTIBLE_FORMATS}).[/yellow]")
        raise typer.Exit(1)
    if client.is_running() and as_job and files:
        summary = _ingest_as_server_job(client, files, kind, tag, source)
        where = f"as a job of the running server at {client.base_url}"
    elif client.is_running():
        summary = _ingest_via_server(client, files, urls, kind, tag, source)
        where = f"through the running server at {client.base_url}"
    else:
        container = cli.container()
        try:
            container.database.upgrade()
            summary = _ingest_directly(container, files, urls, kind, tag, source)
        finally:
            container.close()
        where = "directly (no running server)"
    summary.files.extend(found.skipped)
    _summary_table(summary, where)
    if tag and summary.count("duplicate"):
        console.print(
            f"[yellow]{summary.count('duplicate')} file(s) already there keep their tags: --tag is not "
            "added to them (change a document's tags in the admin dashboard, Korpus).[/yellow]"
        )
    raise typer.Exit(1 if summary.count("failed") else 0)


def _ingest_via_server(
    client: ServerClient, files: list[Path], urls: list[str], kind: str, tags: list[str], source: str
) -> IngestSummary:
    summary = IngestSummary()
    with progress_bar() as progress:
        task = progress.add_task("Dokumente", total=len(files) + len(urls))
        for raw in [*map(str, files), *urls]:
            target = shown_path(raw)
            progress.update(task, description=Path(target).name[:40])
            try:
                if _is_url(target):
                    data = client.post("ingest/url", {"url": target, "kind": kind, "tags": tags})
                else:
                    form = {"kind": kind, "source": source, "tags": tags}
                    data = client.upload("ingest/doc", Path(raw), form)
                summary.files.append(FileOutcome(target, "ingested", data["item_id"], data["chunks"]))
            except ServerError as error:
                refused: Outcome = "duplicate" if error.status_code == 409 else "failed"
                item_id = error.details.get("item_id")  # the existing item, as the direct path shows it
                summary.files.append(FileOutcome(target, refused, item_id, message=str(error)))
            except OSError as error:  # an unreadable file stopped the whole folder with a traceback
                summary.files.append(FileOutcome(target, "failed", message=f"{error.strerror or error}"))
            progress.advance(task)
    return summary


def _ingest_as_server_job(
    client: ServerClient, files: list[Path], kind: str, tags: list[str], source: str
) -> IngestSummary:
    # A name that is not UTF-8 cannot travel in JSON (it failed as "not JSON"): read here instead.
    named = [f for f in files if shown_path(f) == str(f)]
    unnamed = [FileOutcome(shown_path(f), "failed", message=NOT_UTF8_NAME) for f in files if f not in named]
    if not named:
        return IngestSummary(unnamed)
    params = {"paths": [str(f) for f in named], "kind": kind, "source": source, "tags": tags}
    try:
        job = client.post("admin/jobs", {"name": "kb.ingest_paths", "params": params})
    except ServerError as error:
        # Typically a folder outside ingest.import_dirs: the server's job reads only there.
        if refusal_code(error) == 2:
            errors.print("Without --job the files are read here and uploaded instead.", soft_wrap=True)
        raise refused(error) from None
    console.print(f"Job {job['job_id']} queued; Ctrl-C stops following (the job goes on).")
    job = follow_job(client, job, progress_bar())
    if job["status"] != "succeeded":
        raise fail(f"Job {job['status']}: {job.get('error') or ''}")
    result = job["result"]
    return IngestSummary(
        [
            FileOutcome(f["path"], f["outcome"], f["item_id"], f["chunks"], f["message"])
            for f in result["files"]
        ]
        + unnamed
    )


def _ingest_directly(
    container: Container, files: list[Path], urls: list[str], kind: str, tags: list[str], source: str
) -> IngestSummary:
    kb = container.services.knowledge
    with progress_bar() as progress:
        task = progress.add_task("Dokumente", total=1000)

        def report(fraction: float, message: str) -> None:
            progress.update(task, completed=int(fraction * 1000), description=message[:60])

        summary = ingest_files(
            kb.ingest,
            files,
            kind=kind,
            source=source,
            tags=tags,
            progress=report,
            added_by="admin",
            added_via="cli",
        )
        for url in urls:
            try:
                result = kb.ingest.ingest_url(
                    url, kind=kind, tags=tags, added_by="admin", added_via="cli", progress=report
                )
                summary.files.append(FileOutcome(url, "ingested", result.item_id, result.chunks))
            except LunaError as error:
                failed: Outcome = "duplicate" if error.code == "conflict" else "failed"
                summary.files.append(FileOutcome(url, failed, message=error.message))
        progress.update(task, completed=1000, description="fertig")
    return summary


def ask(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="Your question, in German"),
    top_k: int | None = typer.Option(
        None, "--top-k", min=1, max=20, help="Chunks given to the model as context (default: rag.top_k)"
    ),
    kind: str | None = typer.Option(
        None, "--kind", callback=_known_kind, help=f"Only documents of this kind: {KIND_CHOICES}"
    ),
    tag: str | None = typer.Option(None, "--tag", help="Only documents with this tag"),
) -> None:
    """Ask Luna: the answer streams as it is written, then its sources are listed. Exits 1 when
    the answer cites no document (nothing found to answer from), so a script can tell."""
    if not shows_something(question):  # said as in-process, not as the API's "at least 1 character"
        raise fail("The question is empty.", 2)
    cli = state(ctx)
    client = ServerClient(cli.settings())
    filters: dict[str, Any] = {k: v for k, v in (("kind", kind), ("tags", tag)) if v}
    citations: list[dict[str, Any]] = []
    try:
        if client.is_running():
            body = {"question": question, "top_k": top_k, "filters": filters or None, "stream": True}
            for event, data in client.stream_events("rag/ask", body):
                if event == "token":
                    console.print(data["text"], end="", soft_wrap=True, highlight=False, markup=False)
                elif event == "citations":
                    citations = data
                elif event == "error":
                    console.print()  # the answer's line ends before the error's
                    raise fail(str(data.get("message")))
        else:
            container = cli.container()
            try:
                for answer_event in container.services.knowledge.answers.stream(
                    question, top_k, filters or None
                ):
                    if answer_event.kind == "token":
                        console.print(
                            answer_event.data, end="", soft_wrap=True, highlight=False, markup=False
                        )
                    elif answer_event.kind == "citations":
                        citations = [
                            {"chunk_id": c.chunk_id, "payload": c.payload} for c in answer_event.data
                        ]
            finally:
                container.close()
    except (ServerError, LunaError) as error:
        raise refused(error) from None
    console.print()
    if filters and not citations:
        only = ", ".join(f"{name} = {value!r}" for name, value in filters.items())
        console.print(
            f"Only documents with {only} were searched; ask without it to search all.",
            style="dim",
            markup=False,
        )
    if citations:
        table = Table("chunk", "document", "section", "page", title="Quellen")
        for citation in citations:
            payload = citation["payload"]
            # A document's title is its own text, never Rich markup: "[/]" in one crashed every answer
            # that cited it.
            cells = (
                citation["chunk_id"][:8],
                payload.get("title"),
                payload.get("section"),
                payload.get("page"),
            )
            table.add_row(*(escape(printable(str(cell or ""))) for cell in cells))
        console.print(table)
    else:
        raise typer.Exit(1)
