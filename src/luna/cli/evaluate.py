"""`luna eval …`: measure retrieval and answers on golden questions, keep and compare the runs.

`run` asks every question of the chosen split through Luna's own retrieval and answerer and keeps the
run in the database: in this process, or, beside a running `luna serve` (which owns the embedded
vector folder), as that server's job ``eval.run``, followed here. Report figures of the ``test`` split;
tune on ``tune``. `compare` says which questions a change made better and which worse.

Run in this process, `run` reads the sets and ``--documents`` wherever the operator points it: this is
the operator's own shell, not a job another caller queued, so it reads only what that operator can read
anyway. The ``eval.run`` job reads only inside its folders (``workers/evaluation.py``) and says which.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from luna.cli.context import fail, refused, state
from luna.cli.flywheel import run_on_server
from luna.cli.server_client import ServerClient
from luna.domain.errors import LunaError
from luna.domain.evaluation import SPLITS, RunFigures
from luna.domain.evaluation_runs import EvalRun, compare_runs
from luna.ports.evaluation import EvalRunRepository
from luna.services.evaluation.evaluation import RUN_ID, RUN_LIST_LIMIT, read_golden_sets

app = typer.Typer(
    help="Evaluation: golden questions, held-out figures, runs to compare.", no_args_is_help=True
)
console = Console(emoji=False)
T = TypeVar("T")

#: The rates ``luna eval list`` shows, in its columns' order.
_LISTED_RATES = ("hit_at_5", "answer_holds_needle", "refusal_rate", "false_refusal_rate")
#: (label, attribute, format) of the figures a run reports, in reading order.
FIGURE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("answerable questions", "answerable", "{:d}"),
    ("unanswerable questions", "unanswerable", "{:d}"),
    ("hit@1", "hit_at_1", "{:.3f}"),
    ("hit@5", "hit_at_5", "{:.3f}"),
    ("MRR@10", "mrr_at_10", "{:.3f}"),
    ("answer states it (1st paragraph)", "answer_holds_needle", "{:.3f}"),
    ("first citation answers", "first_citation_hit", "{:.3f}"),
    ("refused when unanswerable", "refusal_rate", "{:.3f}"),
    ("refused although answerable", "false_refusal_rate", "{:.3f}"),
    ("answers with number warnings", "false_number_warnings", "{:d}"),
    ("answer ms p50", "answer_ms_p50", "{:.0f}"),
    ("answer ms p95", "answer_ms_p95", "{:.0f}"),
    ("search ms p50", "search_ms_p50", "{:.0f}"),
)


@app.command("run")
def run(
    ctx: typer.Context,
    sets: list[Path] = typer.Argument(..., help="Golden-set YAML files (see docs/evaluation.md)"),
    documents: Path = typer.Option(None, "--documents", help="Folder with the files the sets name"),
    split: str = typer.Option("test", "--split", help="test (report), tune (adjust) or all"),
    name: str = typer.Option("run", "--name", help="A short name kept with the run"),
) -> None:
    """Ask every question of the split; print the figures and keep the run.

    Beside a running `luna serve` the run is its job eval.run (the sets and --documents must then lie in
    the folders it reads: bench/ of a checkout, <data_dir>/eval, ingest.import_dirs)."""
    if split not in SPLITS:
        raise fail(f"--split must be one of {', '.join(SPLITS)}, not {split!r}.", 2)
    if documents is not None and not documents.is_dir():
        raise fail(f"--documents {documents} is not a folder.", 2)
    server = ServerClient(state(ctx).settings())
    if server.is_running():
        params: dict[str, object] = {
            "sets": [str(path.resolve()) for path in sets],
            "split": split,
            "name": name,
            "documents": None if documents is None else str(documents.resolve()),
        }
        run_id = str(run_on_server(server, "eval.run", params)["run_id"])
        _figures_table(_stored(ctx, lambda stored: [_run(stored, run_id)]))
        console.print(f"Kept as [bold]{run_id}[/bold] (`luna eval show {run_id}`).")
        return
    container = state(ctx).container()
    try:
        questions = read_golden_sets(sets)
        container.database.upgrade()
        with Progress(
            TextColumn("[bold]Evaluating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("eval", total=None)
            result = container.services.evaluation.run(
                questions,
                split=split,  # checked against SPLITS above
                name=name,
                documents_dir=documents,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except LunaError as error:
        raise refused(error) from None
    finally:
        container.close()
    _figures_table([result])
    console.print(f"Kept as [bold]{result.run_id}[/bold] (`luna eval show {result.run_id}`).")


@app.command("list")
def list_runs(ctx: typer.Context) -> None:
    """The kept runs, newest first."""
    runs = _stored(ctx, lambda stored: list(stored.list(limit=RUN_LIST_LIMIT)))
    if not runs:
        console.print("No evaluation runs yet: `luna eval run SET.yaml` makes one.")
        return
    # The run ID is what show and compare take: never cut, the figures wrap instead.
    table = Table(
        Column("run", no_wrap=True), "split", "questions", "hit@5", "states it", "refusal", "false refusal"
    )
    for item in runs:
        f = item.figures
        table.add_row(
            item.run_id,
            item.split,
            str(f.answerable + f.unanswerable),
            *(_format(f, name, "{:.3f}") for name in _LISTED_RATES),
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    run_ids: list[str] = typer.Argument(..., help="One run, or several to compare side by side"),
    questions: bool = typer.Option(False, "--questions", help="Also list each question's outcome"),
) -> None:
    """The figures of one run, or of several side by side (`luna eval show A B`)."""
    runs = _stored(ctx, lambda stored: [_run(stored, run_id) for run_id in run_ids])
    _figures_table(runs)
    if questions:
        for item in runs:
            _outcomes_table(item)


@app.command("compare")
def compare(
    ctx: typer.Context,
    before: str = typer.Argument(..., help="The earlier run"),
    after: str = typer.Argument(..., help="The run to judge against it"),
) -> None:
    """Which questions got better and which worse from BEFORE to AFTER."""
    comparison = _stored(ctx, lambda stored: compare_runs(_run(stored, before), _run(stored, after)))
    for title, changes, colour in (
        ("better", comparison.better, "green"),
        ("worse", comparison.worse, "red"),
    ):
        table = Table("question", "what changed", title=f"{len(changes)} question(s) {title}")
        for change in changes:
            table.add_row(change.question_id, f"[{colour}]{escape('; '.join(change.changes))}[/{colour}]")
        console.print(table)
    if comparison.only_before or comparison.only_after:
        console.print(
            f"Not compared (asked in one run only): {len(comparison.only_before)} before, "
            f"{len(comparison.only_after)} after."
        )


def _stored(ctx: typer.Context, read: Callable[[EvalRunRepository], T]) -> T:
    """Read kept runs straight from SQL: ``services.evaluation`` builds the retrieval a run needs and so
    opens the vector folder, which a running `luna serve` holds; list, show and compare need only rows.
    (Run files of versions before SQL are imported by `luna eval run` and the admin API.)"""
    container = state(ctx).container()
    try:
        with container.database.unit_of_work(read_only=True) as uow:
            return read(uow.eval_runs)
    finally:
        container.close()


def _run(stored: EvalRunRepository, run_id: str) -> EvalRun:
    run = stored.get(run_id) if RUN_ID.match(run_id) else None
    if run is None:
        raise fail(f"There is no evaluation run {run_id!r}; `luna eval list` shows them.")
    return run


def _figures_table(runs: list[EvalRun]) -> None:
    table = Table("figure", *(f"{r.run_id}\n({r.split})" for r in runs), title="Evaluation")
    for label, attribute, form in FIGURE_ROWS:
        table.add_row(label, *(_format(r.figures, attribute, form) for r in runs))
    table.add_row("prompt version", *(_prompt_version(r) for r in runs))
    console.print(table)


def _prompt_version(run: EvalRun) -> str:
    """The prompt version a run answered with (0: the packaged file; "-": kept before versions)."""
    version = run.setup.get("prompt_version")
    if version is None:
        return "-"
    return ", ".join(map(str, version)) if isinstance(version, list) else str(version)


#: Rates over one kind of question, by the count they are taken over: without such questions a rate is
#: no 0.000 but not measured.
_OVER_ANSWERABLE = ("hit_at_1", "hit_at_5", "mrr_at_10", "answer_holds_needle", "first_citation_hit")
_RATE_OF = {
    **dict.fromkeys((*_OVER_ANSWERABLE, "false_refusal_rate"), "answerable"),
    "refusal_rate": "unanswerable",
}


def _format(figures: RunFigures, attribute: str, form: str) -> str:
    over = _RATE_OF.get(attribute)
    if over is not None and not getattr(figures, over):
        return "n/a"
    return form.format(getattr(figures, attribute))


def _outcomes_table(item: EvalRun) -> None:
    table = Table("question", "rank", "refused", "states it", "1st citation", "ms", title=item.run_id)
    for o in item.outcomes:
        table.add_row(
            escape(o.question_id) + ("" if o.answerable else " (unanswerable)"),
            "-" if o.rank is None else str(o.rank),
            "yes" if o.refused else "",
            "yes" if o.answer_holds_needle else "",
            "yes" if o.first_citation_hit else "",
            f"{o.answer_ms:.0f}",
        )
    console.print(table)
