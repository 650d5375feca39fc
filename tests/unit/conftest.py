"""Fixtures several unit suites share."""

import pytest

from luna.domain.answers import LunaPrompts, load_luna_prompts


@pytest.fixture(scope="session")
def prompts() -> LunaPrompts:
    """Luna's packaged prompts: read once, they are immutable."""
    return load_luna_prompts()
