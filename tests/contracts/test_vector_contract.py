"""One behaviour suite for every VectorIndex: the embedded Qdrant Edge and qdrant-client (local mode).

Ingest, retrieval and reindexing rely on exactly these behaviours, whichever backend the settings pick.
"""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from luna.adapters.vectors.qdrant import QdrantVectorIndex
from luna.adapters.vectors.qdrant_edge import QdrantEdgeVectorIndex
from luna.domain.errors import Conflict, InvalidInput, NotFound, Unavailable, Unprocessable
from luna.domain.health import HealthStatus
from luna.ports.vectors import PayloadFilter, VectorIndex, VectorPoint

DIM = 4


def unit(*xs: float) -> list[float]:
    norm = math.sqrt(sum(x * x for x in xs))
    return [x / norm for x in xs]


def pid(n: int) -> str:
    """Stable UUID point ids, so expected orders are readable in the tests."""
    return str(uuid.UUID(int=n))


@pytest.fixture(params=["qdrant-edge", "qdrant-client"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndex]:
    vectors: VectorIndex
    if request.param == "qdrant-edge":
        vectors = QdrantEdgeVectorIndex(tmp_path / "vectors", hnsw_ef=64)
    else:
        vectors = QdrantVectorIndex(":memory:", api_key=None, timeout_sec=5)
    yield vectors
    vectors.close()


@pytest.fixture
def docs(index: VectorIndex) -> VectorIndex:
    """A collection ``docs`` with four points at known angles to (1, 0, 0, 0)."""
    index.create_collection("docs", DIM)
    index.upsert(
        "docs",
        [
            VectorPoint(
                pid(1), unit(1, 0, 0, 0), {"item_id": "i1", "kind": "pdf", "tags": ["strom", "tarif"]}
            ),
            VectorPoint(
                pid(2), unit(1, 1, 0, 0), {"item_id": "i1", "kind": "pdf", "tags": ["strom"], "page": 2}
            ),
            VectorPoint(
                pid(3), unit(0, 1, 0, 0), {"item_id": "i2", "kind": "docx", "tags": ["gas"], "ok": True}
            ),
            VectorPoint(pid(4), unit(-1, 0, 0, 0), {"item_id": "i3", "kind": "md", "tags": [], "ok": False}),
        ],
    )
    return index


def test_create_is_idempotent_and_reports_the_dimension(index: VectorIndex) -> None:
    index.create_collection("docs", DIM)
    index.create_collection("docs", DIM)
    assert index.collections() == ["docs"]
    assert index.collection_dim("docs") == DIM
    assert index.collection_dim("missing") is None


def test_create_with_another_dimension_conflicts(index: VectorIndex) -> None:
    index.create_collection("docs", DIM)
    with pytest.raises(Conflict):
        index.create_collection("docs", DIM + 1)


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", "x" * 101])
def test_unsafe_collection_names_are_refused(index: VectorIndex, name: str) -> None:
    with pytest.raises(InvalidInput):
        index.create_collection(name, DIM)


def test_upsert_then_get_count_and_list(docs: VectorIndex) -> None:
    got = docs.get("docs", [pid(3), pid(1), pid(99)])
    assert [p.point_id for p in got] == [pid(3), pid(1)]
    assert got[0].payload["kind"] == "docx"
    assert got[1].vector == pytest.approx(unit(1, 0, 0, 0), abs=1e-6)
    assert docs.count("docs") == 4
    assert docs.point_ids("docs") == [pid(1), pid(2), pid(3), pid(4)]


def test_upsert_replaces_a_point_with_the_same_id(docs: VectorIndex) -> None:
    docs.upsert("docs", [VectorPoint(pid(1), unit(0, 0, 1, 0), {"item_id": "i9"})])
    assert docs.count("docs") == 4
    [point] = docs.get("docs", [pid(1)])
    assert point.payload == {"item_id": "i9"}
    assert point.vector == pytest.approx(unit(0, 0, 1, 0), abs=1e-6)


def test_delete_by_id_and_by_filter(docs: VectorIndex) -> None:
    docs.delete("docs", [pid(4), pid(98)])
    assert docs.point_ids("docs") == [pid(1), pid(2), pid(3)]
    docs.delete_where("docs", {"item_id": "i1"})
    assert docs.point_ids("docs") == [pid(3)]


def test_delete_where_without_a_filter_is_refused(docs: VectorIndex) -> None:
    with pytest.raises(InvalidInput):
        docs.delete_where("docs", {})
    assert docs.count("docs") == 4


def test_search_orders_by_cosine_similarity(docs: VectorIndex) -> None:
    hits = docs.search("docs", unit(1, 0, 0, 0), limit=3)
    assert [h.point_id for h in hits] == [pid(1), pid(2), pid(3)]
    assert [h.score for h in hits] == pytest.approx([1.0, math.sqrt(0.5), 0.0], abs=1e-5)
    assert hits[0].payload["tags"] == ["strom", "tarif"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"kind": "pdf"}, [1, 2]),
        ({"kind": ["docx", "md"]}, [3, 4]),
        ({"tags": "strom"}, [1, 2]),
        ({"tags": ["gas", "tarif"]}, [1, 3]),
        ({"item_id": "i1", "tags": "tarif"}, [1]),
        ({"page": 2}, [2]),
        ({"ok": True}, [3]),
        ({"ok": False}, [4]),
        ({"kind": "none"}, []),
    ],
)
def test_filters_apply_to_search_and_count(
    docs: VectorIndex, where: PayloadFilter, expected: list[int]
) -> None:
    hits = docs.search("docs", unit(1, 0, 0, 0), limit=10, where=where)
    assert sorted(h.point_id for h in hits) == [pid(n) for n in expected]
    assert docs.count("docs", where) == len(expected)


