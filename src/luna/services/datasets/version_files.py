"""A version's bytes and its group shares: stable Parquet (so equal records hash equally) and the
distribution of the named groups that the bias check compares between versions."""

from __future__ import annotations

import io

import polars as pl

from luna.domain.datasets.pipeline import Pipeline
from luna.domain.datasets.records import SCHEMAS
from luna.services.datasets.cleaning import QUALITY
from luna.services.datasets.normalise import FLAGS, SOURCE


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
