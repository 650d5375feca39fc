"""`luna sim`: backfill from the shell on SQLite and PostgreSQL, and the live simulation via `luna serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from tests.contracts.sql_support import scratch_postgres_database

runner = CliRunner()
ADMIN_KEY = "sim-cli-admin-key-0123456789"
BACKFILL = ["sim", "backfill", "--from", "2024-03-04", "--to", "2024-03-05", "--meters", "2", "--seed", "3"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "LUNA_PROFILE": "test",
        "LUNA_DATA_DIR": str(tmp_path / "var"),
        "LUNA_ENV_FILE": str(tmp_path / "absent.env"),
        "ADMIN_API_KEY": ADMIN_KEY,
        "API_PORT": str(_free_port()),
        "COLUMNS": "200",  # tables on one line each
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    if request.param == "postgresql":
        with scratch_postgres_database(request.getfixturevalue("postgres_url")) as url:
            monkeypatch.setenv("LUNA_DATABASE__KIND", "postgresql")
            monkeypatch.setenv("LUNA_DATABASE__URL", url)
            yield "postgresql"
    else:
        yield "sqlite"


@pytest.mark.parametrize("command", [["sim"], ["sim", "backfill"], ["sim", "start"], ["sim", "status"]])
def test_every_sim_command_explains_itself(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output and len(result.output) > 200


def test_backfill_writes_directly_with_a_summary_and_a_rerun_stores_nothing(database: str) -> None:
    first = runner.invoke(app, BACKFILL)
    again = runner.invoke(app, BACKFILL)
    status = runner.invoke(app, ["sim", "status"])

    assert first.exit_code == 0, first.output
    assert f"directly into the {database} database" in first.output and "rows/s" in first.output
    assert "2,880 readings stored, 0 already there; 72 prices stored (1-minute readings)" in first.output
    assert again.exit_code == 0 and "0 readings stored, 2,880 already there; 0 prices stored" in again.output
    assert status.exit_code == 0, status.output
    assert "reading the database directly" in status.output and "not running" in status.output
    assert "2,880" in status.output and "2024-03-04T22:59:00" in status.output


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["--from", "2024-03-04T10:00", "--to", "2024-03-05"], "needs a time zone"),
        (["--from", "4.3.2024", "--to", "2024-03-05"], "must be a date"),
        (["--from", "2024-03-05", "--to", "2024-03-04"], "must be after"),
        (["--from", "2024-03-04T10:00:30+01:00", "--to", "2024-03-05"], "1-minute grid"),
        (["--from", "2024-03-04", "--to", "2199-03-05"], "in the future"),
    ],
)
def test_bad_periods_are_refused_with_the_reason_and_store_nothing(
    cli_env: dict[str, str], arguments: list[str], problem: str
) -> None:
    refused = runner.invoke(app, ["sim", "backfill", *arguments])
    status = runner.invoke(app, ["sim", "status"])

    assert refused.exit_code == 2 and problem in refused.output.replace("\n", " ")
    assert "readings" in status.output and "│ 0" in status.output.split("readings")[1].split("\n")[0]


def test_start_and_stop_need_a_running_server(cli_env: dict[str, str]) -> None:
    for command in ("start", "stop"):
        result = runner.invoke(app, ["sim", command])
        assert result.exit_code == 1 and "needs a running `luna serve`" in result.output


@pytest.fixture
def served(cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real `luna serve` with its worker, a one-day demo backfill of two meters and 1-second loops."""
    for name, value in {
        "LUNA_API__START_WORKER": "true",
        "LUNA_JOBS__WORKERS": "2",
        "LUNA_SIM__DEMO_BACKFILL_DAYS": "1",
        "LUNA_SIM__METERS": "2",
        "LUNA_SIM__SMARTMETER_INTERVAL_SEC": "1",
        "LUNA_SIM__MARKET_INTERVAL_SEC": "1",
    }.items():
        monkeypatch.setenv(name, value)
    log_path = tmp_path / "serve.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "luna", "serve"], env=dict(os.environ), stdout=log, stderr=log, text=True
    )
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"luna serve exited: {log_path.read_text()}")
            try:
                httpx.get(f"http://127.0.0.1:{cli_env['API_PORT']}/api/v1/system/info", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    pytest.fail("luna serve did not answer within 60 s")
                time.sleep(0.2)
        yield log_path
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def _jobs(cli_env: dict[str, str], name: str) -> list[dict[str, object]]:
    response = httpx.get(
        f"http://127.0.0.1:{cli_env['API_PORT']}/api/v1/admin/jobs",
        params={"name": name},
        headers={"X-Admin-Key": ADMIN_KEY},
        timeout=5,
    )
    items: list[dict[str, object]] = response.json()["data"]["items"]
    return items


def test_serve_backfills_demo_history_once_and_the_cli_runs_the_simulation_through_it(
    cli_env: dict[str, str], served: Path
) -> None:
    deadline = time.monotonic() + 120
    while not (demo := _jobs(cli_env, "sim.backfill")) or demo[0]["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the demo backfill did not finish within 120 s"
        time.sleep(0.2)
    assert "simulating the last 1 days as job" in served.read_text()
    assert demo[0]["status"] == "succeeded", demo[0]
    assert demo[0]["result"]["readings_inserted"] == 2 * 1440  # type: ignore[index]

    status = runner.invoke(app, ["sim", "status"])
    assert status.exit_code == 0 and "reading the database directly" not in status.output
    assert "2,880" in status.output and "not running" in status.output

    as_job = runner.invoke(app, ["sim", "backfill", "--job", "--from", "2024-03-04", "--to", "2024-03-05"])
    assert as_job.exit_code == 0, as_job.output
    assert "as a job of the running server" in as_job.output and "2,880 readings stored" in as_job.output

    started = runner.invoke(app, ["sim", "start"])
    again = runner.invoke(app, ["sim", "start"])
    assert started.exit_code == 0 and "Live simulation queued as job" in started.output
    assert again.exit_code == 1 and "already" in again.output
    deadline = time.monotonic() + 30
    while _jobs(cli_env, "sim.live")[0]["status"] != "running":
        assert time.monotonic() < deadline, "the live job did not start within 30 s"
        time.sleep(0.1)
    running = runner.invoke(app, ["sim", "status"])
    assert "running (job" in running.output

    stopped = runner.invoke(app, ["sim", "stop"])
    assert stopped.exit_code == 0 and "is stopping" in stopped.output
    deadline = time.monotonic() + 10
    while _jobs(cli_env, "sim.live")[0]["status"] != "cancelled":
        assert time.monotonic() < deadline, "the live job did not stop within 10 s"
        time.sleep(0.1)
