"""`luna meters`: the operator lists meters, corrects an interval, and prints the code a customer links
their meter with, the code the API gives and accepts (same key, derived from the JWT secret)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from luna.container import build_container
from luna.domain.energy import MeterInfo
from luna.domain.meter_claims import claim_code, claim_key, format_code
from luna.settings import load_settings
from tests.integration.support import cli_environment

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("restored_logging")
JWT_SECRET = "cli-jwt-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    environment = cli_environment(monkeypatch, tmp_path, LUNA_AUTH__JWT_SECRET=JWT_SECRET)
    container = build_container(load_settings())
    try:
        container.database.upgrade()
        container.energy.upsert_meters([MeterInfo("haus-1", kind="household")])
    finally:
        container.close()
    return environment


def test_the_claim_code_of_a_meter_is_printed_as_on_a_bill() -> None:
    plain = runner.invoke(app, ["meters", "claim-code", "haus-1"])
    as_json = runner.invoke(app, ["meters", "claim-code", "haus-1", "--json"])

    assert plain.exit_code == 0, plain.output
    expected = format_code(claim_code(claim_key(JWT_SECRET), "haus-1"))
    assert plain.output.strip() == expected
    assert json.loads(as_json.output) == {"meter_id": "haus-1", "code": expected}


def test_an_unknown_meter_is_one_line_and_exit_1() -> None:
    result = runner.invoke(app, ["meters", "claim-code", "gibt-es-nicht"])

    assert result.exit_code == 1
    assert "No meter with id 'gibt-es-nicht'" in result.output and "Traceback" not in result.output


def test_meters_are_listed_and_an_interval_is_corrected_from_the_shell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    listed = runner.invoke(app, ["meters", "list"])
    as_json = json.loads(runner.invoke(app, ["meters", "list", "--json"]).output)
    corrected = runner.invoke(app, ["meters", "interval", "haus-1", "900"])
    odd = runner.invoke(app, ["meters", "interval", "haus-1", "45"])
    unknown = runner.invoke(app, ["meters", "interval", "gibt-es-nicht", "900"])

    assert listed.exit_code == 0 and "haus-1" in listed.output and "1 min" in listed.output
    assert as_json["total"] == 1 and as_json["meters"][0]["interval_s"] == 60
    assert corrected.exit_code == 0 and "Meter haus-1 reads every 15 min" in corrected.output
    assert odd.exit_code == 2 and "interval_s must be one of" in odd.output
    assert unknown.exit_code == 1 and "No meter with id 'gibt-es-nicht'" in unknown.output
    again = json.loads(runner.invoke(app, ["meters", "list", "--json"]).output)
    assert again["meters"][0]["interval_s"] == 900
