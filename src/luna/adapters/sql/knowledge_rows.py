"""The knowledge base's rows in a snapshot: JSON lines per table, merged back in place on restore.

Which tables are "the knowledge base": what a search or an answer reads as knowledge and what the
snapshot's blobs belong to. ``items`` and ``item_chunks`` (the documents' rows; their vectors and blobs
are the snapshot's other parts) and ``finetune_adapters`` (the registry of the adapter versions whose
files are the snapshot's ``models/finetune/`` blobs: restoring those files without their rows would
leave rows naming missing files, or files nobody names). Not the knowledge base, so never restored:
users, events, ratings and labels, consent, conversations, service accounts, flywheel sessions, KPIs,
scores, datasets, jobs, the audit log, energy meters/readings/prices, evaluation runs, and the prompt
versions. Their rows change only where they point at a document the restore removes, exactly as when
that document is deleted by hand: events keep their row without the link, the labels of its chunks go.
The prompt versions are left out: an append-only history of what operators wrote (any version can be
made active again by hand, and rolling it back would lose versions written since). Caches derived
from the knowledge base (embeddings, route help) stay too: they are keyed by content, not by rows.

Export runs in one read transaction (REPEATABLE READ on PostgreSQL, a WAL read snapshot on SQLite), so
items, chunks and adapters are consistent with each other. Values are written as JSON: UUIDs as text,
times as ISO 8601 with offset, so a file written by one dialect reads back into the other.

Restore runs in one write transaction, so a failure changes nothing. Rows the snapshot lacks are deleted
first, children before parents (their dependants follow their foreign-key rules: an event keeps its row
with ``item_id`` set to NULL, as when the item is deleted by hand; the review votes on a removed adapter
version, whose foreign key has no rule, are deleted with it). Then, parents before children, rows in
both are updated in place (never deleted and re-inserted: ``ON DELETE SET NULL`` would cut the events
and conversations that point at them) and rows only the snapshot has are inserted. Both sides are held
in memory for the comparison, which suits a knowledge base of documents, not one of millions of rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa

from luna.adapters.sql.column_types import UtcDateTime
from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.engine import SQLITE_BEGIN
from luna.adapters.sql.tables import item_chunks, items
from luna.adapters.sql.tables_finetune import finetune_adapters, finetune_reviews
from luna.domain.errors import Unprocessable
from luna.ports.sql import Database
from luna.ports.sql_backup import RowChanges

#: Parents before children.
KNOWLEDGE_TABLES: Final = (items, item_chunks, finetune_adapters)
#: Rows that must go with a deleted knowledge row because their foreign key has no ``ON DELETE`` rule:
#: (dependant table, its columns that match the parent's primary key, in order).
_DEPENDANTS: Final[dict[str, tuple[sa.Table, tuple[str, ...]]]] = {
    finetune_adapters.name: (finetune_reviews, ("name", "version")),
}
_BATCH: Final = 500
_PG_LOCK_TIMEOUT: Final = "30s"

Key = tuple[Any, ...]
Row = dict[str, Any]


class SqlKnowledgeRows:
    """:class:`~luna.ports.sql_backup.KnowledgeRows` over the application's engine (either dialect)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    @classmethod
    def of(cls, database: Database) -> SqlKnowledgeRows:
        if not isinstance(database, SqlDatabase):  # the only Database adapter
            raise TypeError(f"SqlKnowledgeRows needs a SqlDatabase, not {type(database).__name__}")
        return cls(database.engine)

    @property
    def tables(self) -> dict[str, list[str]]:
        return {table.name: [column.name for column in table.columns] for table in KNOWLEDGE_TABLES}

    def export(self, target: Path) -> dict[str, int]:
        target.mkdir(parents=True, exist_ok=True)
        counts: dict[str, int] = {}
        with self._engine.connect() as connection:
            options: dict[str, Any] = {SQLITE_BEGIN: "DEFERRED"}
            if connection.dialect.name == "postgresql":
                options["isolation_level"] = "REPEATABLE READ"
            reading = connection.execution_options(**options)
            with reading.begin():
                for table in KNOWLEDGE_TABLES:
                    counts[table.name] = _write_table(reading, table, target / f"{table.name}.jsonl")
        return counts

    def restore(self, source: Path, tables: Mapping[str, Sequence[str]]) -> dict[str, RowChanges]:
        if {name: list(columns) for name, columns in tables.items()} != self.tables:
            raise Unprocessable(
                "The snapshot's rows are of other tables or columns than this database's knowledge base "
                f"({sorted(tables)} against {sorted(self.tables)})."
            )
        wanted = {table.name: _read_file(source / f"{table.name}.jsonl", table) for table in KNOWLEDGE_TABLES}
        changes: dict[str, RowChanges] = {}
        with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Writers of these tables wait (reads and events that point at items go on); a session
                # that holds a lock too long turns into an error instead of a restore that waits forever.
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{_PG_LOCK_TIMEOUT}'")
                names = ", ".join(table.name for table in KNOWLEDGE_TABLES)
                connection.exec_driver_sql(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
            current = {table.name: _read_current(connection, table) for table in KNOWLEDGE_TABLES}
            deleted: dict[str, tuple[int, int]] = {}
            for table in reversed(KNOWLEDGE_TABLES):
                gone = [key for key in current[table.name] if key not in wanted[table.name]]
                deleted[table.name] = (len(gone), _delete(connection, table, gone))
            for table in KNOWLEDGE_TABLES:
                have, want = current[table.name], wanted[table.name]
                changed = {key: row for key, row in want.items() if key in have and have[key] != row}
                new = [row for key, row in want.items() if key not in have]
                _free_unique_values(connection, table, changed, have)
                _update(connection, table, changed)
                if new:
                    connection.execute(sa.insert(table), new)
                changes[table.name] = RowChanges(len(new), len(changed), *deleted[table.name])
        return changes


def _write_table(connection: sa.Connection, table: sa.Table, path: Path) -> int:
    query = sa.select(table).order_by(*table.primary_key.columns)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for row in connection.execution_options(yield_per=_BATCH).execute(query).mappings():
            out.write(json.dumps({name: _encode(value) for name, value in row.items()}, ensure_ascii=False))
            out.write("\n")
            written += 1
    return written


def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _decoder(column: sa.Column[Any]) -> Callable[[Any], Any]:
    if isinstance(column.type, sa.Uuid):
        return lambda value: None if value is None else uuid.UUID(value)
    if isinstance(column.type, UtcDateTime):
        return lambda value: None if value is None else datetime.fromisoformat(value)
    return lambda value: value


def _key(table: sa.Table, row: Mapping[str, Any]) -> Key:
    return tuple(row[column.name] for column in table.primary_key.columns)


def _read_file(path: Path, table: sa.Table) -> dict[Key, Row]:
    """The snapshot's rows of ``table`` by primary key; a missing or malformed file changes nothing."""
    decoders = {column.name: _decoder(column) for column in table.columns}
    rows: dict[Key, Row] = {}
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                raw = json.loads(line)
                if not isinstance(raw, dict) or raw.keys() != decoders.keys():
                    raise ValueError(f"line {number} does not hold the table's columns")
                row = {name: decode(raw[name]) for name, decode in decoders.items()}
                rows[_key(table, row)] = row
    except (OSError, ValueError, TypeError, AttributeError) as error:  # uuid.UUID(123): AttributeError
        raise Unprocessable(f"The snapshot's rows of {table.name} cannot be read ({error}).") from error
    return rows


def _read_current(connection: sa.Connection, table: sa.Table) -> dict[Key, Row]:
    rows = [dict(row) for row in connection.execute(sa.select(table)).mappings()]
    return {_key(table, row): row for row in rows}


def _batches(keys: Sequence[Key]) -> Iterator[Sequence[Key]]:
    for start in range(0, len(keys), _BATCH):
        yield keys[start : start + _BATCH]


def _matching(columns: Sequence[sa.ColumnElement[Any]], keys: Sequence[Key]) -> sa.ColumnElement[bool]:
    if len(columns) == 1:
        return columns[0].in_([key[0] for key in keys])
    return sa.tuple_(*columns).in_(keys)


def _delete(connection: sa.Connection, table: sa.Table, keys: Sequence[Key]) -> int:
    """Delete the rows with these keys; return how many dependants without a foreign-key rule went too."""
    dependants = 0
    dependant = _DEPENDANTS.get(table.name)
    for batch in _batches(keys):
        if dependant is not None:
            other, columns = dependant
            filtered = _matching([other.c[name] for name in columns], batch)
            dependants += connection.execute(
                sa.select(sa.func.count()).select_from(other).where(filtered)
            ).scalar_one()
            connection.execute(sa.delete(other).where(filtered))
        connection.execute(sa.delete(table).where(_matching(list(table.primary_key.columns), batch)))
    return dependants


def _free_unique_values(
    connection: sa.Connection, table: sa.Table, changed: Mapping[Key, Row], have: Mapping[Key, Row]
) -> None:
    """Clear unique values that change, so two rows that swap one (a document's hash) never collide."""
    for column in table.columns:
        if not column.unique or not column.nullable:
            continue
        moving = [key for key, row in changed.items() if row[column.name] != have[key][column.name]]
        for batch in _batches(moving):
            where = _matching(list(table.primary_key.columns), batch)
            connection.execute(sa.update(table).where(where).values({column.name: None}))


def _update(connection: sa.Connection, table: sa.Table, changed: Mapping[Key, Row]) -> None:
    if not changed:
        return
    keys = list(table.primary_key.columns)
    others = [column for column in table.columns if column not in keys]
    statement = (
        sa.update(table)
        .where(*(column == sa.bindparam(f"key_{column.name}", type_=column.type) for column in keys))
        .values({column.name: sa.bindparam(f"new_{column.name}", type_=column.type) for column in others})
    )
    parameters = [
        {
            **{f"key_{column.name}": row[column.name] for column in keys},
            **{f"new_{column.name}": row[column.name] for column in others},
        }
        for row in changed.values()
    ]
    connection.execute(statement, parameters)
