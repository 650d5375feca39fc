"""`luna eval run` beside a running `luna serve` (which owns the embedded vector folder) is that server's
job ``eval.run``, followed here, with the kept run's figures printed as a run in this process prints them;
it said "point the CLI at it with API_PORT", which no setting of the port could help."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from luna.cli import evaluate as evaluate_cli
from luna.cli.context import CliState
from luna.cli.main import app
from luna.domain.evaluation import QuestionOutcome, figures
from luna.domain.evaluation_runs import EvalRun
from tests.fakes import RunningServerStandIn

runner = CliRunner()
RUN_ID = "20261129T120000000Z-nightly"


class _RunningServer(RunningServerStandIn):
    """A `luna serve` whose job keeps its run under ``RUN_ID``."""

    posted: ClassVar[list[dict[str, Any]]] = []

    def result(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"run_id": RUN_ID, "split": params["split"], "figures": {}}


@pytest.fixture
def kept_run(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run the server's job kept, in the SQL store the CLI reads (the test profile's data dir)."""
    monkeypatch.setattr(evaluate_cli, "ServerClient", _RunningServer)
    monkeypatch.setattr("luna.cli.server_client.time.sleep", lambda _: None)
    _RunningServer.posted.clear()
    container = CliState(profile=None).container()
    try:
        container.database.upgrade()
        outcomes = [QuestionOutcome("q1", True, rank=1, answer_holds_needle=True)]
        run = EvalRun(RUN_ID, "nightly", "test", "2026-11-29T12:00:00+00:00", {}, figures(outcomes), outcomes)
        with container.database.unit_of_work() as uow:
            uow.eval_runs.add(run)
            uow.commit()
    finally:
        container.close()


def test_a_run_beside_a_server_is_its_job_with_absolute_paths(kept_run: None, tmp_path: Path) -> None:
    golden = tmp_path / "golden.yaml"
    golden.write_text("questions: []\n", encoding="utf-8")

    result = runner.invoke(app, ["eval", "run", str(golden), "--split", "tune", "--name", "nightly"])

    assert result.exit_code == 0, result.output
    params = {"sets": [str(golden.resolve())], "split": "tune", "name": "nightly", "documents": None}
    assert _RunningServer.posted == [{"name": "eval.run", "params": params}]
    assert "hit@5" in result.output and f"Kept as {RUN_ID}" in result.output
