"""`luna jobs …`: list, inspect, start and cancel background jobs.

With a running `luna serve` the commands go through its API (it owns the embedded stores and
runs the in-process worker); otherwise they read and write the jobs table directly and say so.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any, Final

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from luna.cli.context import CliState, fail, refused, state
from luna.cli.server_client import QueueWatch, ServerClient, ServerError
from luna.container import Container
from luna.domain.errors import LunaError
from luna.domain.german_numbers import de_number
from luna.domain.jobs import Job, JobStatus
from luna.services.operations.jobs import JobService
from luna.workers.registry import PARAM_CHECKS, load_jobs

app = typer.Typer(help="Background jobs: list, show, run and cancel.", no_args_is_help=True)
console = Console(stderr=True, emoji=False)
FINISHED = {"succeeded", "failed", "cancelled"}
#: A job ID (a UUID) or the start of one, as `luna jobs list` prints it (8 characters).
JOB_ID_PREFIX = re.compile(r"^[0-9a-f][0-9a-f-]{7,35}$")
#: How many of the newest jobs a prefix is looked up among (the API's largest page).
PREFIX_SEARCH = 200
#: The longest value a finished job's result line shows; `luna jobs show` and `--json` give it whole.
RESULT_VALUE_CHARS: Final = 100


class _Jobs:
    """One interface over the server's API and the direct database path."""

    def __init__(self, cli: CliState) -> None:
        self.settings = cli.settings()
        self.client = ServerClient(self.settings)
        self.remote = self.client.is_running()
        self.service: JobService | None = None
        self._cli = cli
        self._container: Container | None = None
        if not self.remote:
            container = self._container = cli.container()
            container.database.upgrade()
            self.service = container.services.jobs
            console.print("[dim]no running `luna serve` found: using the database directly[/dim]")

    def list(self, status: str | None, name: str | None, limit: int) -> list[dict[str, Any]]:
        if self.service is None:
            data = self.client.get("admin/jobs", **_drop_none(status=status, name=name, limit=limit))
            return list(data["items"])
        jobs, _ = self.service.list(status, name, limit, 0)
        return [_job_dict(job) for job in jobs]

    def get(self, job_id: str) -> dict[str, Any]:
        if self.service is None:
            return dict(self.client.get(f"admin/jobs/{job_id}"))
        return _job_dict(self.service.get(job_id))

    def resolve(self, given: str) -> str:
        """The full ID of the job ``given`` (checked by :func:`_job_id`) names: `luna jobs list` prints
        only the first 8 characters to stay narrow, so a unique start of an ID among the newest jobs is
        accepted in its place."""
        wanted = given.lower()
        if len(wanted) == 36:
            return wanted
        found = [
            job["job_id"] for job in self.list(None, None, PREFIX_SEARCH) if job["job_id"].startswith(wanted)
        ]
        if len(found) == 1:
            return str(found[0])
        if not found:
            raise LunaError(f"No job among the newest {PREFIX_SEARCH} has an ID starting with {given!r}.")
        raise LunaError(
            f"{len(found)} jobs have an ID starting with {given!r}: give more of it ({', '.join(found)})."
        )

    def submit(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        if self.service is None:
            return dict(self.client.post("admin/jobs", {"name": name, "params": params}))
        # The checks POST /admin/jobs runs (a date in range, a second live simulation): a job they would
        # refuse must not wait in the table for `luna serve` to fail it.
        check = PARAM_CHECKS.get(name)
        container = self._container

        def checked(values: dict[str, Any]) -> None:
            if check is not None and container is not None:
                check(container, **values)

        return _job_dict(self.service.submit(name, params, created_by="cli", check=checked))

    def cancel(self, job_id: str) -> dict[str, Any]:
        if self.service is None:
            return dict(self.client.post(f"admin/jobs/{job_id}/cancel", {}))
        return _job_dict(self.service.cancel(job_id))


def _job_id(given: str) -> str:
    """Refuse what cannot be (the start of) a job ID before any store is opened."""
    if not JOB_ID_PREFIX.match(given.lower()):
        raise typer.BadParameter("give the job's ID, or at least its first 8 characters (`luna jobs list`).")
    return given


def _drop_none(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _job_dict(job: Job) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "job_id": job.job_id,
        "name": job.name,
        "status": str(job.status),
        "progress": job.progress,
        "message": job.message,
        "error": job.error,
        "result": job.result,
        "params": job.params,
        "attempts": job.attempts,
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
    }


def _open(ctx: typer.Context) -> _Jobs:
    return _Jobs(state(ctx))


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    status: JobStatus | None = typer.Option(None, help="Only jobs in this state."),
    name: str = typer.Option(None, help="Only jobs of this kind, e.g. maintenance.refresh_events_daily."),
    limit: int = typer.Option(20, min=1, max=200, help="How many of the newest jobs to show."),
    as_json: bool = typer.Option(False, "--json", help="Print the jobs as a JSON list (whole IDs)."),
) -> None:
    """Show the newest jobs with their state and progress."""
    try:
        jobs = _open(ctx).list(status.value if status else None, name, limit)
    except (LunaError, ServerError) as error:
        raise refused(error) from None
    if as_json:  # for scripts: an empty list is an answer, too
        typer.echo(json.dumps(jobs, indent=2, ensure_ascii=False))
        return
    if not jobs:
        filters = ", ".join(f for f in (status and f"status {status.value}", name and f"name {name}") if f)
        typer.echo(f"No jobs with {filters}." if filters else "No jobs yet.")
        return
    table = Table()
    # ID start and name are what `jobs show` and `jobs run` take, the status what one looks for: they
    # are never cut; message and time wrap in a narrow terminal.
    for header in ("job", "name", "status", "progress"):
        table.add_column(header, no_wrap=True)
    table.add_column("message")
    table.add_column("created (UTC)")
    for job in jobs:
        table.add_row(
            job["job_id"][:8],
            job["name"],
            job["status"],
            f"{job['progress'] * 100:.0f} %",
            escape((job.get("error") or job.get("message") or "")[:60]),
            _utc_minute(job.get("created_at")),
        )
    Console(emoji=False).print(table)


