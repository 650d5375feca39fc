"""`luna token`: a customer's Bearer token from this install's secret, for chat tools and scripts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from luna.api.auth import user_id_from_jwt
from luna.cli.main import app
from luna.settings import ensure_local_secrets, load_settings
from tests.integration.support import cli_environment

runner = CliRunner()


@pytest.fixture(autouse=True)
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli_environment(monkeypatch, tmp_path)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0


def test_the_token_is_one_the_api_takes_for_that_customer_and_expires_when_asked() -> None:
    user = str(uuid.uuid4())

    result = runner.invoke(app, ["token", user.upper(), "--days", "7"])

    assert result.exit_code == 0, result.output
    signed = result.stdout.strip()  # the token alone: TOKEN=$(luna token …)
    assert user_id_from_jwt(signed, ensure_local_secrets(load_settings()).auth) == user
    expires = datetime.fromtimestamp(jwt.decode(signed, options={"verify_signature": False})["exp"], UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    assert "valid until" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["kunde-1"], "does not name a user UUID"),
        (["00000000-0000-0000-0000-000000000000"], "placeholder"),
        ([str(uuid.uuid4()), "--days", "400"], "--days"),
    ],
)
def test_no_token_for_no_user_or_too_long_a_life(arguments: list[str], says: str) -> None:
    result = runner.invoke(app, ["token", *arguments])

    assert result.exit_code == 2 and says in result.output and not result.stdout.startswith("ey")
