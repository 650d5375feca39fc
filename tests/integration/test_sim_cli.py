"""`luna sim`: backfill from the shell on SQLite and PostgreSQL, and the live simulation via `luna serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from tests.integration.support import cli_database, cli_environment, luna_serve, wait_until

runner = CliRunner()
ADMIN_KEY = "sim-cli-admin-key-0123456789"
BACKFILL = ["sim", "backfill", "--from", "2024-03-04", "--to", "2024-03-05", "--meters", "2", "--seed", "3"]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return cli_environment(
        monkeypatch,
        tmp_path,
        ADMIN_API_KEY=ADMIN_KEY,
        COLUMNS="200",  # tables on one line each
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    with cli_database(request, monkeypatch) as kind:
        yield kind


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


def test_a_period_with_brackets_is_quoted_as_typed_and_stores_nothing(cli_env: dict[str, str]) -> None:
    """Rich reads ``[/red]`` as markup: echoed unescaped, the user's typo ended in a traceback."""
    refused = runner.invoke(app, ["sim", "backfill", "--from", "[/red]", "--to", "2024-03-05"])
    status = runner.invoke(app, ["sim", "status"])

    assert refused.exit_code == 2, refused.output
    assert "with a time zone, not '[/red]'" in refused.output.replace("\n", " ")
    assert "│ 0" in status.output.split("readings")[1].split("\n")[0]


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
    with luna_serve(cli_env["API_PORT"], log_path):
        yield log_path


def _jobs(cli_env: dict[str, str], name: str) -> list[dict[str, object]]:
    response = httpx.get(
        f"http://127.0.0.1:{cli_env['API_PORT']}/api/v1/admin/jobs",
        params={"name": name},
        headers={"X-Admin-Key": ADMIN_KEY},
        timeout=5,
    )
    items: list[dict[str, object]] = response.json()["data"]["items"]
    return items


def _status(cli_env: dict[str, str], name: str) -> object:
    """The status of the newest job called ``name`` (None when there is none)."""
    jobs = _jobs(cli_env, name)
    return jobs[0]["status"] if jobs else None


def test_serve_backfills_demo_history_once_and_the_cli_runs_the_simulation_through_it(
    cli_env: dict[str, str], served: Path
) -> None:
    wait_until(
        lambda: _status(cli_env, "sim.backfill") not in (None, "queued", "running"),
        "the demo backfill finishes",
        within=120,
    )
    demo = _jobs(cli_env, "sim.backfill")
    assert "simulating the last 1 days as job" in served.read_text()
    assert demo[0]["status"] == "succeeded", demo[0]
    result: dict[str, int] = demo[0]["result"]  # type: ignore[assignment]
    # The live loop may have written the last hour first: those readings count as duplicates.
    assert result["readings_inserted"] + result["readings_duplicates"] == 2 * 1440
    # The demo's live simulation goes on from its history, so the dashboards do not go stale.
    assert "the live simulation goes on as job" in served.read_text()
    wait_until(lambda: _status(cli_env, "sim.live") == "running", "the demo's live job runs", within=30)
    status = runner.invoke(app, ["sim", "status"])
    assert status.exit_code == 0 and "reading the database directly" not in status.output
    assert "running (job" in status.output

    as_job = runner.invoke(app, ["sim", "backfill", "--job", "--from", "2024-03-04", "--to", "2024-03-05"])
    assert as_job.exit_code == 0, as_job.output
    assert "as a job of the running server" in as_job.output and "2,880 readings stored" in as_job.output

    # Starting what already runs is what was asked for (a script's start after the demo's is no error);
    # asking for another fleet while it runs is refused, naming the job.
    again = runner.invoke(app, ["sim", "start"])
    assert again.exit_code == 0 and "already running as job" in again.output, again.output
    other = runner.invoke(app, ["sim", "start", "--meters", "3"])
    assert other.exit_code == 1 and "already" in other.output, other.output
    stopped = runner.invoke(app, ["sim", "stop"])
    assert stopped.exit_code == 0 and "is stopping" in stopped.output
    wait_until(lambda: _status(cli_env, "sim.live") == "cancelled", "the live job stops", within=10)
    assert "not running" in runner.invoke(app, ["sim", "status"]).output

    started = runner.invoke(app, ["sim", "start"])
    assert started.exit_code == 0 and "Live simulation queued as job" in started.output
    wait_until(lambda: _status(cli_env, "sim.live") == "running", "the live job starts", within=30)
    stopped = runner.invoke(app, ["sim", "stop"])
    assert stopped.exit_code == 0 and "is stopping" in stopped.output
    wait_until(lambda: _status(cli_env, "sim.live") == "cancelled", "the live job stops", within=10)
