"""Moving-window rate limits from the ``limits`` library.

In memory for one process (the embedded profile); with a ``redis://`` storage every API process of a
deployment counts against the same window, so scaling out does not multiply anyone's allowance.
"""

from __future__ import annotations

import time

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class MovingWindowLimiter:
    def __init__(self, per_minute: int, storage_uri: str = "memory://", namespace: str = "luna") -> None:
        self._per_minute = per_minute
        self._item = RateLimitItemPerMinute(per_minute, namespace=namespace)
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    @property
    def per_minute(self) -> int:
        return self._per_minute

    def hit(self, key: str) -> float | None:
        if self._limiter.hit(self._item, key):
            return None
        reset_at = self._limiter.get_window_stats(self._item, key).reset_time
        return max(reset_at - time.time(), 0.0)
