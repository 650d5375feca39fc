"""Raw source frames → the record type's canonical columns, typed, in canonical units, in UTC.

Columnar (Polars expressions over whole columns, no Python loop per row), so 100,000 records normalise
in a fraction of a second. What cannot be read (a number that is no number, a time in no known form)
becomes null here and is then caught by validation with its reason; nothing is guessed.
"""

from __future__ import annotations

import polars as pl

from luna.domain.datasets.pipeline import FileSource
from luna.domain.datasets.records import SCHEMAS, UNIT_FACTORS, RecordType
from luna.domain.errors import InvalidInput

#: Bookkeeping columns every frame carries through the steps (not part of the record).
ROW, SOURCE, FLAGS = "_row", "_source", "_flags"

_OFFSET_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z")
_NAIVE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d.%m.%YT%H:%M:%S",
    "%d.%m.%YT%H:%M",
    "%d.%m.%Y",
    "%Y-%m-%d",
)
#: "1.234,5" or "1.234.567" (German thousands), "1,234.5" or "1,234,567" (English thousands). A value with
#: one separator once ("0,42", "1.5", "1,234") reads it as the decimal mark: German data writes decimal
#: commas, and a lone thousands separator cannot be told from one.
_GERMAN_GROUPED = r"^[-+]?\d{1,3}((\.\d{3})+,\d+|(\.\d{3}){2,})$"
_ENGLISH_GROUPED = r"^[-+]?\d{1,3}((,\d{3})+\.\d+|(,\d{3}){2,})$"


def to_canonical(
    frame: pl.DataFrame, record: RecordType, source: FileSource | None, source_name: str
) -> pl.DataFrame:
    """Map, convert and tidy ``frame``; every schema column exists afterwards (null where absent)."""
    schema = SCHEMAS[record]
    mapping = source.columns if source is not None else {}
    constants = source.constants if source is not None else {}
    missing = [column for canonical, column in mapping.items() if column not in frame.columns]
    if missing:
        raise InvalidInput(
            f"source {source_name!r}: the columns {', '.join(sorted(missing))} named in 'columns' are not in "
            f"the data (it has: {', '.join(frame.columns[:20])})"
        )
    expressions: list[pl.Expr] = []
    for column in schema.columns:
        raw_name = mapping.get(column, column)
        if column in constants:
            raw = pl.lit(constants[column])
        elif raw_name in frame.columns:
            raw = pl.col(raw_name)
        else:
            raw = pl.lit(None, dtype=pl.String)
        dtype = frame.schema.get(raw_name) if raw_name in frame.columns else pl.String()
        expressions.append(_convert(raw, column, dtype, record, source).alias(column))
    # Literals alone make one row even from an empty frame; an empty source must stay empty.
    out = frame.select(expressions).head(frame.height)
    return out.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW),
        pl.lit(source_name).alias(SOURCE),
        pl.lit([], dtype=pl.List(pl.String)).alias(FLAGS),
    )


def _convert(
    raw: pl.Expr, column: str, dtype: pl.DataType | None, record: RecordType, source: FileSource | None
) -> pl.Expr:
    schema = SCHEMAS[record]
    if column in schema.timestamps:
        zone = source.timezone if source is not None else "UTC"
        return parse_times(raw, dtype, zone)
    if column in schema.numeric:
        unit = (source.units.get(column) if source is not None else None) or ""
        factor = UNIT_FACTORS.get(column, {}).get(unit.lower(), 1.0)
        return parse_numbers(raw, dtype) * factor
    return tidy_text(raw.cast(pl.String))


def tidy_text(raw: pl.Expr) -> pl.Expr:
    """NFC, no control characters, one space between words, line breaks kept (at most one blank line:
    a passage's headings and paragraphs stay apart), no outer blanks; empty becomes null."""
    text = (
        raw.str.normalize("NFC")
        .str.replace_all("\r\n?", "\n")
        .str.replace_all(r"[\u0000-\u0008\u000b-\u001f\u007f\u200b\ufeff]", "")
        .str.replace_all(r"[^\S\n]+", " ")
        .str.replace_all(r" ?\n ?", "\n")
        .str.replace_all(r"\n{3,}", "\n\n")
        .str.strip_chars()
    )
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(None)


def parse_numbers(raw: pl.Expr, dtype: pl.DataType | None) -> pl.Expr:
    """Numbers written either way ("1.234,5", "1,234.5", "0,42", "0.42") as Float64; else null."""
    if dtype is not None and dtype.is_numeric():
        return raw.cast(pl.Float64)
    text = raw.cast(pl.String).str.replace_all(r"[\s\u00a0']", "")
    german = text.str.contains(_GERMAN_GROUPED)
    english = text.str.contains(_ENGLISH_GROUPED)
    plain = (
        pl.when(german)
        .then(text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .when(english)
        .then(text.str.replace_all(",", "", literal=True))
        .otherwise(text.str.replace(",", ".", literal=True))
    )
    return plain.cast(pl.Float64, strict=False)


def parse_times(raw: pl.Expr, dtype: pl.DataType | None, zone: str) -> pl.Expr:
    """ISO 8601 with or without offset, German ``31.03.2024 14:15``, dates; UTC; a local time that
    does not exist (spring gap) is null, an ambiguous one (autumn) the earlier."""
    if isinstance(dtype, pl.Datetime):
        local = (
            raw
            if dtype.time_zone
            else raw.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        )
        return local.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    text = raw.cast(pl.String).str.strip_chars().str.replace(r"[zZ]$", "+00:00").str.replace(" ", "T")
    with_offset = [
        text.str.to_datetime(f, strict=False, time_zone="UTC", time_unit="us") for f in _OFFSET_FORMATS
    ]
    naive = [text.str.to_datetime(f, strict=False, time_unit="us") for f in _NAIVE_FORMATS]
    local = pl.coalesce(naive).dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
    return pl.coalesce([*with_offset, local.dt.convert_time_zone("UTC")])


def add_flag(frame: pl.DataFrame, mask: pl.Expr, reason: str) -> pl.DataFrame:
    """Append ``reason`` to the flags of the rows where ``mask`` holds."""
    return frame.with_columns(
        pl.when(mask.fill_null(False))
        .then(pl.col(FLAGS).list.concat(pl.lit([reason], dtype=pl.List(pl.String))))
        .otherwise(pl.col(FLAGS))
        .alias(FLAGS)
    )
