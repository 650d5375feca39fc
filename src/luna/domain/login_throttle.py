"""Slowing down guesses of the admin key: a client that keeps failing waits longer and longer.

Without it a script tries keys as fast as the server answers (25 wrong keys in 7.5 s was measured).
After ``free_failures`` wrong keys from one client, every further attempt from it is refused until a
lock expires, even with the right key, and each new failure doubles the lock (up to ``max_lock_sec``).
A success clears the client's record. State is per process and bounded: the oldest clients are
forgotten first, so a flood of addresses cannot exhaust memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from luna.domain.errors import RateLimited


@dataclass(slots=True)
class _Record:
    failures: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    def __init__(
        self,
        *,
        free_failures: int = 5,
        base_lock_sec: float = 2.0,
        max_lock_sec: float = 300.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free = free_failures
        self._base = base_lock_sec
        self._max = max_lock_sec
        self._max_clients = max_clients
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise :class:`RateLimited` (with ``retry_after_sec``) while ``client`` is locked out."""
        with self._lock:
            record = self._records.get(client)
            wait = 0.0 if record is None else record.locked_until - self._clock()
        if wait > 0:
            raise RateLimited(
                "Too many wrong admin keys from this address; try again later.",
                details={"retry_after_sec": round(wait, 1)},
            )

    def failed(self, client: str) -> None:
        with self._lock:
            record = self._records.pop(client, None) or _Record()
            record.failures += 1
            excess = record.failures - self._free
            if excess >= 0:
                record.locked_until = self._clock() + min(self._max, self._base * 2**excess)
            self._records[client] = record
            while len(self._records) > self._max_clients:
                self._records.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._records.pop(client, None)
