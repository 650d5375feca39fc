"""`luna worker`: executes background jobs from the shared queue (scale-out profile)."""

from __future__ import annotations

import typer

from luna.cli.context import state
from luna.container import Container
from luna.logging_setup import configure_logging
from luna.workers.runner import run_foreground_worker


def worker(
    ctx: typer.Context,
    check: bool = typer.Option(
        False, "--check", help="Only check that the queue and the database are reachable."
    ),
) -> None:
    """Run a job worker in the foreground: SIGTERM lets the running job finish, Ctrl-C stops at once.

    A job interrupted by Ctrl-C is re-queued once its heartbeat goes stale.
    Needs `jobs.kind: redis` (LUNA_JOBS__KIND=redis): with the embedded in-process queue the jobs
    run inside `luna serve`, which owns the data dir. Start as many workers on as many machines
    as you like; they share the Redis queue.
    """
    settings = state(ctx).settings(new_install=True)
    if settings.jobs.kind != "redis":
        typer.secho(
            "jobs.kind is 'inprocess': jobs run inside `luna serve`. "
            "Set LUNA_JOBS__KIND=redis (and LUNA_JOBS__REDIS_URL) to run separate workers.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    if settings.vectors.kind == "edge":
        # Every knowledge job failed with "the vector folder is in use by another Luna process".
        typer.secho(
            "vectors.kind is 'edge': the embedded vector folder opens in one process only, the server's. "
            "Separate workers need a Qdrant server: LUNA_VECTORS__KIND=qdrant and LUNA_VECTORS__URL, "
            "for the server and every worker.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    container = state(ctx).container()
    try:
        if check:
            reports = [container.job_queue.health(), container.database.health()]
            for report in reports:
                typer.echo(
                    f"{report.name}: {report.status} ({report.backend}) {report.detail or ''}".rstrip()
                )
            raise typer.Exit(0 if all(report.is_up for report in reports) else 1)
        _require_reachable(container)
        configure_logging(settings.logging)
        run_foreground_worker(container)
    finally:
        container.close()


def _require_reachable(container: Container) -> None:
    """A worker started while Redis or the database cannot be reached logged a traceback a second and
    looked alive; it now says which one and exits 1. (One lost later is retried: the loop logs it.)"""
    down = [r for r in (container.job_queue.health(), container.database.health()) if not r.is_up]
    for report in down:
        typer.secho(
            f"{report.name} ({report.backend}) cannot be reached: {report.detail or report.status}",
            fg=typer.colors.RED,
            err=True,
        )
    if down:
        raise typer.Exit(1)
