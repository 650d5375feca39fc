"""`luna learn`: in this process (SQLite, PostgreSQL) without a server, through `luna serve` with one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from luna.container import build_container
from luna.domain.events import EventType
from luna.settings import load_settings
from tests.integration.learning_data import add_events, add_library, add_users
from tests.integration.support import cli_database, cli_environment, luna_serve

runner = CliRunner()
ADMIN_KEY = "learn-cli-admin-key-0123456789"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return cli_environment(monkeypatch, tmp_path, ADMIN_API_KEY=ADMIN_KEY, COLUMNS="200")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    with cli_database(request, monkeypatch) as kind:
        yield kind


def seed_events() -> None:
    """Two chunks of one item, a click on one of them (through the same settings the CLI reads)."""
    container = build_container(load_settings())
    try:
        container.database.upgrade()
        library = add_library(container.database, [2])
        user = add_users(container.database, 1)[0]
        add_events(container.database, user, [(EventType.CLICK, T0, library.chunks[0][0], None)])
    finally:
        container.close()


@pytest.mark.parametrize("command", [["learn"], ["learn", "run"], ["learn", "status"]])
def test_every_learn_command_explains_itself(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])

    assert result.exit_code == 0 and "Usage" in result.output


def test_without_a_server_it_learns_in_this_process_and_a_rerun_is_unchanged(database: str) -> None:
    seed_events()

    first = runner.invoke(app, ["learn", "run"])
    again = runner.invoke(app, ["learn", "run"])
    status = runner.invoke(app, ["learn", "status"])

    assert first.exit_code == 0, first.output
    assert "no running `luna serve` found: learning in this process" in first.output
    assert f"in this process on the {database} database" in first.output
    assert "(new)" in first.output and "2025-03-01T12:00:00+00:00" in first.output
    assert "1 (0 moved, 1 new, 0 gone)" in first.output and "Largest changes" in first.output
    assert again.exit_code == 0 and "unchanged (same inputs as this version)" in again.output
    assert status.exit_code == 0, status.output
    assert "reading the database directly" in status.output and "cli:" in status.output
    assert "2025-03-01T12:00:00" in status.output


@pytest.mark.parametrize(
    ("as_of", "problem"),
    [("gestern", "ISO-8601"), ("2025-03-01T03:00", "time zone"), ("2999-01-01T00:00Z", "future")],
)
def test_a_bad_as_of_is_refused_with_the_reason_and_stores_nothing(
    cli_env: dict[str, str], as_of: str, problem: str
) -> None:
    refused = runner.invoke(app, ["learn", "run", "--as-of", as_of])
    status = runner.invoke(app, ["learn", "status"])

    assert refused.exit_code == 2 and problem in refused.output.replace("\n", " ")
    assert "No score versions yet" in status.output


def test_with_a_server_the_run_is_a_job_of_its_worker_unless_local(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUNA_API__START_WORKER", "true")
    monkeypatch.setenv("LUNA_LEARNING__SCHEDULE_ENABLED", "false")
    seed_events()
    with luna_serve(cli_env["API_PORT"], tmp_path / "serve.log"):
        served = runner.invoke(app, ["learn", "run", "--as-of", "2025-03-01T13:00:00+01:00"])
        local = runner.invoke(app, ["learn", "run", "--local"])
        status = runner.invoke(app, ["learn", "status"])

    assert served.exit_code == 0, served.output
    assert "as a job of the running server" in served.output and "queued" in served.output
    assert "2025-03-01T12:00:00+00:00" in served.output
    assert local.exit_code == 0 and "--local: learning in this process" in local.output
    assert status.exit_code == 0 and "reading the database directly" not in status.output
    assert "admin-api" in status.output and "cli:" in status.output
