"""The recommender consumer: interaction events from another system seeded into Luna's learning loop.

An old portal's logs (who read, clicked or liked which document) give the nightly learning job its
popularity figures from the first day, so the cold start serves what people really used. Users of the
other system are mapped to stable pseudonymous ids through the flywheel's keyed pseudonymiser (HMAC
with ``flywheel.pseudonym_key``, shaped as a UUID), so the same person maps to the same Luna user in
every run, no foreign id is stored, and nobody without the key can test a guessed id against them.
Events naming an item the knowledge base does not hold are left out and counted; every seeded event carries
``meta.seeded_from`` (dataset and version), so seeding can be told apart and undone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Final

import polars as pl

from luna.domain.datasets.versions import DatasetVersion
from luna.domain.errors import InvalidInput
from luna.services.learning.events import EventService

#: Events per transaction (the event API's batch limit).
_BATCH: Final = 1000


def seeded_user(pseudonym: Callable[[str], str], external: str) -> str:
    """The Luna user id of a user of another system: their keyed pseudonym (``<key id>:<hex>``) as a UUID."""
    return str(uuid.UUID(hex=pseudonym(external).rsplit(":", 1)[-1][:32]))


def seed_events(
    version: DatasetVersion, frame: pl.DataFrame, events: EventService, pseudonym: Callable[[str], str]
) -> dict[str, Any]:
    origin = f"{version.dataset} v{version.number}"
    rows = [
        {
            "user_id": seeded_user(pseudonym, str(row["user"])),
            "item_id": row["item_id"],
            "type": row["type"],
            "ts": row["ts"].isoformat(),
            **({"chunk_id": row["chunk_id"]} if row.get("chunk_id") else {}),
            "meta": {"seeded_from": origin},
        }
        for row in frame.iter_rows(named=True)
    ]
    stored = unknown = 0
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        try:
            stored += len(events.record_batch(batch))
        except InvalidInput as refused:  # unknown items or malformed ids: keep the rest of the batch
            bad = {problem["index"] for problem in refused.details.get("errors", [])}
            kept = [event for index, event in enumerate(batch) if index not in bad]
            unknown += len(bad)
            stored += len(events.record_batch(kept)) if kept else 0
    return {"stored": stored, "left_out": unknown, "users": len({r["user_id"] for r in rows})}
