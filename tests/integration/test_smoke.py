"""`luna smoke` (and `make smoke`): one command an operator runs after an install or an upgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from tests.contracts.s3_support import free_port
from tests.integration.support import cli_environment, luna_serve

runner = CliRunner()
ADMIN_KEY = "smoke-admin-key-0123456789"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    return cli_environment(monkeypatch, tmp_path, ADMIN_API_KEY=ADMIN_KEY)


@pytest.fixture
def served(cli_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with luna_serve(cli_env["API_PORT"], tmp_path / "serve.log") as base:
        yield base.removesuffix("/api/v1")


def test_smoke_starts_its_own_luna_checks_it_end_to_end_and_stops_it(cli_env: dict[str, str]) -> None:
    # An admin key of the caller's shell under its LUNA_ name beat the smoke server's own (HTTP 403).
    result = runner.invoke(app, ["smoke"], env={"LUNA_AUTH__ADMIN_API_KEY": "k" * 24})

    assert result.exit_code == 0, result.output
    for step in ("start luna serve", "health", "ingest sample PDF", "cited answer"):
        assert f"✓ {step}" in result.output
    assert "Smoke test passed." in result.output


def test_smoke_against_a_running_install_leaves_it_as_it_was(served: str) -> None:
    def items() -> int:
        listed = httpx.get(f"{served}/api/v1/admin/items", headers={"X-Admin-Key": ADMIN_KEY}, timeout=10)
        return int(listed.json()["data"]["total"])

    before = items()
    result = runner.invoke(app, ["smoke", "--url", served, "--admin-key", ADMIN_KEY])

    assert result.exit_code == 0, result.output
    assert "✓ remove sample again" in result.output
    assert items() == before


def test_smoke_says_which_check_failed_when_nothing_answers(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["smoke", "--url", f"http://127.0.0.1:{free_port()}"])

    assert result.exit_code == 1
    assert "✗ system info: the server did not answer" in result.output
