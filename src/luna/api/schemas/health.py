"""``GET /api/v1/admin/health``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ComponentHealthOut(BaseModel):
    status: Literal["up", "down", "disabled"]
    backend: str = Field(description="Which implementation serves this capability")
    latency_ms: float | None = Field(default=None, description="How long the check took")
    version: str | None = None
    detail: str | None = Field(default=None, description="Why it is down, or what it reports")
    extra: dict[str, Any] = Field(default_factory=dict)


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="`degraded` when any component is down")
    services: dict[str, str] = Field(
        description="The seed's view: api, db, qdrant, ollama, tika, minio → up, down, disabled or "
        "not_used (the embedded default plays that role)"
    )
    components: dict[str, ComponentHealthOut]
    versions: dict[str, str] = Field(description="Luna's version and each component's reported version")
