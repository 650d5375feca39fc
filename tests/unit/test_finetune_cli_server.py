"""`luna finetune run` beside a running `luna serve` trains as that server's job instead of failing its
regression gate on the server's vector folder; a gate that could not be measured never exits 0. What it
prints: readable lines, or with `--json` the whole result as one document on stdout."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from luna.cli import finetune as finetune_cli
from luna.cli.context import CliState
from luna.cli.main import app
from tests.fakes import RunningServerStandIn

runner = CliRunner()
UNMEASURED = {
    "gate": "regression_drop",
    "value": None,
    "threshold": 0.05,
    "passed": False,
    "note": "no folder",
}
MEASURED = {"gate": "win_rate_vs_base", "value": 0.8, "threshold": 0.5, "passed": True, "note": None}
FAILED = {"gate": "canary_leaks", "value": 2.0, "threshold": 0.0, "passed": False, "note": None}
TARGETS = {
    "bleu": {"value": 0.3125, "target": 0.3, "met": True},
    "win_rate_vs_base": {"value": None, "target": 0.6, "met": False},
}


def _result(*checks: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "tiny",
        "version": 2,
        "dataset": "sft@v1",
        "device": "cpu",
        "precision": "fp32",
        "targets": TARGETS,
        "gates": {"passed": all(c["passed"] for c in checks), "checks": list(checks)},
        "promoted": False,
    }


class _RunningServer(RunningServerStandIn):
    """A `luna serve` whose run passes, fails or cannot measure a gate, by what the command asked for."""

    posted: ClassVar[list[dict[str, Any]]] = []

    def result(self, params: dict[str, Any]) -> dict[str, Any]:
        checks = {"resume": (MEASURED,), "config": (MEASURED, FAILED)}.get(next(iter(params), ""))
        return _result(*(checks or (MEASURED, UNMEASURED)))


def _no_container(*_: Any) -> None:
    raise AssertionError("the CLI opened the stores the running server owns")


@pytest.fixture(autouse=True)
def server(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(finetune_cli, "ServerClient", _RunningServer)
    monkeypatch.setattr("luna.cli.server_client.time.sleep", lambda _: None)
    _RunningServer.posted.clear()


def test_a_run_beside_a_server_is_its_job_and_never_opens_the_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CliState, "container", _no_container)
    result = runner.invoke(app, ["finetune", "run", "--resume", "20250101-000000"])

    assert result.exit_code == 0, result.output
    assert _RunningServer.posted == [{"name": "finetune.run", "params": {"resume": "20250101-000000"}}]
    assert "as job j1 of the running server" in result.output and "✓ win_rate_vs_base" in result.output


def test_a_gate_that_could_not_be_measured_exits_1() -> None:
    result = runner.invoke(app, ["finetune", "run"])

    assert result.exit_code == 1, result.output
    assert "Kept as a candidate" in result.output
    assert "Not judged: regression_drop could not be measured" in result.output


def test_a_gate_that_failed_exits_1_with_the_candidate_kept() -> None:
    """As `luna datasets run` does for a version that failed its gates: a script stops there."""
    result = runner.invoke(app, ["finetune", "run", "--config", "lora"])

    assert result.exit_code == 1, result.output
    assert "✗ canary_leaks" in result.output and "Kept as a candidate" in result.output
    assert "Not promoted: the gate canary_leaks failed" in result.output


def test_the_targets_are_readable_lines_in_german_figures() -> None:
    result = runner.invoke(app, ["finetune", "run", "--resume", "20250101-000000"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("Ziele der Vorlage (nur angezeigt, keine Gates):")
    assert lines[start + 1 : start + 3] == [
        "  ✓ bleu: 0,313 (Ziel 0,3)",
        "  ✗ win_rate_vs_base: nicht gemessen (Ziel 0,6)",
    ]
    assert "{" not in result.stdout


def test_with_json_the_whole_result_is_one_document_on_stdout() -> None:
    result = runner.invoke(app, ["finetune", "run", "--resume", "20250101-000000", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["targets"] == TARGETS
    assert "as job j1 of the running server" in result.stderr


def test_with_json_a_gate_not_measured_still_exits_1_with_the_reason_on_stderr() -> None:
    result = runner.invoke(app, ["finetune", "run", "--json"])

    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["gates"]["passed"] is False
    assert "Not judged: regression_drop could not be measured" in result.stderr
