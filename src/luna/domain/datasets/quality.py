"""Quality figures of a dataset, its 0–100 score and confidence, the gates, and distribution drift.

Figures are shares in 0–1 measured on what the sources delivered (after normalisation), so a source that
sends half-empty rows fails the completeness gate even though cleaning would drop those rows:
    completeness  required fields present
    validity      records that pass the record type's rules
    uniqueness    records that repeat no earlier record
    consistency   keys (meter and time, market and time) without contradicting values
    timeliness    1 when the newest record is fresh, falling linearly to 0 at ``max_age_days``
Score = 100 × weighted mean (0.3 completeness, 0.3 validity, 0.2 uniqueness, 0.2 consistency, and
0.1 timeliness where the pipeline names a maximum age). Confidence says how far the output can be
trusted: the share of output records that carry no doubt (an outlier kept, say), shrunk for small
datasets by n / (n + 10), so ten clean records are not as convincing as ten thousand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from luna.domain.datasets.pipeline import Gates
from luna.domain.german_numbers import de_count, de_number, de_percents_apart

_GATE_KEY: Final = re.compile(r"([a-z_]+):\s*")
_PERCENT: Final = re.compile(r"(\d)%")
_WEIGHTS = {"completeness": 0.3, "validity": 0.3, "uniqueness": 0.2, "consistency": 0.2, "timeliness": 0.1}
#: Records that make confidence reach one half.
_CONFIDENCE_HALF = 10


@dataclass(frozen=True, slots=True)
class QualityCounts:
    """What the cleaning engine counted; everything else is derived."""

    input_records: int
    output_records: int
    required_cells: int
    present_required_cells: int
    invalid_records: int
    duplicate_records: int
    keys: int
    conflicting_keys: int
    doubtful_output_records: int
    newest_age_days: float | None = None


@dataclass(frozen=True, slots=True)
class QualityReport:
    completeness: float
    validity: float
    uniqueness: float
    consistency: float
    timeliness: float | None
    score: float
    confidence: float
    input_records: int
    output_records: int
    newest_age_days: float | None
    #: Share of each value per named group column in the output ({"region": {"Nord": 0.4, …}}).
    groups: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Total variation distance per group from the previous version (0 same, 1 disjoint).
    drift: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _share(part: int, whole: int) -> float:
    return 1.0 if whole == 0 else part / whole


def assess(
    counts: QualityCounts,
    gates: Gates,
    groups: Mapping[str, Mapping[str, float]],
    previous_groups: Mapping[str, Mapping[str, float]] | None,
) -> QualityReport:
    figures: dict[str, float] = {
        "completeness": _share(counts.present_required_cells, counts.required_cells),
        "validity": 1.0 - _share(counts.invalid_records, counts.input_records)
        if counts.input_records
        else 1.0,
        "uniqueness": 1.0 - _share(counts.duplicate_records, counts.input_records)
        if counts.input_records
        else 1.0,
        "consistency": 1.0 - _share(counts.conflicting_keys, counts.keys) if counts.keys else 1.0,
    }
    timeliness = None
    if gates.max_age_days is not None:
        age = counts.newest_age_days
        timeliness = 0.0 if age is None else max(0.0, 1.0 - age / gates.max_age_days)
        figures["timeliness"] = timeliness
    weight = sum(_WEIGHTS[name] for name in figures)
    score = 100.0 * sum(_WEIGHTS[name] * value for name, value in figures.items()) / weight
    n = counts.output_records
    trusted = 1.0 - _share(counts.doubtful_output_records, n) if n else 0.0
    confidence = trusted * n / (n + _CONFIDENCE_HALF)
    drift = group_drift(groups, previous_groups) if previous_groups else {}
    return QualityReport(
        completeness=round(figures["completeness"], 4),
        validity=round(figures["validity"], 4),
        uniqueness=round(figures["uniqueness"], 4),
        consistency=round(figures["consistency"], 4),
        timeliness=None if timeliness is None else round(timeliness, 4),
        score=round(score, 2),
        confidence=round(confidence, 4),
        input_records=counts.input_records,
        output_records=n,
        newest_age_days=counts.newest_age_days,
        groups={name: dict(shares) for name, shares in groups.items()},
        drift=drift,
    )


def group_drift(
    current: Mapping[str, Mapping[str, float]], previous: Mapping[str, Mapping[str, float]]
) -> dict[str, float]:
    """Total variation distance of each group's distribution, for groups both versions have."""
    drift: dict[str, float] = {}
    for name, shares in current.items():
        before = previous.get(name)
        if not before:
            continue
        values = set(shares) | set(before)
        drift[name] = round(0.5 * sum(abs(shares.get(v, 0.0) - before.get(v, 0.0)) for v in values), 4)
    return drift


@dataclass(frozen=True, slots=True)
class GateFailure:
    """A failed gate as it is shown: the gate's key for machines, the German text for people."""

    #: ``completeness``, ``confidence``, ``quality``, ``min_records``, ``max_age_days``, ``max_drift``;
    #: None for a stored failure that names no gate.
    gate: str | None
    #: ``Konfidenz 89,6 % unter 90 %``: without the key, with German spacing before the percent sign.
    message: str


def read_gate_failure(failure: str) -> GateFailure:
    """A stored failure (``confidence: Konfidenz 89,6 % unter 90 %``) as the dashboard, the API and the
    CLI show it. Failures are stored in that one-string form (SQL rows, run reports), so versions made
    before stay readable: it is split here, when read, and the percent signs of older rows
    (``Konfidenz 0% unter 30%``) are spaced, rather than stored anew."""
    key = _GATE_KEY.match(failure)
    text = failure[key.end() :] if key else failure
    return GateFailure(key.group(1) if key else None, _PERCENT.sub(r"\1 %", text))


def gate_failures(report: QualityReport, gates: Gates) -> tuple[str, ...]:
    """The gates the dataset misses, each ``key: German text`` with the figure and the bar (stored as
    such; :func:`read_gate_failure` turns one into what readers are shown). The text is German as it is
    made (``12.345 Datensätze``, ``0,5 Tage``), and a figure never reads as its bar: 0.896 under 0.9 is
    ``89,6 %``, not ``90 %``."""
    failures: list[str] = []
    checks = (
        ("completeness", report.completeness, gates.completeness, "Vollständigkeit"),
        ("confidence", report.confidence, gates.confidence, "Konfidenz"),
        ("quality", report.score / 100.0, gates.quality, "Qualität"),
    )
    for key, value, bar, title in checks:
        if value < bar:
            shown, needed = de_percents_apart(value, bar)
            failures.append(f"{key}: {title} {shown} unter {needed}")
    if report.output_records < gates.min_records:
        records = de_count(report.output_records, "Datensatz", "Datensätze")
        failures.append(f"min_records: {records}, mindestens {de_number(gates.min_records)} nötig")
    if gates.max_age_days is not None and (report.timeliness or 0.0) <= 0.0:
        days = de_count(gates.max_age_days, "Tag", "Tage")
        failures.append(f"max_age_days: neuester Datensatz älter als {days}")
    if gates.max_drift is not None:
        for name, distance in report.drift.items():
            if distance > gates.max_drift:
                shown, allowed = de_percents_apart(distance, gates.max_drift)
                moved = f"Verteilung von {name} um {shown} verschoben"
                failures.append(f"max_drift: {moved}, höchstens {allowed}")
    return tuple(failures)
