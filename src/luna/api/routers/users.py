"""A customer's own record, consent and erasure (being written: issue #5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["users"])
