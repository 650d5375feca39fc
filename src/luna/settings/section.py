"""What every settings section shares: frozen, and an unknown key is an error, not a silent default."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, SecretStr


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _at_least_16(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < 16:
        raise ValueError("must be at least 16 characters long")
    return value


#: A key or secret Luna signs or compares with: too short to guess is refused when the settings load.
SecretKey = Annotated[SecretStr, AfterValidator(_at_least_16)]
