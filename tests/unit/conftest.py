"""Fixtures several unit suites share."""

import os
from pathlib import Path

import pytest

from luna.domain.answers import LunaPrompts, load_luna_prompts


@pytest.fixture(scope="session")
def prompts() -> LunaPrompts:
    """Luna's packaged prompts: read once, they are immutable."""
    return load_luna_prompts()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `luna` command's settings for a test: the test profile, a fresh data dir, no .env file."""
    monkeypatch.setenv("LUNA_PROFILE", "test")
    monkeypatch.setenv("LUNA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LUNA_ENV_FILE", os.devnull)
    # An install's keys: a command that finds neither them nor a secrets.json refuses (a mistyped data dir).
    monkeypatch.setenv("LUNA_AUTH__ADMIN_API_KEY", "unit-admin-key-0123456789")
    monkeypatch.setenv("LUNA_AUTH__JWT_SECRET", "unit-jwt-secret-0123456789abcdef")
    monkeypatch.setenv("LUNA_FLYWHEEL__PSEUDONYM_KEY", "unit-pseudonym-key-0123456789")
