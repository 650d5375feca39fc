"""Rate limits per caller (``/rag/ask`` per user): a question costs the CPU seconds, so one user must
not be able to starve the others."""

from __future__ import annotations

from typing import Protocol


class RateLimiter(Protocol):
    @property
    def per_minute(self) -> int: ...

    def hit(self, key: str) -> float | None:
        """Count one request of ``key``; None when allowed, else the seconds until the next is allowed."""
        ...
