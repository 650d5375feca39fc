"""``/api/v1/admin/snapshots``: back up and restore the knowledge base as one unit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.snapshots import SnapshotOut, SnapshotRequest
from luna.services.knowledge.snapshots import SnapshotService

router = APIRouter(prefix="/snapshots", tags=["admin"])

Snapshots = Annotated[SnapshotService, from_services(lambda s: s.snapshots)]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error_response("No snapshot with this id")}


@router.post("", status_code=201, summary="Take a snapshot of SQL, vectors and blobs")
def create_snapshot(snapshots: Snapshots, body: SnapshotRequest | None = None) -> Envelope[SnapshotOut]:
    wanted = body or SnapshotRequest()
    info = snapshots.create(vectors=wanted.qdrant, sql=wanted.pg_dump, blobs=wanted.blobs)
    return ok(SnapshotOut.from_info(info), f"Snapshot {info.snapshot_id} written.")


@router.get("", summary="List snapshots, newest first")
def list_snapshots(snapshots: Snapshots) -> Envelope[list[SnapshotOut]]:
    found = snapshots.list()
    return ok([SnapshotOut.from_info(info) for info in found], f"{len(found)} snapshots.")


@router.get("/{snapshot_id}", summary="One snapshot", responses=_NOT_FOUND)
def get_snapshot(snapshots: Snapshots, snapshot_id: str) -> Envelope[SnapshotOut]:
    return ok(SnapshotOut.from_info(snapshots.get(snapshot_id)))


@router.post(
    "/{snapshot_id}/restore",
    summary="Restore a snapshot (puts back the knowledge base; nothing else changes)",
    responses={
        **_NOT_FOUND,
        409: error_response(
            "The snapshot is of another schema revision, or an older whole-database one (restore by hand); "
            "or documents are still being written after 60 s"
        ),
    },
)
def restore_snapshot(snapshots: Snapshots, snapshot_id: str) -> Envelope[SnapshotOut]:
    info = snapshots.restore(snapshot_id)
    return ok(SnapshotOut.from_info(info), f"Snapshot {info.snapshot_id} restored.")


@router.delete("/{snapshot_id}", summary="Delete a snapshot", responses=_NOT_FOUND)
def delete_snapshot(snapshots: Snapshots, snapshot_id: str) -> Envelope[dict[str, str]]:
    snapshots.delete(snapshot_id)
    return ok({"id": snapshot_id}, "Snapshot deleted.")
