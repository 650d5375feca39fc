"""Luna's point ids and payload filters in Qdrant Edge's types."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import qdrant_edge as edge

from luna.domain.errors import InvalidInput
from luna.ports.vectors import PayloadFilter, payload_index_type


def edge_point_id(point_id: str) -> str:
    try:
        return str(uuid.UUID(point_id))
    except ValueError:
        raise InvalidInput(f"point id {point_id!r} is not a UUID") from None


def _condition(key: str, value: Any) -> edge.FieldCondition:
    if isinstance(value, bool):
        # Edge reads a Python bool as the integer 0/1 (bool subclasses int), which never matches a
        # boolean payload; numpy's bool is not an int and arrives as a real boolean.
        return edge.FieldCondition(key=key, match=edge.MatchValue(cast(bool, np.bool_(value))))
    if isinstance(value, str | int):
        return edge.FieldCondition(key=key, match=edge.MatchValue(value))
    if isinstance(value, float):
        return edge.FieldCondition(key=key, range=edge.RangeFloat(gte=value, lte=value))
    if isinstance(value, Sequence):
        return edge.FieldCondition(key=key, match=edge.MatchAny(list(value)))
    raise InvalidInput(f"unsupported filter value for {key!r}: {value!r}")


def edge_filter(where: PayloadFilter | None) -> edge.Filter | None:
    if not where:
        return None
    return edge.Filter(must=[_condition(key, value) for key, value in where.items()])


_SCHEMAS = {
    "bool": edge.PayloadSchemaType.Bool,
    "integer": edge.PayloadSchemaType.Integer,
    "float": edge.PayloadSchemaType.Float,
    "keyword": edge.PayloadSchemaType.Keyword,
}


def schema_for(value: Any) -> edge.PayloadSchemaType:
    return _SCHEMAS[payload_index_type(value)]
