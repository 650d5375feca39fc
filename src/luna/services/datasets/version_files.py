"""A version's bytes and its group shares: stable Parquet (so equal records hash equally) and the
distribution of the named groups that the bias check compares between versions; and the partitions a
partitioned run's jobs leave for its merge (Parquet and what lineage needs, beside each other)."""

from __future__ import annotations

import io
import json

import polars as pl

from luna.domain.datasets.pipeline import Pipeline
from luna.domain.datasets.records import SCHEMAS
from luna.ports.blobs import BlobStore
from luna.services.datasets.cleaning import QUALITY
from luna.services.datasets.normalise import FLAGS, SOURCE
from luna.services.datasets.sources import SourceRead


def parquet_bytes(frame: pl.DataFrame, pipeline: Pipeline) -> bytes:
    """Stable bytes for the same records (fixed column order, no statistics timestamps), so unchanged
    inputs give the same content hash and the run finds its earlier version."""
    columns = [*SCHEMAS[pipeline.record].columns, SOURCE, FLAGS, QUALITY]
    buffer = io.BytesIO()
    frame.select(columns).write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def group_shares(frame: pl.DataFrame, pipeline: Pipeline) -> dict[str, dict[str, float]]:
    """Share of each value of the record type's group columns (and question length for texts)."""
    groups: dict[str, dict[str, float]] = {}
    if frame.height == 0:
        return groups
    for column in SCHEMAS[pipeline.record].groups:
        if frame[column].null_count() == frame.height:
            continue
        counts = frame[column].fill_null("(leer)").value_counts()
        groups[column] = {str(row[0]): round(row[1] / frame.height, 4) for row in counts.iter_rows()}
    if pipeline.record == "qa_pair":
        lengths = frame["question"].str.len_chars()
        buckets = (
            pl.when(lengths < 40)
            .then(pl.lit("kurz"))
            .when(lengths < 120)
            .then(pl.lit("mittel"))
            .otherwise(pl.lit("lang"))
        )
        counts = frame.select(buckets.alias("b"))["b"].value_counts()
        groups["question_length"] = {
            str(row[0]): round(row[1] / frame.height, 4) for row in counts.iter_rows()
        }
    return groups


def write_part(blobs: BlobStore, prefix: str, part: int, read: SourceRead) -> None:
    buffer = io.BytesIO()
    read.frame.write_parquet(buffer)
    blobs.put(f"{prefix}{part:06d}.parquet", buffer.getvalue())
    meta = {"name": read.name, "address": read.address, "sha256": read.sha256}
    blobs.put(f"{prefix}{part:06d}.json", json.dumps(meta).encode("utf-8"))


def read_parts(blobs: BlobStore, prefix: str) -> list[SourceRead]:
    """The partitions in the order they were planned (sources, then files)."""
    reads = []
    for key in (k for k in blobs.list(prefix) if k.endswith(".json")):
        meta = json.loads(blobs.get(key))
        frame = pl.read_parquet(io.BytesIO(blobs.get(key.removesuffix(".json") + ".parquet")))
        reads.append(SourceRead(meta["name"], meta["address"], meta["sha256"], frame))
    return reads
