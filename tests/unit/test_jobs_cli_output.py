"""What `luna jobs list` and `luna jobs run` show a person, and what `--json` keeps for scripts.

A running server is faked: the CLI reads jobs through its API, whose times carry an offset.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from luna.cli import jobs as jobs_cli
from luna.cli.main import app

runner = CliRunner()
JOB_ID = "3f2a9c1e-0000-4000-8000-000000000001"
#: 14:05 on a German winter clock is 13:05 UTC.
CREATED = "2026-01-31T14:05:00+01:00"
RESULT: dict[str, Any] = {
    "rows": 1234,
    "share": 1 / 3,
    "done": True,
    "topics": ["wallbox", "tarif"],
    "figures": {"hit_at_1": 0.5, "mrr": 1.0},
    "log": "x" * 150,
}


def _job(status: str, result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "job_id": JOB_ID,
        "name": "demo.job",
        "status": status,
        "progress": 1.0 if result else 0.0,
        "message": None,
        "error": None,
        "result": result,
        "created_at": CREATED,
    }


class _RunningServer:
    """A `luna serve` holding one job that, once started, has already succeeded with ``RESULT``."""

    def __init__(self, *_: Any, **__: Any) -> None:
        pass

    def is_running(self) -> bool:
        return True

    def get(self, path: str, **_: Any) -> dict[str, Any]:
        if path == "admin/jobs":
            return {"items": [_job("queued")]}
        assert path == f"admin/jobs/{JOB_ID}"
        return _job("succeeded", RESULT)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        assert (path, body["name"]) == ("admin/jobs", "demo.job")
        return _job("queued")


@pytest.fixture(autouse=True)
def server(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(jobs_cli, "ServerClient", _RunningServer)


def test_the_list_shows_when_a_job_was_created_in_utc_and_says_so() -> None:
    listed = runner.invoke(app, ["jobs", "list"])

    assert listed.exit_code == 0, listed.output
    assert "created (UTC)" in listed.stdout
    (row,) = [line for line in listed.stdout.splitlines() if JOB_ID[:8] in line]
    assert "2026-01-31 13:05" in row and "14:05" not in row


def test_a_finished_job_s_result_is_one_readable_line_per_field() -> None:
    ran = runner.invoke(app, ["jobs", "run", "demo.job"])

    assert ran.exit_code == 0, ran.output
    assert "succeeded" in ran.stderr
    assert ran.stdout.splitlines() == [
        "  rows: 1.234",
        "  share: 0,333",
        "  done: ja",
        "  topics: wallbox, tarif",
        "  figures: hit_at_1 0,5, mrr 1",
        f"  log: {'x' * 99}…",
    ]


def test_with_json_the_result_is_one_document_on_stdout() -> None:
    ran = runner.invoke(app, ["jobs", "run", "demo.job", "--json"])

    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout) == RESULT


def test_with_json_and_no_wait_stdout_is_the_queued_job_to_follow() -> None:
    ran = runner.invoke(app, ["jobs", "run", "demo.job", "--json", "--no-wait"])

    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout) == {"job_id": JOB_ID, "name": "demo.job", "status": "queued"}