def _utc_minute(iso: str | None) -> str:
    """A job's time (ISO with its offset, from the API or the table) in UTC to the minute, as the column
    header says: a time without its zone is an hour or two off for a reader in Germany."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M") if iso else ""


@app.command("show")
def show(
    ctx: typer.Context,
    job_id: str = typer.Argument(
        ..., callback=_job_id, help="The job's ID, or its first 8 characters as `luna jobs list` prints them."
    ),
) -> None:
    """Print one job in full (JSON)."""
    try:
        jobs = _open(ctx)
        job = jobs.get(jobs.resolve(job_id))
    except (LunaError, ServerError) as error:
        raise refused(error) from None
    typer.echo(json.dumps(job, indent=2, ensure_ascii=False))


@app.command("run")
def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The job to start; `luna jobs names` lists them."),
    param: list[str] = typer.Option(
        [], "--param", "-P", help="A parameter as key=value (value parsed as JSON when it can be)."
    ),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Follow the job's progress until it ends."),
    as_json: bool = typer.Option(False, "--json", help="Print the finished job's result as JSON."),
) -> None:
    """Start a job and (by default) follow it with a progress bar."""
    params: dict[str, Any] = {}
    for item in param:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise fail(f"--param must look like key=value, got {item!r}", 2)
        params[key] = _param_value(key, raw)
    jobs = _open(ctx)
    try:
        job = jobs.submit(name, params)
    except (LunaError, ServerError) as error:
        raise refused(error) from None
    console.print(f"job {job['job_id']} queued ({name})")
    waits_for_server = not jobs.remote and jobs.settings.jobs.kind == "inprocess"
    if waits_for_server:
        console.print("it runs when `luna serve` starts (the in-process worker lives there)")
    if not wait or waits_for_server:
        if as_json:  # a script asked for JSON: it gets the queued job to follow, never an empty stdout
            typer.echo(json.dumps({"job_id": job["job_id"], "name": name, "status": job["status"]}))
        return
    _follow(jobs, job["job_id"], as_json)


def _param_value(key: str, raw: str) -> Any:
    """``raw`` read as JSON, else as text; NaN and infinities (``1e400`` too) are refused here, since no
    JSON request can carry them (they were reported as the server answering something other than JSON)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        raise fail(f"--param {key}: {raw} is no finite number, and JSON holds no other", 2) from None
    return value


def _follow(jobs: _Jobs, job_id: str, as_json: bool) -> None:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f} %"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("queued", total=1.0)
        watch = QueueWatch(console)
        while True:
            job = jobs.get(job_id)
            watch.saw(job["status"])
            bar.update(
                task, completed=job["progress"], description=(job.get("message") or job["status"])[:50]
            )
            if job["status"] in FINISHED:
                break
            time.sleep(0.5)
    if job["status"] != "succeeded":
        raise fail(f"job {job['status']}: {job.get('error') or ''}")
    console.print("[green]succeeded[/green]")
    if as_json:
        typer.echo(json.dumps(job.get("result"), indent=2, ensure_ascii=False))
        return
    for line in _result_lines(job.get("result")):
        typer.echo(line)


def _result_lines(result: object) -> list[str]:
    """A finished job's result for a person: one ``key: value`` line per field, figures the German way
    (every job returns its own fields, so they are named as the job names them)."""
    if isinstance(result, dict):
        return [f"  {key}: {_shortened(_plain(value))}" for key, value in result.items()]
    return [] if result is None else [f"  {_shortened(_plain(result))}"]


def _plain(value: object) -> str:
    """One value on one line: nested fields inline, ``ja``/``nein``, figures with a decimal comma and at
    most three decimals (a ratio's float noise is no information)."""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int | float):
        text = de_number(value, 3 if isinstance(value, float) else 0)
        return text.rstrip("0").rstrip(",") if "," in text else text
    if isinstance(value, dict):
        return ", ".join(f"{key} {_plain(item)}" for key, item in value.items()) or "–"
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value) or "–"
    return "–" if value is None else str(value)


def _shortened(text: str) -> str:
    return text if len(text) <= RESULT_VALUE_CHARS else text[: RESULT_VALUE_CHARS - 1] + "…"


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    job_id: str = typer.Argument(
        ..., callback=_job_id, help="The job's ID, or its first 8 characters (`luna jobs list`)."
    ),
) -> None:
    """Cancel a queued job, or ask a running one to stop at its next checkpoint."""
    try:
        jobs = _open(ctx)
        job = jobs.cancel(jobs.resolve(job_id))
    except (LunaError, ServerError) as error:
        raise refused(error) from None
    if job["status"] == "running":  # it stops at its next checkpoint, not at once
        console.print(f"job {job['job_id']}: running; asked to stop (`luna jobs show {job['job_id'][:8]}`)")
        return
    console.print(f"job {job['job_id']}: {job['status']}")


@app.command("names")
def names() -> None:
    """List the jobs that can be started."""
    for job_name in sorted(load_jobs()):
        typer.echo(job_name)
