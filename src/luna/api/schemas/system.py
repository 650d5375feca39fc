"""``GET /api/v1/system/info``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SystemInfoOut(BaseModel):
    name: str = Field(examples=["Luna"])
    version: str = Field(description="Luna's package version")
    build: str = Field(description="Interpreter and platform, e.g. `CPython 3.11.9 on Linux x86_64`")
    git_sha: str = Field(description="Deployed commit, or `unknown`")
    profile: str = Field(description="Settings profile (`default`, `server`, `test` …)")
    models: dict[str, str] = Field(description="Configured models by role, as `backend:model`")
    backends: dict[str, str] = Field(description="Configured backend of each capability")
