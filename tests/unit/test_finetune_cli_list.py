"""`luna finetune list` says in which time zone a version was created, and shows that zone's time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from typer.testing import CliRunner

from luna.cli import finetune as finetune_cli
from luna.cli.main import app
from luna.domain.finetune.registry import AdapterState, AdapterVersion

runner = CliRunner()
#: 14:05 on a German winter clock is 13:05 UTC.
CREATED = datetime(2026, 1, 31, 14, 5, tzinfo=ZoneInfo("Europe/Berlin"))


class _Registry:
    def list(self, name: str | None) -> list[AdapterVersion]:
        return [
            AdapterVersion(
                name="tiny",
                version=1,
                state=AdapterState.CHAMPION,
                created_at=CREATED,
                base_model="base",
                dataset="sft@v1",
                run_id="20260131-140500",
                blob_prefix="finetune/adapters/tiny/v1",
            )
        ]


def _with_registry(_: Any, use: Callable[[_Registry], Any]) -> Any:
    return use(_Registry())


def test_the_creation_time_is_utc_and_the_column_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(finetune_cli, "_with_registry", _with_registry)
    monkeypatch.setattr(finetune_cli, "console", Console(width=200))

    listed = runner.invoke(app, ["finetune", "list"])

    assert listed.exit_code == 0, listed.output
    assert "created (UTC)" in listed.stdout
    (row,) = [line for line in listed.stdout.splitlines() if "tiny@v1" in line]
    assert "2026-01-31 13:05" in row and "14:05" not in row
