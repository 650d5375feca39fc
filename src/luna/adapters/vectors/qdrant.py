"""Vector index on a Qdrant server through ``qdrant-client``; ``url=":memory:"`` runs the client's local mode.

Local mode is a pure-Python stand-in for the server (exact search, no payload indexes) used by the tests
and demos; it supports aliases like the server does, so both modes share one code path. Snapshots are
a portable scroll-export (JSON Lines per collection plus a manifest), which works against any server
and in local mode alike.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import threading
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast

from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from luna.domain.errors import Conflict, InvalidInput, LunaError, NotFound, Unavailable, Unprocessable
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.vectors import PayloadFilter, VectorHit, VectorPoint, payload_index_type

#: Payload keys Luna filters on all the time; indexed when a collection is created (server mode).
DEFAULT_INDEXED_KEYS = ("item_id", "kind", "source", "tags")
SNAPSHOT_FORMAT = "luna-qdrant-jsonl/1"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_MANIFEST_FILE = "manifest.json"
_BATCH = 256


def _check_name(name: str) -> str:
    """Names become snapshot file names and must match the embedded adapter's rules."""
    if not _NAME.match(name):
        raise InvalidInput(f"invalid collection or alias name {name!r}: use letters, digits, '_' and '-'")
    return name


def _point_id(point_id: str) -> str:
    try:
        return str(uuid.UUID(point_id))
    except ValueError:
        raise InvalidInput(f"point id {point_id!r} is not a UUID") from None


def _condition(key: str, value: Any) -> qm.FieldCondition:
    if isinstance(value, bool | str | int):
        return qm.FieldCondition(key=key, match=qm.MatchValue(value=value))
    if isinstance(value, float):
        return qm.FieldCondition(key=key, range=qm.Range(gte=value, lte=value))
    if isinstance(value, Sequence):
        return qm.FieldCondition(key=key, match=qm.MatchAny(any=list(value)))
    raise InvalidInput(f"unsupported filter value for {key!r}: {value!r}")


def _filter(where: PayloadFilter | None) -> qm.Filter | None:
    if not where:
        return None
    return qm.Filter(must=[_condition(key, value) for key, value in where.items()])


_SCHEMAS = {
    "bool": qm.PayloadSchemaType.BOOL,
    "integer": qm.PayloadSchemaType.INTEGER,
    "float": qm.PayloadSchemaType.FLOAT,
    "keyword": qm.PayloadSchemaType.KEYWORD,
}


def _schema_for(value: Any) -> qm.PayloadSchemaType:
    return _SCHEMAS[payload_index_type(value)]


@contextmanager
def _backend_errors(collection: str) -> Iterator[None]:
    """Turn the client's errors (HTTP statuses on a server, ValueError in local mode) into Luna's."""
    try:
        yield
    except LunaError:
        raise
    except UnexpectedResponse as exc:
        if exc.status_code == 404:
            raise NotFound(f"vector collection {collection!r} does not exist") from exc
        if exc.status_code in (400, 422):
            raise InvalidInput(f"Qdrant rejected the request on {collection!r}: {exc}") from exc
        raise Unavailable(f"Qdrant failed on {collection!r}: {exc}") from exc
    except ResponseHandlingException as exc:
        raise Unavailable(f"Qdrant is not reachable: {exc}") from exc
    except ValueError as exc:
        if "not found" in str(exc):
            raise NotFound(f"vector collection {collection!r} does not exist") from exc
        raise InvalidInput(f"Qdrant rejected the request on {collection!r}: {exc}") from exc


