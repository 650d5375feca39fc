"""What the integration suites share: a container on either database, a real `luna serve`, polling.

Polling (with a deadline) is how these suites wait, because what they wait for happens in a worker
thread, another process or a broker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from luna.container import Container, build_container
from luna.domain.jobs import Job
from luna.services.operations.jobs import JobService
from luna.settings import Settings
from luna.workers.registry import load_jobs
from luna.workers.runner import stop_in_process
from tests.contracts.s3_support import free_port
from tests.contracts.sql_support import remove_all_rows, scratch_postgres_database

SERVE_START_SEC = 60.0
WAIT_SEC = 30.0


@contextmanager
def container_on(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings], **env: str
) -> Iterator[Container]:
    """A migrated container without rows on the backend ``request.param`` (``sqlite`` or ``postgresql``).

    PostgreSQL is the test module's database (the ``module_postgres_url`` fixture): emptying it is
    faster than creating one per test. The in-process worker, if a test started it, is stopped.
    """
    if request.param == "postgresql":
        env |= {
            "LUNA_DATABASE__KIND": "postgresql",
            "LUNA_DATABASE__URL": request.getfixturevalue("module_postgres_url"),
        }
    built = build_container(make_settings(**env), load_jobs)
    try:
        built.database.upgrade()
        remove_all_rows(built.database)  # type: ignore[arg-type]  # the module's PG database is shared
        yield built
    finally:
        stop_in_process(built)
        built.close()


def cli_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Set the environment of a `luna` command in the test profile: a data dir of the test's own, no
    ``.env`` file and a free API port (for a `luna serve`), plus ``extra``; returns what was set."""
    env = {
        "LUNA_PROFILE": "test",
        "LUNA_DATA_DIR": str(tmp_path / "var"),
        "LUNA_ENV_FILE": os.devnull,
        "API_PORT": str(free_port()),
        # An install's keys, so a command run first in the new data dir finds one there (a command
        # finding neither keys nor a secrets.json refuses: a mistyped data dir).
        **({} if "ADMIN_API_KEY" in extra else {"LUNA_AUTH__ADMIN_API_KEY": "cli-admin-key-0123456789"}),
        "LUNA_AUTH__JWT_SECRET": "cli-jwt-secret-0123456789abcdef",
        "LUNA_FLYWHEEL__PSEUDONYM_KEY": "cli-pseudonym-key-0123456789",
        **extra,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@contextmanager
def luna_serve(
    port: str, log_path: Path, *, env: Mapping[str, str] | None = None, start_sec: float = SERVE_START_SEC
) -> Iterator[str]:
    """A real `luna serve` with ``env`` (default: this process's environment), once it answers within
    ``start_sec``; yields the API base URL.

    Its output goes to ``log_path``, which the failure message quotes when it exits early.
    """
    with luna_serve_process(port, log_path, env=env, start_sec=start_sec) as (base, _):
        yield base


@contextmanager
def luna_serve_process(
    port: str, log_path: Path, *, env: Mapping[str, str] | None = None, start_sec: float = SERVE_START_SEC
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """:func:`luna_serve`, also yielding the process (for tests that kill it); stopped unless already dead."""
    base = f"http://127.0.0.1:{port}/api/v1"
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "luna", "serve"],
            env=dict(os.environ if env is None else env),
            stdout=log,
            stderr=log,
            text=True,
        )
        try:
            deadline = time.monotonic() + start_sec
            while True:
                if process.poll() is not None:
                    pytest.fail(f"luna serve exited: {log_path.read_text()}")
                try:
                    httpx.get(f"{base}/system/info", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"luna serve did not answer within {start_sec:g} s")
                    time.sleep(0.2)
            yield base, process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=60)


def wait_until(condition: Callable[[], bool], what: str, *, within: float = WAIT_SEC) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within:g} s: {what}"
        time.sleep(0.02)


def wait_for_job(
    service: JobService, job_id: str, condition: Callable[[Job], bool], *, within: float = WAIT_SEC
) -> Job:
    """Poll the job's SQL record until ``condition`` holds; fail with its last state after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        job = service.get(job_id)
        if condition(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} did not get there within {within:g} s; last state: {job}")
        time.sleep(0.02)


@contextmanager
def cli_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the CLI's settings at the backend ``request.param`` names (``sqlite``: the data dir's
    file; ``postgresql``: a scratch database of its own) and yield that name."""
    if request.param == "postgresql":
        with scratch_postgres_database(request.getfixturevalue("postgres_url")) as url:
            monkeypatch.setenv("LUNA_DATABASE__KIND", "postgresql")
            monkeypatch.setenv("LUNA_DATABASE__URL", url)
            yield "postgresql"
    else:
        yield "sqlite"