def test_payload_indexes_grow_only_by_the_keys_filtered_on(docs: VectorIndex) -> None:
    before = docs.payload_indexes("docs")
    docs.count("docs", {"ok": True})
    assert before <= docs.payload_indexes("docs") <= before | {"ok"}
    assert docs.payload_indexes("docs") <= {"item_id", "kind", "source", "tags", "ok"}


def test_filtered_search_finds_the_exact_nearest_neighbours(index: VectorIndex) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(400, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    kinds = ["rare" if n % 10 == 0 else "common" for n in range(400)]
    index.create_collection("big", 16)
    index.upsert("big", [VectorPoint(pid(n), vectors[n].tolist(), {"kind": kinds[n]}) for n in range(400)])
    query = vectors[1]
    rare = [n for n in range(400) if kinds[n] == "rare"]
    expected = sorted(rare, key=lambda n: -float(vectors[n] @ query))[:10]
    hits = index.search("big", query.tolist(), limit=10, where={"kind": "rare"})
    assert [h.point_id for h in hits] == [pid(n) for n in expected]


def test_aliases_resolve_and_swap(docs: VectorIndex) -> None:
    docs.create_collection("docs_v2", DIM)
    docs.upsert("docs_v2", [VectorPoint(pid(7), unit(1, 0, 0, 0), {"kind": "pdf"})])
    docs.set_alias("current", "docs")
    assert docs.resolve("current") == "docs"
    assert docs.count("current") == 4
    docs.set_alias("current", "docs_v2")
    assert docs.resolve("current") == "docs_v2"
    assert [h.point_id for h in docs.search("current", unit(1, 0, 0, 0), limit=5)] == [pid(7)]
    assert docs.collection_dim("current") == DIM
    assert docs.resolve("docs") == "docs"
    assert docs.resolve("missing") is None


def test_alias_must_name_an_existing_collection_and_not_shadow_one(docs: VectorIndex) -> None:
    docs.create_collection("other", DIM)
    with pytest.raises(NotFound):
        docs.set_alias("current", "missing")
    with pytest.raises(Conflict):
        docs.set_alias("other", "docs")


def test_drop_removes_the_collection_and_its_aliases(docs: VectorIndex) -> None:
    docs.set_alias("current", "docs")
    docs.drop_collection("docs")
    docs.drop_collection("docs")
    assert docs.collections() == []
    assert docs.resolve("current") is None
    with pytest.raises(NotFound):
        docs.search("docs", unit(1, 0, 0, 0), limit=1)


def test_unknown_collections_raise_not_found(index: VectorIndex) -> None:
    with pytest.raises(NotFound):
        index.upsert("missing", [VectorPoint(pid(1), unit(1, 0, 0, 0))])
    with pytest.raises(NotFound):
        index.count("missing")
    with pytest.raises(NotFound):
        index.point_ids("missing")


def test_wrong_dimensions_and_ids_are_invalid_input(docs: VectorIndex) -> None:
    with pytest.raises(InvalidInput):
        docs.upsert("docs", [VectorPoint(pid(5), [1.0, 0.0, 0.0])])
    with pytest.raises(InvalidInput):
        docs.search("docs", [1.0, 0.0], limit=1)
    with pytest.raises(InvalidInput):
        docs.upsert("docs", [VectorPoint("not-a-uuid", unit(1, 0, 0, 0))])
    assert docs.count("docs") == 4


def test_snapshot_then_restore_gives_identical_results(docs: VectorIndex, tmp_path: Path) -> None:
    docs.create_collection("notes", 3)
    docs.upsert("notes", [VectorPoint(pid(10), unit(0, 0, 1), {"source": "Größe.pdf"})])
    docs.set_alias("current", "docs")
    before = docs.search("current", unit(1, 0.5, 0, 0), limit=4, where={"tags": ["strom", "gas"]})

    docs.snapshot(tmp_path / "snap")
    for name in docs.collections():
        docs.drop_collection(name)
    docs.create_collection("scratch", DIM)
    docs.restore(tmp_path / "snap")

    assert docs.collections() == ["docs", "notes"]
    assert docs.resolve("current") == "docs"
    assert docs.search("current", unit(1, 0.5, 0, 0), limit=4, where={"tags": ["strom", "gas"]}) == before
    assert docs.get("notes", [pid(10)])[0].payload == {"source": "Größe.pdf"}


def test_snapshot_refuses_a_non_empty_target_and_restore_a_foreign_folder(
    docs: VectorIndex, tmp_path: Path
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(Conflict):
        docs.snapshot(tmp_path / "full")
    with pytest.raises(Unprocessable, match=r"no readable manifest\.json") as refused:
        docs.restore(tmp_path / "full")
    assert str(tmp_path) not in refused.value.message  # the server's paths stay with the server
    assert docs.count("docs") == 4


def _damage(snapshot: Path) -> None:
    """What a disk or a careless copy does: a segment file of the edge shard emptied, or the middle of
    a server export's lines cut off."""
    segments = sorted(snapshot.rglob("segment.json"))
    if segments:
        segments[0].write_bytes(b"")
        return
    export = snapshot / "docs.jsonl"
    lines = export.read_text(encoding="utf-8").splitlines()
    export.write_text("\n".join([*lines[:2], lines[2][:20], *lines[3:]]) + "\n", encoding="utf-8")


def test_a_damaged_snapshot_is_refused_and_the_index_stays_as_it_was(
    docs: VectorIndex, tmp_path: Path
) -> None:
    """A restore deleted the live index, put the broken copy in its place and left every search 404."""
    docs.set_alias("current", "docs")
    before = docs.search("current", unit(1, 0.5, 0, 0), limit=4)
    docs.snapshot(tmp_path / "snap")
    _damage(tmp_path / "snap")

    with pytest.raises(Unprocessable, match="docs"):
        docs.restore(tmp_path / "snap")

    assert docs.collections() == ["docs"] and docs.resolve("current") == "docs"
    assert docs.search("current", unit(1, 0.5, 0, 0), limit=4) == before


def test_a_restore_leaves_the_collections_it_is_told_to_keep(docs: VectorIndex, tmp_path: Path) -> None:
    docs.create_collection("sessions", 3)
    docs.snapshot(tmp_path / "snap")
    docs.upsert("sessions", [VectorPoint(pid(20), unit(0, 1, 0), {"user_ref": "k1:abc"})])
    docs.set_alias("questions", "sessions")
    docs.upsert("docs", [VectorPoint(pid(21), unit(0, 0, 0, 1))])

    docs.restore(tmp_path / "snap", keep={"sessions"})

    assert docs.count("docs") == 4  # as the snapshot holds it
    assert docs.count("sessions") == 1 and docs.resolve("questions") == "sessions"  # as it was


def test_health_reports_collections_and_point_counts(docs: VectorIndex) -> None:
    health = docs.health()
    assert health.status is HealthStatus.UP
    assert health.backend in ("qdrant-edge", "qdrant")
    assert health.version
    assert health.extra["collections"] == {"docs": 4}


def test_health_is_down_after_close(index: VectorIndex) -> None:
    index.close()
    assert index.health().status is HealthStatus.DOWN


def test_optimize_keeps_search_results(docs: VectorIndex) -> None:
    before = docs.search("docs", unit(1, 0.2, 0, 0), limit=3, where={"kind": ["pdf", "docx"]})
    docs.optimize()
    assert docs.search("docs", unit(1, 0.2, 0, 0), limit=3, where={"kind": ["pdf", "docx"]}) == before


def test_concurrent_writers_and_readers_see_every_point(index: VectorIndex) -> None:
    index.create_collection("docs", DIM)

    def write_and_read(worker: int) -> None:
        for n in range(25):
            point = pid(worker * 100 + n)
            index.upsert("docs", [VectorPoint(point, unit(1, worker, n, 1), {"kind": f"w{worker}"})])
            index.search("docs", unit(1, 0, 0, 0), limit=3, where={"kind": f"w{worker}"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write_and_read, range(4)))
    assert index.count("docs") == 100
    assert index.count("docs", {"kind": "w3"}) == 25


# -- embedded Edge only: the folder outlives the process, and one process owns it ---------------------


def test_edge_reopen_keeps_points_and_aliases(tmp_path: Path) -> None:
    first = QdrantEdgeVectorIndex(tmp_path / "vectors", hnsw_ef=64)
    first.create_collection("docs", DIM)
    first.upsert("docs", [VectorPoint(pid(1), unit(1, 0, 0, 0), {"kind": "pdf"})])
    first.set_alias("current", "docs")
    first.close()

    second = QdrantEdgeVectorIndex(tmp_path / "vectors", hnsw_ef=64)
    try:
        assert second.resolve("current") == "docs"
        assert second.collection_dim("docs") == DIM
        assert [h.point_id for h in second.search("current", unit(1, 0, 0, 0), 1, {"kind": "pdf"})] == [
            pid(1)
        ]
    finally:
        second.close()


def _disk_bytes(folder: Path) -> int:
    """Bytes the folder's files take on disk (their blocks), not their apparent size."""
    return sum(path.stat().st_blocks * 512 for path in folder.rglob("*") if path.is_file())


def test_an_edge_snapshot_and_its_restore_take_no_more_disk_than_the_index(tmp_path: Path) -> None:
    """Qdrant's preallocated 32 MiB files are mostly holes; copied out in full, a snapshot of a small
    index took 17 times its size on disk."""
    vectors = QdrantEdgeVectorIndex(tmp_path / "vectors", hnsw_ef=64)
    try:
        vectors.create_collection("docs", DIM)
        vectors.upsert("docs", [VectorPoint(pid(i), unit(i, 1, 0, 0), {"kind": "pdf"}) for i in range(1, 51)])
        vectors.snapshot(tmp_path / "backup")
        vectors.restore(tmp_path / "backup")
        assert len(vectors.search("docs", unit(3, 1, 0, 0), 1)) == 1
    finally:
        vectors.close()
    apparent = sum(path.stat().st_size for path in (tmp_path / "backup").rglob("*") if path.is_file())

    assert _disk_bytes(tmp_path / "backup") <= _disk_bytes(tmp_path / "vectors") + 1_000_000 < apparent / 4


def test_an_edge_restore_that_fails_half_way_puts_the_old_collections_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collections replaced were deleted in a ``finally``: a rename failing after them lost them."""
    vectors = QdrantEdgeVectorIndex(tmp_path / "vectors", hnsw_ef=64)
    try:
        for name in ("docs", "notes"):
            vectors.create_collection(name, DIM)
            vectors.upsert(name, [VectorPoint(pid(1), unit(1, 0, 0, 0), {"kind": name})])
        vectors.snapshot(tmp_path / "snap")
        vectors.upsert("docs", [VectorPoint(pid(2), unit(0, 1, 0, 0), {"kind": "later"})])
        rename = Path.rename

        def failing(self: Path, target: Path) -> Path:
            if self.parent.name.startswith(".restore-") and self.name == "notes":
                raise OSError("disk full")
            return rename(self, target)

        monkeypatch.setattr(Path, "rename", failing)
        with pytest.raises(OSError, match="disk full"):
            vectors.restore(tmp_path / "snap")
        monkeypatch.undo()

        assert vectors.collections() == ["docs", "notes"] and vectors.count("docs") == 2
        assert [p.name for p in (tmp_path / "vectors").iterdir() if p.name.startswith(".")] == [".lock"]
    finally:
        vectors.close()


def test_edge_refuses_a_snapshot_inside_its_own_folder(tmp_path: Path) -> None:
    vectors = QdrantEdgeVectorIndex(tmp_path / "vectors", hnsw_ef=64)
    try:
        with pytest.raises(InvalidInput):
            vectors.snapshot(tmp_path / "vectors" / "backup")
    finally:
        vectors.close()


def _open_in_another_process(folder: Path) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from luna.adapters.vectors.qdrant_edge import QdrantEdgeVectorIndex
        from luna.domain.errors import Unavailable
        try:
            QdrantEdgeVectorIndex(Path({str(folder)!r}), hnsw_ef=64).close()
        except Unavailable as exc:
            print(exc.message)
            raise SystemExit(3)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


def test_edge_folder_is_refused_to_a_second_process_until_released(tmp_path: Path) -> None:
    owner = QdrantEdgeVectorIndex(tmp_path / "vectors", hnsw_ef=64)
    owner.create_collection("docs", DIM)
    try:
        refused = _open_in_another_process(tmp_path / "vectors")
        assert refused.returncode == 3, refused.stderr
        assert "in use by another Luna process" in refused.stdout
    finally:
        owner.close()
    assert _open_in_another_process(tmp_path / "vectors").returncode == 0


# -- qdrant-client server mode: what can be checked without a Qdrant server -----------------------------


def test_qdrant_server_unreachable_is_unavailable_and_health_down() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    vectors = QdrantVectorIndex(f"http://127.0.0.1:{port}", api_key=None, timeout_sec=2)
    try:
        with pytest.raises(Unavailable):
            vectors.search("docs", unit(1, 0, 0, 0), limit=1)
        health = vectors.health()
        assert health.status is HealthStatus.DOWN
        assert health.detail and f"127.0.0.1:{port}" in health.detail
    finally:
        vectors.close()
