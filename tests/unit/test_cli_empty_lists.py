"""A list with nothing in it says so, and how to make the first entry: an empty table with headers only
looked like a failed query."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from luna.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["accounts", "list"], "No accounts yet: `luna accounts create NAME --scope SCOPE` makes one."),
        (["jobs", "list"], "No jobs yet."),
        (
            ["jobs", "list", "--status", "failed", "--name", "kb.reindex"],
            "No jobs with status failed, name kb.reindex.",
        ),
        (["snapshot", "list"], "No snapshots yet: `luna snapshot create` takes one."),
        (["flywheel", "kpis", "--window", "hour"], "No KPIs per hour yet: `luna flywheel run` computes them"),
    ],
)
def test_an_empty_list_says_so_instead_of_printing_an_empty_table(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, command: list[str], said: str
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, command)

    assert result.exit_code == 0, result.output
    assert said in result.output
    assert "┃" not in result.output and "━" not in result.output  # no table drawn


def test_a_database_never_migrated_says_to_upgrade_it_not_to_try_again(cli_env: None) -> None:
    """It said "the database is busy or unreachable; try again shortly", which never helps."""
    result = runner.invoke(app, ["accounts", "list"])

    said = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "lacks Luna's tables" in said and "`luna db upgrade`" in said and "try again" not in said
