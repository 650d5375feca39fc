"""Ratings of Luna's answers (being written: issue #5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["feedback"])
