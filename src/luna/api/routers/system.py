"""``/api/v1/system``: what is running. Public, and cheap enough to serve as a liveness probe."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from luna.api.deps import get_container
from luna.api.envelope import ok
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.system import SystemInfoOut
from luna.container import Container
from luna.services.operations.system import system_info

router = APIRouter(prefix="/system", tags=["system"])


@router.get("/info", summary="Version, build, git commit, models and backends")
def get_system_info(container: Annotated[Container, Depends(get_container)]) -> Envelope[SystemInfoOut]:
    info = system_info(container.settings, container.model_names())
    return ok(SystemInfoOut.model_validate(asdict(info)), "Luna is running.")
