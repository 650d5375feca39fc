"""Locks that hold across the processes of one installation: ``luna serve`` processes and ``luna worker``
processes, on one host or several.

Taken at once or not at all, shared or alone. The knowledge base's restore gate
(``services/knowledge/restore_gate.py``) builds on them so that no process writes a document while
another restores a snapshot; a thread lock could only hold within one process.
"""

from __future__ import annotations

import re
from typing import Protocol

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


def checked_lock_name(name: str) -> str:
    """``name`` if it is a lock name (it becomes a file name or a hash key), else ValueError."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"lock names are lower-case letters, digits and hyphens, not {name!r}")
    return name


class LockHold(Protocol):
    def release(self) -> None:
        """Let go of the lock; releasing twice does nothing."""
        ...


class ProcessLocks(Protocol):
    def acquire(self, name: str, *, exclusive: bool) -> LockHold | None:
        """Take the lock ``name`` (lower-case letters, digits, hyphens) shared, or alone if ``exclusive``.

        None when it cannot be taken at once: someone holds it alone, or (for ``exclusive``) holds it
        at all. A process that ends without releasing lets go too, so a crash leaves nothing locked.
        """
        ...
