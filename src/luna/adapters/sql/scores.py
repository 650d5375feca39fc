"""SQL repositories of the learning job's versioned scores and of the audit log.

A version row and its scores are written in the caller's transaction, so a reader sees a version
either with all its scores or not at all. Scores are read by target ID within one version (the
primary key ``(version, target, target_id)`` serves those lookups and the keyset paging).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from luna.adapters.sql.keys import parse_uuid, require_uuid
from luna.adapters.sql.tables import audit_log, score_versions
from luna.adapters.sql.tables import scores as score_rows
from luna.domain.scores import AuditEntry, Score, ScoreTarget, ScoreVersion

_KEYS_PER_STATEMENT: Final = 500
"""IDs bound into one ``IN (…)``: far below SQLite's parameter limit, few round trips."""

_ROWS_PER_INSERT: Final = 5000
_RANKED_BY: Final = {"popularity": score_rows.c.popularity, "quality": score_rows.c.quality}


class SqlScoreRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add_version(self, version: ScoreVersion, scores: Sequence[Score]) -> int:
        connection = self._connection()
        row = {
            "computed_at": version.computed_at,
            "as_of": version.as_of,
            "actor": version.actor,
            "job_id": require_uuid(version.job_id, "job_id") if version.job_id else None,
            "inputs_sha256": version.inputs_sha256,
            "chunks": version.chunks,
            "items": version.items,
            "params": dict(version.params),
        }
        inserted = connection.execute(
            sa.insert(score_versions).values(row).returning(score_versions.c.version)
        )
        number = int(inserted.scalar_one())
        rows = [_score_row(number, score) for score in scores]
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            connection.execute(sa.insert(score_rows), rows[start : start + _ROWS_PER_INSERT])
        return number

    def latest_version(self) -> ScoreVersion | None:
        found = self.versions(limit=1)
        return found[0] if found else None

    def versions(self, limit: int = 20) -> list[ScoreVersion]:
        if limit < 0:
            raise ValueError("limit must not be negative")
        statement = sa.select(score_versions).order_by(score_versions.c.version.desc()).limit(limit)
        return [_to_version(row) for row in self._connection().execute(statement)]

    def get_many(
        self, target: ScoreTarget, target_ids: Collection[str], *, version: int | None = None
    ) -> dict[str, Score]:
        keys = sorted({key for key in map(parse_uuid, target_ids) if key is not None})
        if not keys:
            return {}
        chosen = self._version(version)
        if chosen is None:
            return {}
        found: dict[str, Score] = {}
        for start in range(0, len(keys), _KEYS_PER_STATEMENT):
            statement = sa.select(score_rows).where(
                score_rows.c.version == chosen,
                score_rows.c.target == ScoreTarget(target).value,
                score_rows.c.target_id.in_(keys[start : start + _KEYS_PER_STATEMENT]),
            )
            for row in self._connection().execute(statement):
                score = _to_score(row)
                found[score.target_id] = score
        return found

    def top(
        self, target: ScoreTarget, limit: int, *, by: str = "popularity", version: int | None = None
    ) -> list[Score]:
        column = _RANKED_BY.get(by)
        if column is None:
            raise ValueError(f"scores rank by popularity or quality, not {by!r}")
        if limit < 0:
            raise ValueError("limit must not be negative")
        chosen = self._version(version)
        if chosen is None:
            return []
        statement = (
            sa.select(score_rows)
            .where(score_rows.c.version == chosen, score_rows.c.target == ScoreTarget(target).value)
            .order_by(column.desc(), score_rows.c.target_id)
            .limit(limit)
        )
        return [_to_score(row) for row in self._connection().execute(statement)]

    def scores_of(self, version: int, target: ScoreTarget, batch_size: int = 5000) -> Iterator[list[Score]]:
        """Keyset paging on the primary key: each batch is one short query, however large the version."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        after: uuid.UUID | None = None
        while True:
            statement = sa.select(score_rows).where(
                score_rows.c.version == version, score_rows.c.target == ScoreTarget(target).value
            )
            if after is not None:
                statement = statement.where(score_rows.c.target_id > after)
            rows = (
                self._connection().execute(statement.order_by(score_rows.c.target_id).limit(batch_size)).all()
            )
            if not rows:
                return
            yield [_to_score(row) for row in rows]
            if len(rows) < batch_size:
                return
            after = rows[-1].target_id

    def _version(self, version: int | None) -> int | None:
        if version is not None:
            return version
        newest = self._connection().execute(sa.select(sa.func.max(score_versions.c.version))).scalar()
        return None if newest is None else int(newest)


class SqlAuditRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, entry: AuditEntry) -> None:
        self._connection().execute(
            sa.insert(audit_log).values(
                audit_id=require_uuid(entry.audit_id, "audit_id"),
                ts=entry.ts,
                actor=entry.actor,
                action=entry.action,
                target=entry.target,
                details=dict(entry.details),
            )
        )

    def list(
        self, *, action: str | None = None, limit: int = 50, since: datetime | None = None, offset: int = 0
    ) -> list[AuditEntry]:
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        statement = sa.select(audit_log).order_by(audit_log.c.ts.desc(), audit_log.c.audit_id.desc())
        if action is not None:
            statement = statement.where(audit_log.c.action == action)
        if since is not None:
            statement = statement.where(audit_log.c.ts >= since)
        page = statement.limit(limit).offset(offset)
        return [_to_entry(row) for row in self._connection().execute(page)]


def _score_row(version: int, score: Score) -> dict[str, Any]:
    return {
        "version": version,
        "target": ScoreTarget(score.target).value,
        "target_id": require_uuid(score.target_id, "target_id"),
        "popularity": score.popularity,
        "quality": score.quality,
        "events": score.events,
        "positives": score.positives,
        "negatives": score.negatives,
    }


def _to_score(row: sa.Row[Any]) -> Score:
    return Score(
        target=ScoreTarget(row.target),
        target_id=str(row.target_id),
        popularity=float(row.popularity),
        quality=float(row.quality),
        events=int(row.events),
        positives=int(row.positives),
        negatives=int(row.negatives),
    )


def _to_version(row: sa.Row[Any]) -> ScoreVersion:
    return ScoreVersion(
        version=int(row.version),
        computed_at=row.computed_at,
        as_of=row.as_of,
        actor=row.actor,
        inputs_sha256=row.inputs_sha256,
        chunks=int(row.chunks),
        items=int(row.items),
        params=dict(row.params or {}),
        job_id=str(row.job_id) if row.job_id is not None else None,
    )


def _to_entry(row: sa.Row[Any]) -> AuditEntry:
    return AuditEntry(
        audit_id=str(row.audit_id),
        ts=row.ts,
        actor=row.actor,
        action=row.action,
        target=row.target,
        details=dict(row.details or {}),
    )
