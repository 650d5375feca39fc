"""SQL backup: a whole-database dump to a file and back, with the database's own tool.

Knowledge-base snapshots (``POST /api/v1/admin/snapshots``) put one of these dumps next to the vector
snapshot and the blobs. The dump is the database's native format (a SQLite file, a ``pg_dump`` custom
archive), so it can also be restored by hand without Luna.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class SqlBackup(Protocol):
    @property
    def tool(self) -> str:
        """What writes the dump (``sqlite-backup``, ``pg_dump``): recorded in the snapshot manifest."""
        ...

    def dump(self, target: Path) -> str:
        """Write a consistent dump of the whole database into the folder ``target``; return its file name.

        Runs while the application keeps working: the dump is one transaction's view of the data.
        """
        ...

    def restore(self, source: Path, file_name: str) -> None:
        """Replace the whole database content with the dump ``source / file_name``.

        Raises :class:`luna.domain.errors.NotFound` for a missing dump and
        :class:`luna.domain.errors.Unavailable` when the tool is missing or fails.
        """
        ...
