"""Whole-database dumps for snapshots: SQLite's online backup API, PostgreSQL's ``pg_dump``.

SQLite: :meth:`sqlite3.Connection.backup` copies the database page by page inside one read
transaction, so the copy is consistent while the application keeps writing. The copy is switched out
of WAL mode so the dump is one self-contained file.

PostgreSQL: ``pg_dump -Fc``, one consistent snapshot of the database. The password never appears on a
command line (other users could read it there): it goes to the tool as ``PGPASSWORD``.

Luna never restores these dumps: they hold the whole database, and putting one back would delete
everything written since (see :mod:`luna.ports.sql_backup`). They are there for an operator who must
restore by hand (``docs/architecture.md``, "Snapshots").
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Final

import sqlalchemy as sa

from luna.domain.errors import Unavailable

SQLITE_DUMP_FILE: Final = "luna.sqlite3"
PG_DUMP_FILE: Final = "luna.pgdump"
_SQLITE_TIMEOUT_SEC: Final = 30.0
_STDERR_TAIL_CHARS: Final = 800


def sqlite_path(url_or_path: str | Path) -> Path:
    """The database file of a ``sqlite:///…`` URL, or the path itself."""
    if isinstance(url_or_path, Path):
        return url_or_path
    if not url_or_path.startswith("sqlite:"):
        return Path(url_or_path)
    database = sa.make_url(url_or_path).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ValueError(f"{url_or_path!r} does not name a SQLite database file")
    return Path(database)


class SqliteBackup:
    """:class:`~luna.ports.sql_backup.SqlBackup` for a SQLite database file."""

    def __init__(self, url_or_path: str | Path) -> None:
        self._path = sqlite_path(url_or_path)

    @property
    def tool(self) -> str:
        return "sqlite-backup"

    def dump(self, target: Path) -> str:
        if not self._path.is_file():
            raise Unavailable(f"The SQLite database {self._path} does not exist: nothing to dump.")
        target.mkdir(parents=True, exist_ok=True)
        destination = target / SQLITE_DUMP_FILE
        try:
            with closing(self._connect(self._path)) as live, closing(self._connect(destination)) as copy:
                live.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as error:
            raise Unavailable(f"The SQLite backup of {self._path} failed: {error}") from error
        return SQLITE_DUMP_FILE

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        return sqlite3.connect(path, timeout=_SQLITE_TIMEOUT_SEC)


class PostgresBackup:
    """:class:`~luna.ports.sql_backup.SqlBackup` through the PostgreSQL client tools on ``PATH``.

    The tools must be of the server's major version or newer (``pg_dump`` refuses a newer server).
    """

    def __init__(self, url: str) -> None:
        parsed = sa.make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise ValueError(f"PostgresBackup needs a postgresql:// URL, not {parsed.drivername}://…")
        self._password = parsed.password
        # libpq does not know "+psycopg", and the password goes in PGPASSWORD, not on the command line.
        self._libpq_url = sa.URL.create(
            "postgresql",
            username=parsed.username,
            host=parsed.host,
            port=parsed.port,
            database=parsed.database,
            query=parsed.query,
        ).render_as_string(hide_password=False)

    @property
    def tool(self) -> str:
        return "pg_dump"

    def dump(self, target: Path) -> str:
        target.mkdir(parents=True, exist_ok=True)
        destination = target / PG_DUMP_FILE
        self._run("pg_dump", ["--format=custom", "--no-password", f"--file={destination}"])
        return PG_DUMP_FILE

    def _run(self, program: str, arguments: Sequence[str]) -> None:
        executable = shutil.which(program)
        if executable is None:
            raise Unavailable(
                f"{program} was not found on PATH: install the PostgreSQL client tools "
                "(postgresql-client) of the server's major version."
            )
        environment = {**os.environ, "PGAPPNAME": f"luna-{program}"}
        if self._password is not None:
            environment["PGPASSWORD"] = self._password
        completed = subprocess.run(  # noqa: S603 - fixed program, arguments are not shell-parsed
            [executable, f"--dbname={self._libpq_url}", *arguments],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            tail = completed.stderr.strip()[-_STDERR_TAIL_CHARS:] or "no error output"
            raise Unavailable(f"{program} failed (exit code {completed.returncode}): {tail}")
