"""Jobs of the learning loop (being written: issue #5)."""

from __future__ import annotations