class QdrantVectorIndex:
    """:class:`~luna.ports.vectors.VectorIndex` on Qdrant (server, or the client's local mode)."""

    def __init__(self, url: str, *, api_key: str | None, timeout_sec: float) -> None:
        self._local = url == ":memory:"
        self._url = url
        if self._local:
            self._client = QdrantClient(location=":memory:")
        else:
            self._client = QdrantClient(
                url=url, api_key=api_key, timeout=max(1, round(timeout_sec)), check_compatibility=False
            )
        # Local mode is plain Python objects without locking; a server serialises on its own.
        self._lock: AbstractContextManager[Any] = threading.RLock() if self._local else nullcontext()
        self._indexed: set[tuple[str, str]] = set()

    # -- collections -------------------------------------------------------------------------------

    def create_collection(self, name: str, dim: int) -> None:
        _check_name(name)
        if dim < 1:
            raise InvalidInput(f"dimension must be positive, got {dim}")
        with self._lock, _backend_errors(name):
            if name in self._aliases():
                raise Conflict(f"{name!r} is already an alias")
            if self._client.collection_exists(name):
                existing = self._dim_of(name)
                if existing != dim:
                    raise Conflict(f"collection {name!r} exists with dimension {existing}, not {dim}")
                return
            self._client.create_collection(
                name, vectors_config=qm.VectorParams(size=dim, distance=qm.Distance.COSINE)
            )
            for key in DEFAULT_INDEXED_KEYS:
                self._ensure_index(name, key, qm.PayloadSchemaType.KEYWORD)

    def drop_collection(self, name: str) -> None:
        _check_name(name)
        with self._lock, _backend_errors(name):
            if name in self._aliases():
                return
            # the server and local mode both drop the collection's aliases with it
            self._client.delete_collection(name)
            self._indexed = {entry for entry in self._indexed if entry[0] != name}

    def collections(self) -> list[str]:
        with self._lock, _backend_errors("*"):
            return sorted(c.name for c in self._client.get_collections().collections)

    def collection_dim(self, name: str) -> int | None:
        with self._lock, _backend_errors(name):
            collection = self.resolve(name)
            return None if collection is None else self._dim_of(collection)

    def set_alias(self, alias: str, collection: str) -> None:
        _check_name(alias)
        with self._lock, _backend_errors(collection):
            aliases = self._aliases()
            if alias not in aliases and self._client.collection_exists(alias):
                raise Conflict(f"{alias!r} is a collection and cannot become an alias")
            if collection in aliases or not self._client.collection_exists(collection):
                raise NotFound(f"collection {collection!r} does not exist")
            operations: list[qm.AliasOperations] = []
            if alias in aliases:
                operations.append(qm.DeleteAliasOperation(delete_alias=qm.DeleteAlias(alias_name=alias)))
            create = qm.CreateAlias(collection_name=collection, alias_name=alias)
            operations.append(qm.CreateAliasOperation(create_alias=create))
            # one request: the server applies the delete and the create atomically
            self._client.update_collection_aliases(operations)

    def resolve(self, name: str) -> str | None:
        with self._lock, _backend_errors(name):
            aliases = self._aliases()
            if name in aliases:
                return aliases[name]
            return name if self._client.collection_exists(name) else None

    def optimize(self, collection: str | None = None) -> None:
        """Nothing to do: a Qdrant server builds its HNSW graphs in the background, local mode has none.

        Present so that callers can treat both adapters alike after a bulk ingest.
        """

    # -- points ------------------------------------------------------------------------------------

    def upsert(self, collection: str, points: Sequence[VectorPoint]) -> None:
        structs = [
            qm.PointStruct(
                id=_point_id(p.point_id), vector=[float(x) for x in p.vector], payload=dict(p.payload)
            )
            for p in points
        ]
        with self._lock, _backend_errors(collection):
            for start in range(0, len(structs), _BATCH):
                self._client.upsert(collection, structs[start : start + _BATCH], wait=True)

    def delete(self, collection: str, point_ids: Sequence[str]) -> None:
        if not point_ids:
            return
        ids: list[qm.ExtendedPointId] = [_point_id(p) for p in point_ids]
        with self._lock, _backend_errors(collection):
            self._client.delete(collection, qm.PointIdsList(points=ids), wait=True)

    def delete_where(self, collection: str, where: PayloadFilter) -> None:
        if not where:
            raise InvalidInput("delete_where needs a filter; use drop_collection to remove everything")
        with self._lock, _backend_errors(collection):
            flt = self._indexed_filter(collection, where)
            assert flt is not None
            self._client.delete(collection, qm.FilterSelector(filter=flt), wait=True)

    def search(
        self, collection: str, vector: Sequence[float], limit: int, where: PayloadFilter | None = None
    ) -> list[VectorHit]:
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        with self._lock, _backend_errors(collection):
            response = self._client.query_points(
                collection,
                query=[float(x) for x in vector],
                query_filter=self._indexed_filter(collection, where),
                limit=limit,
                with_payload=True,
            )
        return [VectorHit(str(p.id), float(p.score), dict(p.payload or {})) for p in response.points]

    def get(self, collection: str, point_ids: Sequence[str]) -> list[VectorPoint]:
        """The stored points in the order asked for; unknown ids are left out."""
        ids: list[qm.ExtendedPointId] = [_point_id(p) for p in point_ids]
        with self._lock, _backend_errors(collection):
            records = (
                self._client.retrieve(collection, ids, with_payload=True, with_vectors=True) if ids else []
            )
        by_id = {str(record.id): record for record in records}
        return [
            VectorPoint(
                str(pid), cast(list[float], by_id[str(pid)].vector), dict(by_id[str(pid)].payload or {})
            )
            for pid in ids
            if str(pid) in by_id
        ]

    def count(self, collection: str, where: PayloadFilter | None = None) -> int:
        with self._lock, _backend_errors(collection):
            flt = self._indexed_filter(collection, where)
            return self._client.count(collection, count_filter=flt, exact=True).count

    def payload_indexes(self, collection: str) -> set[str]:
        with self._lock, _backend_errors(collection):
            return set(self._client.get_collection(collection).payload_schema or {})

    def point_ids(self, collection: str) -> list[str]:
        with self._lock, _backend_errors(collection):
            return sorted(str(record.id) for record in self._scroll(collection, with_data=False))

    # -- backup ------------------------------------------------------------------------------------

    def snapshot(self, target: Path) -> None:
        """Export every collection to ``<collection>.jsonl`` and the aliases to the manifest."""
        if target.exists() and any(target.iterdir()):
            raise Conflict(f"snapshot target {target} is not empty")
        target.mkdir(parents=True, exist_ok=True)
        with self._lock, _backend_errors("*"):
            dims = {name: self._dim_of(name) for name in self.collections()}
            for name in dims:
                with (target / f"{name}.jsonl").open("w", encoding="utf-8") as out:
                    for record in self._scroll(name, with_data=True):
                        line = {
                            "id": str(record.id),
                            "vector": record.vector,
                            "payload": record.payload or {},
                        }
                        out.write(json.dumps(line, ensure_ascii=False) + "\n")
            manifest = {"format": SNAPSHOT_FORMAT, "collections": dims, "aliases": self._aliases()}
        (target / _MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")

    def restore(self, source: Path, keep: Collection[str] = ()) -> None:
        """Replace every collection but ``keep`` (and their aliases) with the export in ``source``. Every
        line of the export is read and checked first: a damaged export is Unprocessable and changes
        nothing."""
        dims, aliases = self._read_manifest(source)
        dims = {name: dim for name, dim in dims.items() if name not in keep}
        for name, dim in dims.items():
            for _ in _points(source / f"{name}.jsonl", dim):
                pass
        with self._lock, _backend_errors("*"):
            kept = {alias: c for alias, c in self._aliases().items() if c in keep}
            for name in self.collections():
                if name not in keep:
                    self.drop_collection(name)
            for name, dim in dims.items():
                self.create_collection(name, dim)
                batch: list[VectorPoint] = []
                for point in _points(source / f"{name}.jsonl", dim):
                    batch.append(point)
                    if len(batch) == _BATCH:
                        self.upsert(name, batch)
                        batch = []
                self.upsert(name, batch)
            for alias, collection in {**aliases, **kept}.items():
                if collection in dims or collection in keep:
                    self.set_alias(alias, collection)

    # -- lifecycle ---------------------------------------------------------------------------------

    def health(self) -> ComponentHealth:
        mode = "local mode (in-process)" if self._local else self._url
        started = time.perf_counter()
        try:
            with self._lock:
                names = [c.name for c in self._client.get_collections().collections]
                latency_ms = (time.perf_counter() - started) * 1000
                version = self._client.info().version
                counts = {name: self._client.count(name, exact=False).count for name in sorted(names)}
                aliases = self._aliases()
        except Exception as exc:  # health never raises: it reports
            return ComponentHealth("vectors", HealthStatus.DOWN, "qdrant", detail=f"{mode}: {exc}")
        return ComponentHealth(
            "vectors",
            HealthStatus.UP,
            "qdrant",
            latency_ms=latency_ms,
            version=version,
            detail=mode,
            extra={
                "collections": counts,
                "aliases": aliases,
                "client_version": importlib.metadata.version("qdrant-client"),
            },
        )

    def close(self) -> None:
        with self._lock:
            self._client.close()

    # -- internals ---------------------------------------------------------------------------------

    def _aliases(self) -> dict[str, str]:
        return {a.alias_name: a.collection_name for a in self._client.get_aliases().aliases}

    def _dim_of(self, name: str) -> int:
        vectors = self._client.get_collection(name).config.params.vectors
        if not isinstance(vectors, qm.VectorParams):
            raise InvalidInput(f"collection {name!r} uses named vectors, which Luna does not")
        return vectors.size

    def _ensure_index(self, collection: str, key: str, schema: qm.PayloadSchemaType) -> None:
        """Create a payload index once per key; local mode has none (it scans), so it is skipped there."""
        if self._local or (collection, key) in self._indexed:
            return
        self._client.create_payload_index(collection, key, field_schema=schema, wait=True)
        self._indexed.add((collection, key))

    def _indexed_filter(self, collection: str, where: PayloadFilter | None) -> qm.Filter | None:
        for key, value in (where or {}).items():
            self._ensure_index(collection, key, _schema_for(value))
        return _filter(where)

    def _scroll(self, collection: str, *, with_data: bool) -> Iterator[qm.Record]:
        offset: qm.ExtendedPointId | None = None
        while True:
            page, next_offset = self._client.scroll(
                collection, limit=_BATCH, offset=offset, with_payload=with_data, with_vectors=with_data
            )
            yield from page
            if next_offset is None:
                return
            offset = next_offset

    @staticmethod
    def _read_manifest(source: Path) -> tuple[dict[str, int], dict[str, str]]:
        """Unprocessable for anything but an export of this format (named without the server's path)."""
        try:
            manifest = json.loads((source / _MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise Unprocessable(f"the vector snapshot has no readable {_MANIFEST_FILE}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != SNAPSHOT_FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise Unprocessable(f"the vector snapshot is in format {found!r}, not {SNAPSHOT_FORMAT!r}")
        dims, aliases = manifest.get("collections"), manifest.get("aliases")
        if not isinstance(dims, dict) or not isinstance(aliases, dict):
            raise Unprocessable(f"the vector snapshot's {_MANIFEST_FILE} lacks its collections or aliases")
        for name in dims:
            _check_name(name)
            if not (source / f"{name}.jsonl").is_file():
                raise Unprocessable(f"the vector snapshot lacks {name}.jsonl named in its manifest")
        return dims, aliases


def _points(export: Path, dim: int) -> Iterator[VectorPoint]:
    """The points of one collection's export; Unprocessable at the first line that is not one."""
    with export.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                row = json.loads(line)
                point = VectorPoint(str(row["id"]), [float(x) for x in row["vector"]], dict(row["payload"]))
            except (ValueError, KeyError, TypeError):
                point = None
            if point is None or len(point.vector) != dim:
                raise Unprocessable(f"the vector snapshot's {export.name} is damaged at line {number}")
            yield point
