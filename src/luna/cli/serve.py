"""`luna serve`: the API (and, in the embedded profile, the job worker) in one process."""

from __future__ import annotations

import errno
import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import typer
import uvicorn
from fastapi import FastAPI

from luna.api.app import create_app
from luna.cli.context import CliState, state
from luna.cli.server_record import remove_record, write_record
from luna.container import Container
from luna.domain.errors import InvalidInput, Unavailable
from luna.logging_setup import configure_logging
from luna.web.mount import mount_dashboards
from luna.workers.knowledge import queue_demo_ingest
from luna.workers.registry import PARAM_CHECKS
from luna.workers.runner import start_in_process, stop_in_process
from luna.workers.simulation import queue_demo_backfill, start_demo_live

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def build_app() -> FastAPI:
    """`--reload` factory: uvicorn re-imports it in a child process (settings from the environment)."""
    container = CliState(profile=None).container(new_install=True)
    configure_logging(container.settings.logging)
    container.database.upgrade()
    app = create_app(container, param_checks=PARAM_CHECKS)
    mount_dashboards(app, container, param_checks=PARAM_CHECKS)
    return app


def _check_thresholds(container: Container) -> None:
    """A mistake in the KPI thresholds stops the start with its line numbers, instead of never alerting."""
    try:
        container.services.alerts.thresholds()
    except InvalidInput as error:
        typer.secho(error.message, fg=typer.colors.RED, err=True)
        container.close()
        raise typer.Exit(2) from None


def _claim_data_dir(container: Container, host: str, port: int) -> None:
    """Take the vector folder lock and test the port before any job worker starts: a second serve on
    the same data dir or port would otherwise run workers whose jobs all fail, and say so only in a log."""
    problem = None
    if container.settings.vectors.kind == "edge":
        try:
            container.vectors  # noqa: B018 - opening the embedded index takes the folder lock
        except Unavailable as error:
            problem = error.message
    if problem is None:
        problem = _port_taken(host, port)
    if problem is not None:
        typer.secho(f"Refusing to start: {problem}", fg=typer.colors.RED, err=True)
        container.close()
        raise typer.Exit(1)


