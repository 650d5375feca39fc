"""`luna admin reindex|reread|verify --fix` beside a running `luna serve` run as its job and follow it to
the end: the same progress and result lines as without a server, and an exit code that says how the job
ended (they printed "queued as job …" and exited 0, however the job then went)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from luna.cli import kb_admin
from luna.cli.context import CliState
from luna.cli.main import app
from luna.cli.server_client import ServerError

runner = CliRunner()
REINDEXED = {"items": 3, "chunks": 41, "mode": "shadow", "collection": "chunks_v8", "previous": "chunks_v7"}
REREAD_FAILED = {
    "items": 2,
    "new_versions": 1,
    "unchanged": 0,
    "failed": [{"item_id": "it-9", "error": "Die Datei ist beschädigt."}],
    "item_ids": ["it-1"],
}
REPAIRED = {"clean": False, "fixed": True, "lost_files": [], "orphan_vectors": 2, "missing_vectors": 0}


class _RunningServer:
    """A `luna serve` that takes the job, reports it running once, then ends it as ``ending``."""

    posted: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    ending: ClassVar[dict[str, Any]] = {}

    def __init__(self, *_: Any, **__: Any) -> None:
        self.polls = 0

    def is_running(self) -> bool:
        return True

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("item_ids") == ["kein-uuid"]:
            raise ServerError("item_ids: every entry is an item ID (a UUID).", 400)
        self.posted.append((path, body))
        return {"job_id": "j7", "status": "queued", "progress": 0.0, "message": None}

    def get(self, path: str) -> dict[str, Any]:
        assert path == "admin/jobs/j7"
        self.polls += 1
        if self.polls == 1:
            return {"job_id": "j7", "status": "running", "progress": 0.5, "message": "Abschnitte"}
        return {"job_id": "j7", "progress": 1.0, "message": "", **self.ending}


@pytest.fixture(autouse=True)
def server(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kb_admin, "ServerClient", _RunningServer)
    monkeypatch.setattr("luna.cli.server_client.time.sleep", lambda _: None)
    monkeypatch.setattr(CliState, "container", _no_container)
    monkeypatch.setenv("COLUMNS", "200")
    _RunningServer.posted.clear()


def _no_container(*_: Any) -> None:
    raise AssertionError("the CLI opened the stores the running server owns")


def _ends(status: str, result: dict[str, Any] | None = None, error: str | None = None) -> None:
    _RunningServer.ending = {"status": status, "result": result, "error": error}


def test_reindex_follows_its_job_and_prints_what_was_embedded() -> None:
    _ends("succeeded", REINDEXED)
    result = runner.invoke(app, ["admin", "reindex"])

    assert result.exit_code == 0, result.output
    assert _RunningServer.posted == [("admin/reindex", {})]
    assert "Reindex queued as job j7; Ctrl-C stops following" in result.output
    assert (
        "3 documents, 41 chunks embedded again into chunks_v8, now active (was chunks_v7)." in result.output
    )


def test_reread_prints_each_failure_and_exits_1() -> None:
    _ends("succeeded", REREAD_FAILED)
    result = runner.invoke(app, ["admin", "reread", "--item", "it-1", "--item", "it-9"])

    assert result.exit_code == 1, result.output
    assert _RunningServer.posted == [("admin/reread", {"item_ids": ["it-1", "it-9"]})]
    assert "2 documents read again: 1 new versions, 0 unchanged, 1 failed." in result.output
    assert "it-9: Die Datei ist beschädigt." in result.output


def test_verify_fix_prints_the_repair_report_as_without_a_server() -> None:
    _ends("succeeded", REPAIRED)
    result = runner.invoke(app, ["admin", "verify", "--fix"])

    assert result.exit_code == 0, result.output
    assert _RunningServer.posted == [("admin/verify", {"fix": True})]
    assert "orphan vectors" in result.output and "Repaired" in result.output


def test_a_failed_job_exits_1_with_its_error() -> None:
    _ends("failed", error="Der Vektorspeicher antwortet nicht.")
    result = runner.invoke(app, ["admin", "reindex"])

    assert result.exit_code == 1
    assert "Job j7 failed: Der Vektorspeicher antwortet nicht." in result.output


def test_a_refused_request_exits_2_with_the_server_s_reason() -> None:
    result = runner.invoke(app, ["admin", "reindex", "--item", "kein-uuid"])

    assert result.exit_code == 2
    assert "every entry is an item ID" in result.output and _RunningServer.posted == []
