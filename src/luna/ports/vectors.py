"""Vector index: named collections of points (id, vector, payload) with filtered nearest-neighbour search.

Collections are reached through aliases so that a reindex can fill a shadow collection and swap the
alias atomically, keeping the old collection for rollback.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from luna.domain.health import ComponentHealth

#: Equality filter: each key must match; a list value means "any of these"; a payload list field
#: (``tags``) matches when it contains the value.
PayloadFilter = Mapping[str, str | int | float | bool | Sequence[str | int]]


PayloadIndexType = Literal["bool", "integer", "float", "keyword"]


def payload_index_type(value: Any) -> PayloadIndexType:
    """The payload index a field needs, judged from a sample value (a list by its first element).

    Both adapters index the same fields the same way, so a filter behaves alike on either.
    """
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, Sequence) and not isinstance(value, str) and value and isinstance(value[0], int):
        return "integer"
    return "keyword"


@dataclass(frozen=True, slots=True)
class VectorPoint:
    point_id: str
    vector: Sequence[float]
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VectorHit:
    point_id: str
    score: float
    payload: dict[str, Any]


class VectorIndex(Protocol):
    def create_collection(self, name: str, dim: int) -> None:
        """Create an empty cosine collection; a no-op when it exists with the same dimension."""
        ...

    def drop_collection(self, name: str) -> None: ...

    def collections(self) -> list[str]: ...

    def collection_dim(self, name: str) -> int | None: ...

    def set_alias(self, alias: str, collection: str) -> None:
        """Point ``alias`` at ``collection`` atomically (readers never see a half-swapped state)."""
        ...

    def resolve(self, name: str) -> str | None:
        """The collection an alias points at, the name itself for a plain collection, else None."""
        ...

    def upsert(self, collection: str, points: Sequence[VectorPoint]) -> None: ...

    def delete(self, collection: str, point_ids: Sequence[str]) -> None: ...

    def delete_where(self, collection: str, where: PayloadFilter) -> None: ...

    def search(
        self, collection: str, vector: Sequence[float], limit: int, where: PayloadFilter | None = None
    ) -> list[VectorHit]:
        """Nearest points by cosine similarity, best first; ``score`` is the similarity."""
        ...

    def get(self, collection: str, point_ids: Sequence[str]) -> list[VectorPoint]: ...

    def count(self, collection: str, where: PayloadFilter | None = None) -> int: ...

    def point_ids(self, collection: str) -> list[str]: ...

    def payload_indexes(self, collection: str) -> set[str]:
        """The payload fields with an index: each one costs build time and disk, so callers bound them.

        Empty where the backend has no payload indexes and scans instead (qdrant-client's local mode).
        """
        ...

    def optimize(self, collection: str | None = None) -> None:
        """Build search structures after a bulk load (embedded HNSW; the Qdrant server does it itself)."""
        ...

    def snapshot(self, target: Path) -> None:
        """Write every collection and alias to the folder ``target`` (for backups)."""
        ...

    def restore(self, source: Path, keep: Collection[str] = ()) -> None:
        """Replace all collections but ``keep`` (and their aliases) with those in a folder written by
        :meth:`snapshot`. The snapshot is checked whole before anything changes: a damaged one is
        :class:`~luna.domain.errors.Unprocessable` and leaves the index as it was."""
        ...

    def health(self) -> ComponentHealth: ...

    def close(self) -> None: ...
