"""The value types every flywheel step shares: which KPIs exist, their windows, one measured value.

KPI names are a closed vocabulary (:class:`Kpi`), so a threshold file that names an unknown KPI fails
at load instead of never firing. ``scope`` is ``"all"`` or ``"topic:<name>"``: the same KPI is
measured over every session and per topic, and a threshold chooses which it watches.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

#: The scope of a KPI measured over all sessions.
ALL: Final = "all"


def topic_scope(topic: str) -> str:
    return f"topic:{topic}"


class Kpi(StrEnum):
    """What the flywheel measures; the value is a rate in 0..1 unless the name says otherwise."""

    USEFULNESS_RATE = "usefulness_rate"  # 👍 / rated turns
    THUMBS_DOWN_RATE = "thumbs_down_rate"  # 👎 / turns
    REFUSAL_RATE = "refusal_rate"  # refused / turns
    CITATION_VALIDITY = "citation_validity"  # cited chunk IDs that exist / cited chunk IDs
    UNSUPPORTED_NUMBER_RATE = "unsupported_number_rate"  # answers with a number no source states / checked
    RETRIEVAL_CONFIDENCE = "retrieval_confidence"  # mean best retrieval score
    LATENCY_P95_MS = "latency_p95_ms"  # 95th percentile answer time in milliseconds
    REPEAT_QUESTION_RATE = "repeat_question_rate"  # questions a user asked again in the window / turns
    NEGATIVE_SENTIMENT_RATE = "negative_sentiment_rate"  # negative notes and follow-ups / those with text
    GOLDEN_HIT_AT_5 = "golden_hit_at_5"  # golden-set runs: answerable questions found in the top 5
    GOLDEN_ANSWER_RATE = "golden_answer_rate"  # golden-set runs: answers that state the expected figure


#: The KPIs measured on session turns (the golden-set ones come from evaluation runs).
TURN_KPIS: Final = tuple(kpi for kpi in Kpi if not kpi.value.startswith("golden_"))


#: German names of the KPIs, as operators read them (admin view, Grafana, reports).
KPI_TITLES: Final = {
    Kpi.USEFULNESS_RATE: "Hilfreich-Quote",
    Kpi.THUMBS_DOWN_RATE: "Nicht-hilfreich-Quote",
    Kpi.REFUSAL_RATE: "Ablehnungsquote",
    Kpi.CITATION_VALIDITY: "Gültige Quellenangaben",
    Kpi.UNSUPPORTED_NUMBER_RATE: "Zahlen ohne Beleg",
    Kpi.RETRIEVAL_CONFIDENCE: "Suchsicherheit",
    Kpi.LATENCY_P95_MS: "Antwortzeit p95 (ms)",
    Kpi.REPEAT_QUESTION_RATE: "Wiederholte Fragen",
    Kpi.NEGATIVE_SENTIMENT_RATE: "Negative Rückmeldungen",
    Kpi.GOLDEN_HIT_AT_5: "Golden Set: Treffer unter den ersten 5",
    Kpi.GOLDEN_ANSWER_RATE: "Golden Set: Antwort nennt den Wert",
}


class Window(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"

    @property
    def length(self) -> timedelta:
        return {
            Window.HOUR: timedelta(hours=1),
            Window.DAY: timedelta(days=1),
            Window.WEEK: timedelta(weeks=1),
        }[self]


@dataclass(frozen=True, slots=True)
class KpiValue:
    """One KPI over one window bucket ``[bucket_start, bucket_start + window.length)`` and one scope.

    ``samples`` is how many observations the value rests on (rated turns for the usefulness rate,
    turns with a latency for the p95 …), so a threshold can ignore values measured on too few.
    """

    kpi: Kpi
    window: Window
    bucket_start: datetime
    scope: str
    value: float
    samples: int


#: Where the exported KPI files lie in the blob store.
KPI_PREFIX: Final = "kpi/"

#: Columns of an exported KPI file, in order (``kpi/<window>/<date>.csv`` in the blob store).
EXPORT_COLUMNS: Final = ("kpi", "window", "bucket_start", "scope", "value", "samples")


def export_files(values: Iterable[KpiValue]) -> dict[str, str]:
    """KPI values as CSV files, one per window and UTC date of the bucket start.

    A run recomputes whole buckets, so each file is rewritten complete; tools without SQL access
    (spreadsheets, the blueprint's journal) read these instead of the ``kpi_values`` table.
    """
    grouped: dict[str, list[KpiValue]] = {}
    for value in values:
        grouped.setdefault(f"{KPI_PREFIX}{value.window.value}/{value.bucket_start:%Y-%m-%d}.csv", []).append(
            value
        )
    files: dict[str, str] = {}
    for key, rows in grouped.items():
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for v in sorted(rows, key=lambda v: (v.bucket_start, v.kpi.value, v.scope)):
            writer.writerow(
                (
                    v.kpi.value,
                    v.window.value,
                    v.bucket_start.isoformat(),
                    v.scope,
                    f"{v.value:.6g}",
                    v.samples,
                )
            )
        files[key] = out.getvalue()
    return files
