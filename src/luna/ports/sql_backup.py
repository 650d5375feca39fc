"""SQL in a snapshot: a native whole-database dump, and the knowledge base's rows in a neutral form.

Knowledge-base snapshots (``POST /api/v1/admin/snapshots``) hold both. The dump (:class:`SqlBackup`) is
the database's own format (a SQLite file, a ``pg_dump`` custom archive) and is only ever restored by
hand: it is the whole database, and putting it back would delete every event, rating, conversation,
account and meter reading written since. Luna itself restores the knowledge base's rows
(:class:`KnowledgeRows`) and leaves every other table as it is ("acknowledged data is never lost").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class RowChanges:
    """What restoring one table changed (for the restore's audit entry)."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    #: Rows of other tables deleted with rows of this one because nothing else may point at them.
    dependants_deleted: int = 0


class KnowledgeRows(Protocol):
    """The rows of the knowledge-base tables, written to files and merged back in place."""

    @property
    def tables(self) -> Mapping[str, Sequence[str]]:
        """The knowledge-base tables (parents first) and their columns, as the manifest records them."""
        ...

    def export(self, target: Path) -> dict[str, int]:
        """Write every row of those tables into the folder ``target`` in one read transaction.

        Returns the number of rows per table.
        """
        ...

    def restore(self, source: Path, tables: Mapping[str, Sequence[str]]) -> dict[str, RowChanges]:
        """Make the knowledge-base tables equal the rows under ``source``, in one transaction.

        ``tables`` is what the snapshot's manifest says it holds; a mismatch with :attr:`tables` raises
        :class:`luna.domain.errors.Unprocessable` before anything changes. Rows in both are updated in
        place (references from other tables keep pointing at them), rows only the snapshot has are
        inserted, rows it lacks are deleted; no other table is touched except through those deletions'
        foreign-key rules.
        """
        ...
