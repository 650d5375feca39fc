"""Fixtures several unit suites share."""

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
    monkeypatch.setenv("LUNA_ENV_FILE", str(tmp_path / "absent.env"))
