"""Distribution: each consumer takes a promoted version in its own format.

* ``energy``: clean readings or prices into the energy store (insert-if-absent on the seed's keys, so
  handing over the same version twice writes nothing twice).
* ``finetune``: chat-format SFT JSON Lines (system, user with the context, assistant) split
  train/val/test by the recorded seed; the split is by the normalised question, so one question (however
  its case and punctuation vary) never sits in two splits.
* ``eval``: helpful answers with their cited passage as a golden set (``golden.py``).
* ``knowledge``: the Q/A pairs as one FAQ document in the knowledge base (``knowledge_feed.py``).
* ``recommender``: interaction events (an old portal's clicks and likes) seeded into the learning loop,
  so popularity and the cold start work from the first day (``seed_events.py``).
* ``webhook``: a JSON notification of the promotion with the addresses to pull the version from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import polars as pl
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from luna.domain.datasets.pipeline import (
    Consumer,
    EnergyConsumer,
    EvalConsumer,
    FinetuneConsumer,
    KnowledgeConsumer,
    RecommenderConsumer,
    WebhookConsumer,
)
from luna.domain.datasets.versions import DatasetVersion
from luna.domain.energy import PriceBatch, ReadingBatch
from luna.domain.errors import Unavailable
from luna.ports.blobs import BlobStore
from luna.ports.energy import EnergyStore
from luna.ports.webhooks import WebhookSender
from luna.services.datasets.dedup import question_key
from luna.services.datasets.golden import write_golden
from luna.services.datasets.knowledge_feed import KnowledgeFeed
from luna.services.datasets.seed_events import seed_events
from luna.services.flywheel.sessions import SessionService
from luna.services.knowledge.corpus import CorpusService
from luna.services.knowledge.knowledge import KnowledgeBase
from luna.services.learning.events import EventService

#: The system turn of every SFT example: Luna's persona, as the answerer's prompt states it.
_WEBHOOK_ATTEMPTS: Final = 3
SFT_SYSTEM = "Du bist Luna, die Energieberaterin. Antworte auf Deutsch, sachlich und mit Quellen [chunk …]."


class LearnerServices(Protocol):
    """What the consumers use of the process's services (``container.services`` satisfies it)."""

    @property
    def knowledge(self) -> KnowledgeBase: ...

    @property
    def corpus(self) -> CorpusService: ...

    @property
    def events(self) -> EventService: ...

    @property
    def sessions(self) -> SessionService: ...


@dataclass(frozen=True, slots=True)
class Targets:
    """Where consumers put what they receive."""

    energy: EnergyStore
    blobs: BlobStore
    webhooks: WebhookSender
    #: The learners' services, asked for when first needed (the knowledge base brings the embedder).
    learners: Callable[[], LearnerServices]
    #: Where golden sets go (``<data_dir>/eval/golden``); set by the dataset service.
    golden_dir: Path = Path("eval/golden")
    #: Pauses before the second and third webhook attempt grow from this (seconds).
    retry_wait_sec: float = 0.5


def deliver(
    consumer: Consumer, version: DatasetVersion, frame: pl.DataFrame, targets: Targets
) -> dict[str, Any]:
    """Hand ``frame`` (the version's records) to ``consumer``; returns what the consumer made of it."""
    if isinstance(consumer, EnergyConsumer):
        return _to_energy(version, frame, targets.energy)
    if isinstance(consumer, WebhookConsumer):
        return _to_webhook(consumer, version, targets)
    if isinstance(consumer, EvalConsumer):
        return write_golden(version, frame, targets.blobs, targets.golden_dir)
    if isinstance(consumer, KnowledgeConsumer):
        learners = targets.learners()
        return KnowledgeFeed(learners.knowledge.ingest, learners.corpus).publish(
            version, frame, consumer.title
        )
    if isinstance(consumer, RecommenderConsumer):
        learners = targets.learners()
        return seed_events(version, frame, learners.events, learners.sessions.user_ref)
    return _to_finetune(consumer, version, frame, targets.blobs)


def promotion(version: DatasetVersion) -> dict[str, Any]:
    """What a subscriber is told: the version, its quality, and where to pull it (admin key needed)."""
    base = f"/api/v1/admin/datasets/{version.dataset}/versions/{version.number}"
    return {
        "event": "dataset.promoted",
        "dataset": version.dataset,
        "version": version.number,
        "version_id": version.version_id,
        "record_type": version.record_type,
        "records": version.records,
        "content_sha256": version.content_sha256,
        "quality_score": version.quality.get("score"),
        "confidence": version.quality.get("confidence"),
        "created_at": version.created_at.isoformat(),
        "data": {fmt: f"{base}/data?format={fmt}" for fmt in ("parquet", "jsonl", "csv")},
    }


