"""`luna admin verify` from the shell: what it says and its exit code, which scripts and cron jobs read."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from tests.integration.support import cli_environment

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "stromtarife-und-lastverschiebung.md"


def test_verify_fix_names_a_document_whose_upload_is_lost_and_does_not_claim_a_repair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--fix` said "Repaired." and exited 0 though nothing brings a lost upload back; the plain verify
    pointed to `--fix`, which changes nothing for it."""
    env = cli_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    assert runner.invoke(app, ["ingest", str(SAMPLE)]).exit_code == 0
    (raw,) = [path for path in Path(env["LUNA_DATA_DIR"]).rglob("docs/raw/*/*") if path.is_file()]
    item_id = raw.parent.name
    raw.unlink()

    for command in (["admin", "verify"], ["admin", "verify", "--fix"], ["admin", "verify"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, result.output
        assert "Repaired" not in result.output and "--fix repairs" not in result.output
        assert "1 document(s) lack their uploaded file or extracted text" in result.output
        assert item_id in result.output
