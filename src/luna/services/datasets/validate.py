"""The record types' rules as pandera schemas: required fields present, numbers in plausible ranges.

pandera (rather than hand-written checks) because it reports every failing cell with its row and the
check that failed, in one lazy pass, which is what the quality report shows per record.
"""

from __future__ import annotations

from functools import cache

import pandera.polars as pa
import polars as pl

from luna.domain.datasets.records import SCHEMAS, RecordType
from luna.services.datasets.normalise import ROW


@cache
def schema_for(record: RecordType) -> pa.DataFrameSchema:
    schema = SCHEMAS[record]
    ranges = {column: (low, high) for column, low, high in schema.ranges}
    choices = dict(schema.choices)
    columns: dict[str, pa.Column] = {}
    for column in schema.columns:
        checks = []
        if column in ranges:
            checks.append(pa.Check.in_range(*ranges[column]))
        if column in schema.text:
            checks.append(pa.Check.str_length(min_value=2, max_value=20_000))
        if column in choices:
            checks.append(pa.Check.isin(list(choices[column])))
        columns[column] = pa.Column(
            _dtype(column, record), checks=checks, nullable=column not in schema.required, required=True
        )
    return pa.DataFrameSchema(columns, strict=False, name=record)


def _dtype(column: str, record: RecordType) -> pl.DataType:
    schema = SCHEMAS[record]
    if column in schema.timestamps:
        return pl.Datetime("us", "UTC")
    if column in schema.numeric:
        return pl.Float64()
    return pl.String()


def invalid_rows(frame: pl.DataFrame, record: RecordType) -> pl.DataFrame:
    """``_row`` and the reason (``consumption_kw: in_range(0, 100000)``, ``ts: not_nullable``) of every
    failing cell; empty when every record is valid."""
    try:
        schema_for(record).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases: pl.DataFrame = errors.failure_cases.filter(pl.col("index").is_not_null())
        found: pl.DataFrame = (
            cases.select(
                pl.col("index").cast(pl.Int64).alias("position"),
                (pl.col("column") + pl.lit(": ") + pl.col("check")).alias("reason"),
            )
            .join(
                frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("position"), pl.col(ROW)),
                on="position",
            )
            .select(ROW, "reason")
        )
        return found
    return pl.DataFrame(schema={ROW: pl.Int64, "reason": pl.String})
