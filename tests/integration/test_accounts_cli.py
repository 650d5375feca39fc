"""`luna accounts`: a key created in the shell works at the webhook; a revoked one stops at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from luna.container import build_container
from luna.settings import load_settings
from tests.integration.support import cli_environment

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("restored_logging")


@pytest.fixture(autouse=True)
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    environment = cli_environment(monkeypatch, tmp_path, COLUMNS="200")
    container = build_container(load_settings())
    container.database.upgrade()
    container.close()
    return environment


def test_create_list_and_revoke() -> None:
    created = runner.invoke(
        app, ["accounts", "create", "n8n-prod", "--scope", "sessions:write", "-s", "kpi:read"]
    )
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("luna_sa_")

    listed = json.loads(runner.invoke(app, ["accounts", "list", "--json"]).output)
    assert [(a["name"], a["scopes"], a["revoked_at"]) for a in listed] == [
        ("n8n-prod", "kpi:read, sessions:write", None)
    ]
    assert key not in json.dumps(listed)

    container = build_container(load_settings())
    try:
        assert container.services.accounts.identify(key) is not None
        revoked = runner.invoke(app, ["accounts", "revoke", "n8n-prod"])  # by name, as one remembers it
        again = runner.invoke(app, ["accounts", "revoke", listed[0]["account_id"]])
        assert revoked.exit_code == 0 and "revoked at 20" in revoked.output
        assert container.services.accounts.identify(key) is None
        assert again.exit_code == 0 and again.output == revoked.output  # when it was revoked, not now
    finally:
        container.close()


def test_mistakes_are_explained_without_a_traceback() -> None:
    bad_scope = runner.invoke(app, ["accounts", "create", "x1", "--scope", "root"])
    assert bad_scope.exit_code == 2 and "root" in bad_scope.output
    bad_name = runner.invoke(app, ["accounts", "create", "Bad Name", "--scope", "kpi:read"])
    assert bad_name.exit_code == 2 and "name" in bad_name.output  # input it cannot take, as everywhere
    unknown = runner.invoke(app, ["accounts", "revoke", "nope"])
    assert unknown.exit_code == 1 and "No service account" in unknown.output
