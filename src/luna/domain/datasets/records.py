"""Canonical record types: every source maps its columns into one of these before cleaning.

A pipeline names one record type; the cleaning engine, the quality score and the consumers read the
columns declared here, so a new source only needs a column mapping, never new cleaning code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RecordType = Literal["meter_reading", "price", "qa_pair", "event"]
RECORD_TYPES: tuple[RecordType, ...] = ("meter_reading", "price", "qa_pair", "event")
#: What a seeded interaction may be (the recommender's own ``recommend`` events are never seeded).
SEEDABLE_EVENT_TYPES: tuple[str, ...] = ("view", "click", "like", "dislike", "solve", "ask", "feedback")


@dataclass(frozen=True, slots=True)
class RecordSchema:
    """Columns of a record type by role; ``key`` identifies a record (strict duplicates share it)."""

    name: RecordType
    required: tuple[str, ...]
    optional: tuple[str, ...]
    numeric: tuple[str, ...]
    text: tuple[str, ...]
    timestamps: tuple[str, ...]
    key: tuple[str, ...]
    #: Columns whose distribution the bias check compares between versions (named groups).
    groups: tuple[str, ...]
    #: Plausible range per numeric column; a value outside is invalid, not an outlier.
    ranges: tuple[tuple[str, float, float], ...] = ()
    #: The values a text column may take; another value is invalid.
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def values(self) -> tuple[str, ...]:
        """Required columns that are not part of the key: two records with one key and different values
        here contradict each other (the consistency figure)."""
        return tuple(c for c in self.required if c not in self.key)


SCHEMAS: dict[RecordType, RecordSchema] = {
    "meter_reading": RecordSchema(
        name="meter_reading",
        required=("meter_id", "ts", "consumption_kw"),
        optional=("production_kw", "voltage", "meter_type", "region"),
        numeric=("consumption_kw", "production_kw", "voltage"),
        text=(),
        timestamps=("ts",),
        key=("meter_id", "ts"),
        groups=("meter_type", "region"),
        ranges=(
            ("consumption_kw", 0.0, 100_000.0),
            ("production_kw", 0.0, 100_000.0),
            ("voltage", 0.0, 1_000.0),
        ),
    ),
    "price": RecordSchema(
        name="price",
        required=("market", "product", "ts", "price_eur_mwh"),
        optional=("volume",),
        numeric=("price_eur_mwh", "volume"),
        text=(),
        timestamps=("ts",),
        key=("market", "product", "ts"),
        groups=("market", "product"),
        ranges=(("price_eur_mwh", -10_000.0, 10_000.0), ("volume", 0.0, 1e12)),
    ),
    "qa_pair": RecordSchema(
        name="qa_pair",
        required=("question", "answer"),
        optional=(
            "context",
            "document",
            "source",
            "topic",
            "rating",
            "owner",
            "classification",
            "consent",
            "language",
        ),
        numeric=("rating",),
        text=("question", "answer", "context"),
        timestamps=(),
        key=("question", "answer"),
        groups=("source", "topic", "language"),
        ranges=(("rating", -1.0, 1.0),),
    ),
    "event": RecordSchema(
        name="event",
        required=("user", "item_id", "type", "ts"),
        optional=("chunk_id",),
        numeric=(),
        text=(),
        timestamps=("ts",),
        key=("user", "item_id", "type", "ts"),
        groups=("type",),
        choices=(("type", SEEDABLE_EVENT_TYPES),),
    ),
}

#: Units a source may declare for a numeric column, as the factor into the canonical unit.
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "consumption_kw": {"kw": 1.0, "w": 0.001, "mw": 1000.0},
    "production_kw": {"kw": 1.0, "w": 0.001, "mw": 1000.0},
    "voltage": {"v": 1.0, "kv": 1000.0},
    "price_eur_mwh": {"eur/mwh": 1.0, "eur/kwh": 1000.0, "ct/kwh": 10.0},
}
