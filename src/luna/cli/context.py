"""What every command shares: the chosen profile, settings built once, and the container.

Commands take their services from ``container.services``; the container knows the workers' jobs
(loaded when a command first uses the job service), as the API's and the worker's do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from luna.cli.server_client import ServerClient, ServerError, follow_job
from luna.container import Container, build_container
from luna.domain.errors import InvalidInput, LunaError, Unavailable
from luna.domain.storable import printable
from luna.logging_setup import configure_logging
from luna.settings import Settings, SettingsError, ensure_local_secrets, load_settings
from luna.workers.registry import load_jobs

if TYPE_CHECKING:
    from luna.container_services import Services

T = TypeVar("T")
#: Where refusals and failures go: stderr, so a command's stdout is only its result (``--json`` too).
errors = Console(stderr=True, emoji=False)


def fail(message: str, code: int = 1) -> typer.Exit:
    """One red line on stderr (``message`` may quote the user's input, brackets included); the exit to
    raise, with ``code`` (see :func:`exit_code`)."""
    errors.print(f"[red]{escape(printable(message))}[/red]")
    return typer.Exit(code)


def refusal_code(error: LunaError | ServerError) -> int:
    """:func:`exit_code` for a Luna error; for the server's refusal 2 when it refused the input (400,
    413, 415, 422), else 1."""
    if isinstance(error, ServerError):
        return 2 if error.status_code in (400, 413, 415, 422) else 1
    return exit_code(error)


def refused(error: LunaError | ServerError) -> typer.Exit:
    """The red line and the exit for a refusal or failure, as every command gives them."""
    message = error.message if isinstance(error, LunaError) else str(error)
    return fail(f"{message}{hint(error)}", refusal_code(error))


def hint(error: LunaError | ServerError) -> str:
    """The vector folder is locked by a server the CLI did not find: one that noted no address in the
    data dir (``server.json``: started with ``--reload``, or by an older Luna) is looked for on
    api.port only, and the command opened the stores itself."""
    if isinstance(error, Unavailable) and "vector folder" in error.message:
        return ANOTHER_PORT
    return ""


ANOTHER_PORT = (
    " A server may be running on another port than api.port: point the CLI at it with "
    "API_PORT=<port> (or LUNA_API__PORT / api.port in config), or stop it."
)


@dataclass
class CliState:
    profile: str | None
    _settings: Settings | None = field(default=None, init=False)

    def settings(self, *, new_install: bool = False) -> Settings:
        """The settings, with the keys of an embedded install. Only the commands that set up an install
        (``serve``, ``worker``, ``db upgrade``, ``models prepare``) pass ``new_install``: any other one,
        pointed at a data dir with no install (a mistyped ``LUNA_DATA_DIR``), made a new one there and
        then reported it empty, or sent a newly generated admin key to the server."""
        if self._settings is None:
            loaded = load_settings(self.profile)
            if not new_install:
                _require_install(loaded)
            self._settings = ensure_local_secrets(loaded)
        return self._settings

    def container(self, *, new_install: bool = False) -> Container:
        return build_container(self.settings(new_install=new_install), load_jobs)


def _require_install(settings: Settings) -> None:
    """An embedded install keeps the keys it generated in ``<data_dir>/secrets.json``: where they are
    neither there nor all set in the environment, the data dir holds no install."""
    keys = (settings.auth.admin_api_key, settings.auth.jwt_secret, settings.flywheel.pseudonym_key)
    if settings.profile == "server" or all(keys) or (settings.data_dir / "secrets.json").is_file():
        return
    raise SettingsError(
        f"Invalid settings:\n  data_dir (LUNA_DATA_DIR): no Luna install at {settings.data_dir} (it holds "
        "no secrets.json); check the path, or set one up there with `luna db upgrade` or `luna serve`"
    )


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState(profile=None)
        ctx.find_root().obj = obj
    return obj


def exit_code(error: LunaError) -> int:
    """Every command's exit code for a Luna error: 2 when the command was given something it cannot take
    (a bad value, a path outside the allowed folders), 1 when it ran and was refused or failed (an unknown
    ID, a busy store, a failed run). Settings errors exit 2 as well (``luna.cli.main``)."""
    return 2 if isinstance(error, InvalidInput) else 1


def with_services(ctx: typer.Context, work: Callable[[Services], T]) -> T:
    """Run ``work`` on a container's services for one command: a Luna error is one red line and its exit
    code (:func:`exit_code`).

    Logs go to stderr (an alert change is logged), so a command's ``--json`` output stays one document.
    """
    cli = state(ctx)
    configure_logging(cli.settings().logging)
    container = cli.container()
    try:
        return work(container.services)
    except LunaError as error:
        raise refused(error) from None
    finally:
        container.close()


def queued_and_followed(
    client: ServerClient, route: str, body: dict[str, Any], progress: Progress, label: str = "Job"
) -> dict[str, Any]:
    """Queue a job on the running server, follow it here, return its result: what a command prints
    without a server, it prints with one. A refusal exits 2 with the server's reason; a job that did
    not succeed exits 1 saying how it ended. Ctrl-C stops following, not the job."""
    try:
        job = client.post(route, body)
    except ServerError as error:
        raise refused(error) from None
    queued = f"{label} queued as job {job['job_id']}"
    progress.console.print(f"{queued}; Ctrl-C stops following (the job goes on).")
    job = follow_job(client, job, progress)
    if job["status"] != "succeeded":
        raise fail(f"Job {job['job_id']} {job['status']}: {job.get('error') or job.get('message') or ''}")
    result: dict[str, Any] = job["result"]
    return result


def percent_bar(console: Console, *, remaining: bool = False) -> Progress:
    """The progress bar of a command that follows long work: what is done, the share, the time taken
    (and, with ``remaining``, the time left)."""
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%")]
    columns += [TimeElapsedColumn(), *([TimeRemainingColumn()] if remaining else [])]
    return Progress(*columns, console=console)
