"""Embedded vector index on Qdrant Edge: Qdrant's own segment, HNSW and payload-index code in-process.

Layout under ``path``: one Edge shard per collection in ``<path>/<collection>/``, the aliases in
``<path>/aliases.json`` and a lock file ``<path>/.lock``. Exactly one process may own the folder
(Edge's write-ahead log cannot be shared), so a second process gets a clear
:class:`~luna.domain.errors.Unavailable` instead of Edge's ``WouldBlock`` error.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import threading
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import qdrant_edge as edge

from luna.adapters.vectors.qdrant_edge_filters import edge_filter, edge_point_id, schema_for
from luna.adapters.vectors.qdrant_edge_folder import (
    ALIASES_FILE,
    MANIFEST_FILE,
    SNAPSHOT_FORMAT,
    FolderLock,
    check_name,
    copy_sparse,
    folder_in_use,
    is_collection_name,
    read_aliases,
    read_manifest,
    write_json_atomically,
)
from luna.domain.errors import Conflict, InvalidInput, NotFound, Unavailable, Unprocessable
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.vectors import PayloadFilter, VectorHit, VectorPoint

#: Payload keys Luna filters on all the time; indexed when a collection is created.
DEFAULT_INDEXED_KEYS = ("item_id", "kind", "source", "tags")
#: Up to this many points a filtered search scans exactly (a few ms with payload indexes), so filters
#: never lose recall; above it the filtered HNSW walk uses ACORN.
EXACT_FILTERED_SEARCH_MAX_POINTS = 50_000
_SCROLL_PAGE = 1_000


class QdrantEdgeVectorIndex:
    """:class:`~luna.ports.vectors.VectorIndex` on Qdrant Edge; thread-safe through one lock."""

    def __init__(self, path: Path, *, hnsw_ef: int) -> None:
        self._path = path
        self._hnsw_ef = hnsw_ef
        self._lock = threading.RLock()
        path.mkdir(parents=True, exist_ok=True)
        self._folder_lock = FolderLock(path)
        self._closed = False
        self._shards: dict[str, edge.EdgeShard] = {}
        self._dims: dict[str, int] = {}
        self._indexed: dict[str, set[str]] = {}
        self._aliases: dict[str, str] = {}
        try:
            self._open_all()
        except BaseException:
            self._close_shards()
            self._folder_lock.release()
            raise

    # -- collections -------------------------------------------------------------------------------

    def create_collection(self, name: str, dim: int) -> None:
        check_name(name)
        if dim < 1:
            raise InvalidInput(f"dimension must be positive, got {dim}")
        with self._lock:
            self._require_open()
            if name in self._aliases:
                raise Conflict(f"{name!r} is already an alias")
            existing = self._dims.get(name)
            if existing is not None:
                if existing != dim:
                    raise Conflict(f"collection {name!r} exists with dimension {existing}, not {dim}")
                return
            config = edge.EdgeConfig(
                vectors=edge.EdgeVectorParams(size=dim, distance=edge.Distance.Cosine),
                hnsw_config=edge.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=10_000),
            )
            shard = edge.EdgeShard.create(str(self._path / name), config)
            self._shards[name] = shard
            self._dims[name] = dim
            self._indexed[name] = set()
            for key in DEFAULT_INDEXED_KEYS:
                self._ensure_index(name, key, edge.PayloadSchemaType.Keyword)

    def drop_collection(self, name: str) -> None:
        check_name(name)
        with self._lock:
            self._require_open()
            shard = self._shards.pop(name, None)
            if shard is None:
                return
            shard.close()
            del self._dims[name], self._indexed[name]
            shutil.rmtree(self._path / name)
            remaining = {alias: target for alias, target in self._aliases.items() if target != name}
            if remaining != self._aliases:
                self._save_aliases(remaining)

    def collections(self) -> list[str]:
        with self._lock:
            self._require_open()
            return sorted(self._shards)

    def collection_dim(self, name: str) -> int | None:
        with self._lock:
            collection = self.resolve(name)
            return None if collection is None else self._dims[collection]

    def set_alias(self, alias: str, collection: str) -> None:
        check_name(alias)
        with self._lock:
            self._require_open()
            if alias in self._shards:
                raise Conflict(f"{alias!r} is a collection and cannot become an alias")
            if collection not in self._shards:
                raise NotFound(f"collection {collection!r} does not exist")
            self._save_aliases({**self._aliases, alias: collection})

    def resolve(self, name: str) -> str | None:
        with self._lock:
            self._require_open()
            if name in self._shards:
                return name
            return self._aliases.get(name)

    def optimize(self, collection: str | None = None) -> None:
        """Merge segments and build HNSW graphs where a segment passed Edge's indexing threshold.

        Edge runs no background optimiser, so a bulk ingest calls this (it blocks). Collections below
        the threshold (a few thousand 384-d points) stay plain segments that are scanned exactly.
        """
        with self._lock:
            names = [self._resolve_existing(collection)] if collection else list(self._shards)
            for name in names:
                self._shards[name].optimize()

    # -- points ------------------------------------------------------------------------------------

    def upsert(self, collection: str, points: Sequence[VectorPoint]) -> None:
        if not points:
            return
        with self._lock:
            name = self._resolve_existing(collection)
            dim = self._dims[name]
            batch = []
            for point in points:
                if len(point.vector) != dim:
                    raise InvalidInput(
                        f"vector of {point.point_id} has {len(point.vector)} dims, {name} has {dim}"
                    )
                vector = [float(x) for x in point.vector]
                batch.append(edge.Point(edge_point_id(point.point_id), vector, dict(point.payload)))
            self._shards[name].update(edge.UpdateOperation.upsert_points(batch))

    def delete(self, collection: str, point_ids: Sequence[str]) -> None:
        if not point_ids:
            return
        ids: list[edge.PointId] = [edge_point_id(p) for p in point_ids]
        with self._lock:
            name = self._resolve_existing(collection)
            self._shards[name].update(edge.UpdateOperation.delete_points(ids))

    def delete_where(self, collection: str, where: PayloadFilter) -> None:
        if not where:
            raise InvalidInput("delete_where needs a filter; use drop_collection to remove everything")
        with self._lock:
            name = self._resolve_existing(collection)
            flt = self._indexed_filter(name, where)
            assert flt is not None
            self._shards[name].update(edge.UpdateOperation.delete_points_by_filter(flt))

    def search(
        self, collection: str, vector: Sequence[float], limit: int, where: PayloadFilter | None = None
    ) -> list[VectorHit]:
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        with self._lock:
            name = self._resolve_existing(collection)
            if len(vector) != self._dims[name]:
                raise InvalidInput(f"query has {len(vector)} dims, {name} has {self._dims[name]}")
            shard = self._shards[name]
            flt = self._indexed_filter(name, where)
            exact = flt is not None and shard.info().points_count <= EXACT_FILTERED_SEARCH_MAX_POINTS
            params = edge.SearchParams(
                hnsw_ef=self._hnsw_ef,
                exact=exact,
                acorn=edge.AcornSearchParams(enable=True) if flt is not None and not exact else None,
            )
            request = edge.QueryRequest(
                limit=limit,
                query=edge.Query.Nearest([float(x) for x in vector]),
                filter=flt,
                params=params,
                with_payload=True,
            )
            hits = shard.query(request)
        return [VectorHit(str(hit.id), float(hit.score), dict(hit.payload or {})) for hit in hits]

    def get(self, collection: str, point_ids: Sequence[str]) -> list[VectorPoint]:
        """The stored points in the order asked for; unknown ids are left out."""
        ids: list[edge.PointId] = [edge_point_id(p) for p in point_ids]
        with self._lock:
            name = self._resolve_existing(collection)
            records = self._shards[name].retrieve(ids, True, True) if ids else []
        by_id = {str(record.id): record for record in records}
        return [
            VectorPoint(
                str(pid), cast(list[float], by_id[str(pid)].vector), dict(by_id[str(pid)].payload or {})
            )
            for pid in ids
            if str(pid) in by_id
        ]

    def count(self, collection: str, where: PayloadFilter | None = None) -> int:
        with self._lock:
            name = self._resolve_existing(collection)
            return self._shards[name].count(
                edge.CountRequest(exact=True, filter=self._indexed_filter(name, where))
            )

    def payload_indexes(self, collection: str) -> set[str]:
        with self._lock:
            return set(self._shards[self._resolve_existing(collection)].info().payload_schema)

    def point_ids(self, collection: str) -> list[str]:
        with self._lock:
            name = self._resolve_existing(collection)
            ids = [str(record.id) for record in self._scroll(self._shards[name])]
        return sorted(ids)

    # -- backup ------------------------------------------------------------------------------------

    def snapshot(self, target: Path) -> None:
        """Copy every shard folder and the aliases; the shards are closed meanwhile so files are whole."""
        if target.resolve().is_relative_to(self._path.resolve()):
            raise InvalidInput(f"snapshot target {target} lies inside the vector folder {self._path}")
        if target.exists() and any(target.iterdir()):
            raise Conflict(f"snapshot target {target} is not empty")
        target.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._require_open()
            dims, aliases = dict(self._dims), dict(self._aliases)
            with self._shards_closed():
                for name in dims:
                    shutil.copytree(self._path / name, target / name, copy_function=copy_sparse)
        write_json_atomically(target / ALIASES_FILE, aliases)
        write_json_atomically(target / MANIFEST_FILE, {"format": SNAPSHOT_FORMAT, "collections": dims})

    def restore(self, source: Path, keep: Collection[str] = ()) -> None:
        """Replace every collection but ``keep`` (and their aliases) with the snapshot's.

        Nothing live changes until the snapshot's shards, copied into a staging folder, have each been
        opened: a damaged snapshot (a missing folder, a truncated segment file) is refused as
        Unprocessable and the index stays as it was. The collections replaced are moved aside and only
        deleted once the new ones are in place.
        """
        collections = [name for name in read_manifest(source) if name not in keep]
        aliases = read_aliases(source)
        staging, aside = (self._path / f".{kind}-{uuid.uuid4().hex}" for kind in ("restore", "replaced"))
        with self._lock:
            self._require_open()
            try:
                for name in collections:
                    _stage_shard(source / name, staging / name)
                kept = {alias: c for alias, c in self._aliases.items() if c in keep}
                # An untracked folder of a snapshot's collection's name (a failed earlier restore) would
                # block its rename: it is moved aside as well.
                replaced = {name for name in self._dims if name not in keep}
                replaced |= {name for name in collections if (self._path / name).exists()}
                with self._shards_closed():
                    self._swap(replaced, collections, staging, aside)
                    restored = {alias: c for alias, c in aliases.items() if c in collections}
                    self._save_aliases({**restored, **kept})
                shutil.rmtree(aside, ignore_errors=True)  # only now: until here it is the way back
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def _swap(self, replaced: set[str], collections: Sequence[str], staging: Path, aside: Path) -> None:
        """Move ``replaced`` aside and the staged ``collections`` in; on a failure put everything back
        as it was (a folder moved aside is never deleted before the new ones are in place)."""
        aside.mkdir()
        moved: list[str] = []
        try:
            for name in sorted(replaced):
                (self._path / name).rename(aside / name)
                moved.append(name)
            for name in collections:
                (staging / name).rename(self._path / name)
        except OSError:
            for name in collections:
                if (self._path / name).exists() and not (staging / name).exists():
                    (self._path / name).rename(staging / name)
            for name in moved:
                (aside / name).rename(self._path / name)
            aside.rmdir()  # empty now; were it not, it would keep what it holds
            raise

    # -- lifecycle ---------------------------------------------------------------------------------

    def health(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            with self._lock:
                self._require_open()
                counts = {
                    name: shard.count(edge.CountRequest(exact=True)) for name, shard in self._shards.items()
                }
                aliases = dict(self._aliases)
        except Exception as exc:  # health never raises: it reports
            return ComponentHealth("vectors", HealthStatus.DOWN, "qdrant-edge", detail=str(exc))
        return ComponentHealth(
            "vectors",
            HealthStatus.UP,
            "qdrant-edge",
            latency_ms=(time.perf_counter() - started) * 1000,
            version=importlib.metadata.version("qdrant-edge-py"),
            detail=str(self._path),
            extra={"collections": counts, "aliases": aliases},
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._close_shards()
            self._folder_lock.release()

    # -- internals ---------------------------------------------------------------------------------

    def _open_all(self) -> None:
        for folder in sorted(self._path.iterdir()):
            if folder.is_dir() and is_collection_name(folder.name) and (folder / "edge_config.json").exists():
                self._open_shard(folder.name)
        aliases_file = self._path / ALIASES_FILE
        stored = json.loads(aliases_file.read_text(encoding="utf-8")) if aliases_file.exists() else {}
        self._aliases = {alias: target for alias, target in stored.items() if target in self._shards}

    def _open_shard(self, name: str) -> None:
        folder = self._path / name
        try:
            shard = edge.EdgeShard.load(str(folder))
        except Exception as exc:
            if "WouldBlock" in str(exc):
                raise folder_in_use(self._path) from exc
            raise
        config = json.loads((folder / "edge_config.json").read_text(encoding="utf-8"))
        self._shards[name] = shard
        self._dims[name] = int(config["vectors"][""]["size"])
        self._indexed[name] = set(shard.info().payload_schema)

    def _close_shards(self) -> None:
        for shard in self._shards.values():
            shard.close()
        self._shards.clear()
        self._dims.clear()
        self._indexed.clear()

    @contextmanager
    def _shards_closed(self) -> Iterator[None]:
        """Close every shard (flushing it) for the duration, then reopen what is on disk."""
        self._close_shards()
        try:
            yield
        finally:
            self._open_all()

    def _save_aliases(self, aliases: dict[str, str]) -> None:
        write_json_atomically(self._path / ALIASES_FILE, aliases)
        self._aliases = aliases

    def _require_open(self) -> None:
        if self._closed:
            raise Unavailable(f"the vector index at {self._path} is closed")

    def _resolve_existing(self, name: str) -> str:
        self._require_open()
        collection = self.resolve(name)
        if collection is None:
            raise NotFound(f"vector collection {name!r} does not exist")
        return collection

    def _ensure_index(self, name: str, key: str, schema: edge.PayloadSchemaType) -> None:
        if key not in self._indexed[name]:
            self._shards[name].update(edge.UpdateOperation.create_field_index(key, schema))
            self._indexed[name].add(key)

    def _indexed_filter(self, name: str, where: PayloadFilter | None) -> edge.Filter | None:
        """The Edge filter for ``where``, indexing each key first so the planner can use it."""
        for key, value in (where or {}).items():
            self._ensure_index(name, key, schema_for(value))
        return edge_filter(where)

    @staticmethod
    def _scroll(shard: edge.EdgeShard) -> Iterator[edge.Record]:
        offset: edge.PointId | None = None
        while True:
            page, offset = shard.scroll(
                edge.ScrollRequest(offset=offset, limit=_SCROLL_PAGE, with_payload=False, with_vector=False)
            )
            yield from page
            if offset is None:
                return


def _stage_shard(source: Path, staged: Path) -> None:
    """Copy one collection of a snapshot and open the copy (opening writes to its folder, so never the
    snapshot itself): Unprocessable when the snapshot's shard is missing or will not load."""
    if not (source / "edge_config.json").is_file():
        raise Unprocessable(f"the vector snapshot lacks its collection {source.name!r}")
    shutil.copytree(source, staged, copy_function=copy_sparse)
    try:
        edge.EdgeShard.load(str(staged)).close()
    except Exception as error:
        first_line = str(error).splitlines()[0].replace(str(staged), source.name)[:200]
        raise Unprocessable(
            f"the vector snapshot's collection {source.name!r} will not open: {first_line}"
        ) from None
