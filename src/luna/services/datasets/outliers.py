"""Outliers by z-score, interquartile range or isolation forest, per column and optionally per group.

Outliers are flagged with the method and the value, never silently removed: a real peak (a heat pump in
a cold snap) looks like a fault to statistics. A pipeline drops them only when it says so.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import polars as pl
from sklearn.ensemble import IsolationForest

from luna.services.datasets.normalise import ROW

Method = Literal["zscore", "iqr", "isolation_forest"]
DEFAULT_THRESHOLDS: dict[Method, float] = {"zscore": 3.0, "iqr": 1.5, "isolation_forest": 0.01}
#: Rows the isolation forest learns from (it scores every row); more adds time, not accuracy.
_FOREST_SAMPLE = 256


def outlier_rows(
    frame: pl.DataFrame, column: str, method: Method, threshold: float | None, by: str | None
) -> pl.Series:
    """The ``_row`` of every outlier in ``column``, the most extreme first, so a report's few examples
    show the worst readings rather than whichever came first (nulls are never outliers)."""
    limit = threshold if threshold is not None else DEFAULT_THRESHOLDS[method]
    if method == "isolation_forest":  # one forest per group: each meter against its own readings
        groups = frame.partition_by(by, maintain_order=True) if by else [frame]
        scored = pl.concat([_forest(group, column, limit) for group in groups])
        return scored.sort("_severity", descending=True, maintain_order=True)[ROW]
    value = pl.col(column)
    over = [by] if by else None

    def grouped(expression: pl.Expr) -> pl.Expr:
        return expression.over(over) if over else expression

    if method == "zscore":
        z = (value - grouped(value.mean())) / grouped(value.std())
        mask, severity = z.abs() > limit, z.abs()
    else:
        q1, q3 = grouped(value.quantile(0.25)), grouped(value.quantile(0.75))
        spread = q3 - q1
        # A group whose middle half is one value (an appliance idle 85 % of the hours) has no spread
        # to judge by: every hour of use would be an "outlier". Such groups are left to the other methods.
        mask = (spread > 0) & ((value < q1 - limit * spread) | (value > q3 + limit * spread))
        severity = pl.max_horizontal(q1 - value, value - q3) / spread
    flagged = frame.with_columns(severity.alias("_severity")).filter(mask.fill_null(False))
    return flagged.sort("_severity", descending=True, maintain_order=True)[ROW]


def _forest(frame: pl.DataFrame, column: str, contamination: float) -> pl.DataFrame:
    """The outliers' ``_row`` and ``_severity`` by an isolation forest on the value and, for time series,
    its hour and weekday (a 3 kW draw is normal at 19:00 and odd at 04:00)."""
    present = frame.filter(pl.col(column).is_not_null() & pl.col(column).is_not_nan())
    if present.height < 10:
        return pl.DataFrame(schema={ROW: pl.Int64, "_severity": pl.Float64})
    features = [present[column].to_numpy()]
    if "ts" in present.columns and present["ts"].null_count() < present.height:
        features += [
            present["ts"].dt.hour().fill_null(0).to_numpy(),
            present["ts"].dt.weekday().fill_null(0).to_numpy(),
        ]
    matrix = np.column_stack(features).astype(np.float64)
    forest = IsolationForest(
        n_estimators=100,
        max_samples=min(_FOREST_SAMPLE, len(matrix)),
        contamination=contamination,
        random_state=0,
    )
    labels = forest.fit_predict(matrix)
    # score_samples: the lower, the more abnormal
    scored = present.with_columns(pl.Series("_severity", -forest.score_samples(matrix)))
    return scored.filter(pl.Series(labels == -1)).select(pl.col(ROW).cast(pl.Int64), "_severity")
