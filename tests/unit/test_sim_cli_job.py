"""`luna sim backfill --job` names what it needs, and a reversed period is refused before anything else
happens (a progress bar was drawn first)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from luna.cli.main import app

runner = CliRunner()


def test_a_reversed_period_is_refused_naming_the_options_before_any_server_is_asked(cli_env: None) -> None:
    result = runner.invoke(app, ["sim", "backfill", "--from", "2024-03-05", "--to", "2024-03-04", "--job"])

    said = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "--to (2024-03-04T00:00:00+01:00) must be after --from (2024-03-05T00:00:00+01:00)." in said
    assert "luna serve" not in said and "Simulation" not in said


def test_job_without_a_running_server_says_what_it_needs(
    cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_PORT", "9")  # nothing listens on the discard port
    result = runner.invoke(app, ["sim", "backfill", "--from", "2024-03-04", "--to", "2024-03-05", "--job"])

    said = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "--job needs a running `luna serve` (none answers at http://127.0.0.1:9" in said
