"""``/api/v1/admin/snapshots``: one snapshot ID for SQL, vectors and document blobs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from luna.services.knowledge.snapshots import SnapshotInfo


class SnapshotRequest(BaseModel):
    """The seed's flags: ``qdrant`` (vectors) and ``pg_dump`` (SQL dump); blobs are always included."""

    model_config = ConfigDict(extra="forbid")

    qdrant: bool = Field(True, strict=True, description="Include the vector collections")
    pg_dump: bool = Field(
        True, strict=True, description="Include a dump of the SQL database (pg_dump or SQLite backup)"
    )
    blobs: bool = Field(True, strict=True, description="Include the raw and processed documents")


class SnapshotOut(BaseModel):
    id: str
    created_at: datetime
    parts: list[str]
    counts: dict[str, int]
    size_bytes: int
    luna_version: str
    revision: str | None

    @classmethod
    def from_info(cls, info: SnapshotInfo) -> SnapshotOut:
        return cls(
            id=info.snapshot_id,
            created_at=info.created_at,
            parts=list(info.parts),
            counts=info.counts,
            size_bytes=info.size_bytes,
            luna_version=info.luna_version,
            revision=info.revision,
        )
