"""Routes under /api/v1/sim (issue #4; being written)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