def _port_taken(host: str, port: int) -> str | None:
    """Bind and release the port as uvicorn will (SO_REUSEADDR), so only a listening process blocks it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:  # a host name that resolves to nothing here, say
                return f"cannot listen on {host}:{port} ({error.strerror}); check --host / api.host"
            return f"cannot listen on {host}:{port} ({error.strerror}); is another `luna serve` running?"
    return None


def serve(
    ctx: typer.Context,
    host: str = typer.Option(None, help="Interface to bind (default: api.host, 127.0.0.1)."),
    port: int = typer.Option(None, min=1, max=65535, help="Port (default: api.port, from API_PORT; 8000)."),
    worker: bool = typer.Option(
        True, "--worker/--no-worker", help="Run the in-process job worker (embedded profile)."
    ),
    reload: bool = typer.Option(False, help="Restart on code changes (development; no in-process worker)."),
) -> None:
    """Serve the API under /api/v1 (docs at /api/v1/docs).

    Migrates the database first. In the embedded profile this process owns the data dir (vector
    folder lock) and runs the job worker; in the server profile run `luna worker` processes instead.
    """
    settings = state(ctx).settings(new_install=True)
    bind_host = host or settings.api.host
    bind_port = port or settings.api.port
    if settings.auth.allow_dev_user and bind_host not in LOOPBACK_HOSTS:
        typer.secho(
            f"Refusing to serve on {bind_host}: auth.allow_dev_user is on (X-Dev-User lets anyone act as any "
            "user). Bind to 127.0.0.1, or use the server profile (LUNA_PROFILE=server), or set "
            "LUNA_AUTH__ALLOW_DEV_USER=false.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    configure_logging(settings.logging)
    if reload:
        uvicorn.run("luna.cli.serve:build_app", factory=True, host=bind_host, port=bind_port, reload=True)
        return
    container = state(ctx).container()
    _check_thresholds(container)
    _claim_data_dir(container, bind_host, bind_port)
    revision = container.database.upgrade()
    run_worker = worker and settings.api.start_worker and settings.jobs.kind == "inprocess"
    _banner(container, bind_host, bind_port, revision, run_worker)
    app = create_app(container, param_checks=PARAM_CHECKS)
    mount_dashboards(app, container, param_checks=PARAM_CHECKS)

    def start_background_work() -> None:
        if run_worker:
            start_in_process(container)
            _queue_demos(container)
        threading.Thread(target=_warm_up, args=(container,), name="luna-warm-up", daemon=True).start()

    record = write_record(settings.data_dir, bind_host, bind_port)
    stopped = threading.Event()

    def stop_background_work() -> None:
        if stopped.is_set():
            return
        stopped.set()
        if record is not None:
            remove_record(record)
        if run_worker:
            stop_in_process(container)
        container.close()

    _once_started(app, start_background_work, stop_background_work)
    try:
        uvicorn.run(
            app,
            host=bind_host,
            port=bind_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=settings.api.shutdown_grace_sec,
        )
    finally:
        stop_background_work()  # when the app never started (a port taken at bind), say


def _once_started(app: FastAPI, start: Callable[[], None], stop: Callable[[], None]) -> None:
    """Calls ``start`` when the app's startup is done, before it serves. NiceGUI's startup looks through
    every object in the process (``gc.get_objects()``, to find uvicorn's server); a tuple another thread
    is building at that moment then has a second reference, and CPython fails that thread's work with
    "SystemError: Objects/tupleobject.c:927" (seen as the demo backfill failing inside pandas). So no
    job or warm-up thread runs before that look is over.

    Calls ``stop`` when the app has shut down: on SIGTERM (systemd, ``docker stop``) uvicorn raises the
    signal again once it is done, which ends the process before code after ``uvicorn.run`` runs, so
    the job workers were never stopped nor the stores closed."""
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        try:
            async with started(app) as startup_state:
                start()
                yield startup_state
        finally:
            stop()

    app.router.lifespan_context = lifespan


def _queue_demos(container: Container) -> None:
    """On a first start, demo documents and simulated history, so a new installation shows something."""
    demo = queue_demo_ingest(container)
    if demo is not None:
        typer.echo(
            f"  demo:       the knowledge base is empty; ingesting docs/samples/ as job {demo.job_id}",
            err=True,
        )
    history = queue_demo_backfill(container)
    if history is not None:
        days = container.settings.sim.demo_backfill_days
        typer.echo(
            f"  demo:       no meter readings yet; simulating the last {days} days as job {history.job_id}",
            err=True,
        )
        live = start_demo_live(container)
        if live is not None:
            typer.echo(
                f"  demo:       the live simulation goes on as job {live.job_id} (stop it in /admin)",
                err=True,
            )


def _warm_up(container: Container) -> None:
    """Load the models while the server already answers, so the first question does not wait for them."""
    log = logging.getLogger("luna.serve")
    try:
        container.embedder.embed_query("Aufwärmen")
        container.meaning_embedder.embed_query("Aufwärmen")  # e5-small judges answers, whatever retrieves
        container.chat.warm_up()
        if (check := container.prompts.reader_check) is not None:
            check.reader.scores("Aufwärmen", ["Aufwärmen."])  # builds its graph once (about 7 s)
    except Exception as error:
        log.warning("model warm-up failed (the first request will try again): %s", error)
    index = container.health_checks()["index"].health()  # never raises
    if not index.is_up:
        log.warning("search index: %s", index.detail)
    _warm_up_refine(container, log)


def _warm_up_refine(container: Container, log: logging.Logger) -> None:
    """Load the refine leg's model too, or say why searches go without it (its model not prepared)."""
    if not container.settings.refine_active:
        return
    refine = container.services.knowledge.refine
    assert refine is not None  # built whenever the settings make it active
    if not refine.ready():
        log.warning("refine leg: %s", refine.health().detail)
        return
    try:
        refine.warm_up()
    except Exception as error:
        log.warning("refine model warm-up failed (the first search will try again): %s", error)


def _banner(container: Container, host: str, port: int, revision: str, worker: bool) -> None:
    s = container.settings
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    lines = [
        f"Luna — profile {s.profile}, data dir {s.data_dir.resolve()}",
        f"  dashboards: http://{shown}:{port}/   (admin: /admin)",
        f"  API:        http://{shown}:{port}/api/v1   (docs: /api/v1/docs)",
        f"  database:   {s.database.kind} (schema {revision})",
        f"  vectors:    {s.vectors.kind}   blobs: {s.blobs.kind}   embeddings: {s.embeddings.kind}",
        f"  jobs:       {s.jobs.kind}"
        + (f" ({s.jobs.workers} worker threads in this process)" if worker else ""),
    ]
    if s.profile != "server" and (s.data_dir / "secrets.json").is_file():
        lines.append(f"  admin key:  in {(s.data_dir / 'secrets.json').resolve()} (or set ADMIN_API_KEY)")
    typer.echo("\n".join(lines), err=True)