def _to_webhook(consumer: WebhookConsumer, version: DatasetVersion, targets: Targets) -> dict[str, Any]:
    attempts = 0

    @retry(
        retry=retry_if_exception_type(Unavailable),
        stop=stop_after_attempt(_WEBHOOK_ATTEMPTS),
        wait=wait_exponential(multiplier=targets.retry_wait_sec, max=8),
        reraise=True,
    )
    def send() -> None:
        nonlocal attempts
        attempts += 1
        targets.webhooks.post(consumer.url, promotion(version))

    send()
    return {"url": consumer.url, "attempts": attempts}


def _to_energy(version: DatasetVersion, frame: pl.DataFrame, energy: EnergyStore) -> dict[str, Any]:
    if version.record_type == "price":
        batch = PriceBatch(
            market=frame["market"].to_numpy().astype(np.str_),
            product=frame["product"].to_numpy().astype(np.str_),
            ts=_seconds(frame),
            price_eur_mwh=frame["price_eur_mwh"].to_numpy().astype(np.float64),
            volume=frame["volume"].fill_null(float("nan")).to_numpy().astype(np.float64),
        )
        stats = energy.write_prices(batch)
    else:
        n = frame.height
        readings = ReadingBatch(
            meter_id=frame["meter_id"].to_numpy().astype(np.str_),
            ts=_seconds(frame),
            consumption_kw=frame["consumption_kw"].to_numpy().astype(np.float64),
            production_kw=frame["production_kw"].fill_null(float("nan")).to_numpy().astype(np.float64),
            voltage=frame["voltage"].fill_null(float("nan")).to_numpy().astype(np.float64),
            quality=np.array(["ok"] * n, dtype=np.str_),
            register_kwh=np.full(n, np.nan),
        )
        stats = energy.write_readings(readings, source="csv")
    return {"inserted": stats.inserted, "already_stored": stats.duplicates}


def _seconds(frame: pl.DataFrame) -> np.ndarray[Any, np.dtype[np.datetime64]]:
    return frame["ts"].dt.replace_time_zone(None).to_numpy().astype("datetime64[s]")


def split_of(key: str, seed: int, shares: tuple[float, float, float]) -> str:
    """train, val or test for a question, the same for every run with the same seed."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    return "train" if position < shares[0] else "val" if position < shares[0] + shares[1] else "test"


def sft_examples(frame: pl.DataFrame, consumer: FinetuneConsumer) -> dict[str, list[dict[str, Any]]]:
    """Chat examples per split; answers rated unhelpful are not examples of how Luna should answer."""
    usable = frame.filter(pl.col("rating").is_null() | (pl.col("rating") > 0))
    questions = usable.select(question_key().alias("k"))["k"].to_list()
    splits: dict[str, list[dict[str, Any]]] = {"train": [], "val": [], "test": []}
    for key, row in zip(questions, usable.iter_rows(named=True), strict=True):
        user = (
            row["question"]
            if not row.get("context")
            else f"Kontext:\n{row['context']}\n\nFrage: {row['question']}"
        )
        example = {
            "messages": [
                {"role": "system", "content": SFT_SYSTEM},
                {"role": "user", "content": user},
                {"role": "assistant", "content": row["answer"]},
            ],
            "meta": {
                k: row.get(k)
                for k in ("source", "owner", "classification", "consent")
                if row.get(k) is not None
            },
        }
        splits[split_of(key, consumer.seed, consumer.split)].append(example)
    return splits


def _to_finetune(
    consumer: FinetuneConsumer, version: DatasetVersion, frame: pl.DataFrame, blobs: BlobStore
) -> dict[str, Any]:
    splits = sft_examples(frame, consumer)
    prefix = f"datasets/{version.dataset}/v{version.number}/sft"
    for name, examples in splits.items():
        body = "".join(json.dumps(example, ensure_ascii=False) + "\n" for example in examples)
        blobs.put(f"{prefix}/{name}.jsonl", body.encode("utf-8"), "application/jsonl")
    return {
        "prefix": prefix,
        "seed": consumer.seed,
        "split": list(consumer.split),
        **{n: len(e) for n, e in splits.items()},
    }
