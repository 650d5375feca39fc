"""Realism of the day-ahead price simulator: a simulated 2024 against the real SMARD 2024 prices.

    .venv/bin/python bench/realism_prices.py [--seed 1] [--seeds 20] [--data ../shared/data]

Both sides go through the same ``price_statistics`` (the definitions of ``shared/data/SOURCES.md``:
local Europe/Berlin hours, PEAK = Mon–Fri 08–20 h). Prints Markdown for ``bench/RESULTS.md``: the
side-by-side table for one seed, the mean price by local hour of day, and how the statistics spread
over many seeds (each seed is another weather year). Goal (issue #4): hour-of-day correlation ≥ 0.9,
mean, std, negative hours and PEAK/BASE within ±25 %.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from luna.domain.sim.market import simulate_prices
from luna.domain.sim.price_stats import PriceStatistics, berlin_wall_clock, price_statistics

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PRICES_FILE = Path("prices") / "smard_day_ahead_de_2023_2024.csv"
YEAR_START, YEAR_END = datetime(2023, 12, 31, 23, tzinfo=UTC), datetime(2024, 12, 31, 23, tzinfo=UTC)
GOAL_KEYS = ("mean", "std", "negative_hours", "peak_base_ratio")
ROWS = (
    ("hours", "hours (rows)", "{:,.0f}"),
    ("mean", "mean = BASE (€/MWh)", "{:.2f}"),
    ("median", "median", "{:.2f}"),
    ("std", "std (sample, ddof=1)", "{:.2f}"),
    ("min", "min", "{:.2f}"),
    ("max", "max", "{:.2f}"),
    ("p01", "p01", "{:.2f}"),
    ("p99", "p99", "{:.2f}"),
    ("negative_hours", "negative hours (price < 0)", "{:,.0f}"),
    ("nonpositive_hours", "hours with price ≤ 0", "{:,.0f}"),
    ("peak_mean", "PEAK mean (Mon–Fri 08–20 h)", "{:.2f}"),
    ("offpeak_mean", "OFF-PEAK mean", "{:.2f}"),
    ("peak_base_ratio", "PEAK/BASE ratio", "{:.3f}"),
)


def read_reference(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The 2024 part (local time) of the SMARD reference file."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ts = np.array([row["ts_utc"].rstrip("Z") for row in rows], dtype="datetime64[s]")
    price = np.array([float(row["price_eur_mwh"]) for row in rows])
    in_2024 = berlin_wall_clock(ts) >= np.datetime64("2024-01-01")
    return ts[in_2024], price[in_2024]


def simulate_2024(seed: int) -> PriceStatistics:
    series = simulate_prices(YEAR_START, YEAR_END, seed)
    return price_statistics(series.ts, series.price_eur_mwh)


def hour_correlation(a: PriceStatistics, b: PriceStatistics) -> float:
    return float(np.corrcoef(a["mean_by_hour"], b["mean_by_hour"])[0, 1])


def deviation(simulated: float, reference: float) -> float:
    return (simulated - reference) / abs(reference) * 100.0


def meets_goal(simulated: PriceStatistics, reference: PriceStatistics) -> bool:
    within = all(abs(deviation(simulated[k], reference[k])) <= 25.0 for k in GOAL_KEYS)
    return within and hour_correlation(simulated, reference) >= 0.9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="seed of the side-by-side table")
    parser.add_argument("--seeds", type=int, default=20, help="seeds 1..N for the spread table")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared/data folder")
    args = parser.parse_args(argv)
    path = args.data / PRICES_FILE
    if not path.exists():
        print(f"reference file not found: {path}", file=sys.stderr)
        return 2
    reference = price_statistics(*read_reference(path))
    began = time.perf_counter()
    simulated = simulate_2024(args.seed)
    elapsed_ms = (time.perf_counter() - began) * 1000

    print(f"### Day-ahead prices DE-LU: simulated 2024 (seed {args.seed}) vs SMARD 2024\n")
    print(f"`.venv/bin/python bench/realism_prices.py --seed {args.seed} --seeds {args.seeds}`; ", end="")
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}; "
        f"one simulated year took {elapsed_ms:.0f} ms."
    )
    print("Reference: Bundesnetzagentur | SMARD.de, CC BY 4.0 (`shared/data/SOURCES.md` §1).\n")
    print("| statistic | reference 2024 | simulated 2024 | deviation | goal |")
    print("|---|---:|---:|---:|---|")
    for key, label, fmt in ROWS:
        goal = "±25 %" if key in GOAL_KEYS else ""
        if goal:
            goal += " ✓" if abs(deviation(simulated[key], reference[key])) <= 25.0 else " ✗"
        print(
            f"| {label} | {fmt.format(reference[key])} | {fmt.format(simulated[key])} | "
            f"{deviation(simulated[key], reference[key]):+.1f} % | {goal} |"
        )
    correlation = hour_correlation(simulated, reference)
    mark = "✓" if correlation >= 0.9 else "✗"
    print(f"| hour-of-day profile correlation | | {correlation:.3f} | | ≥ 0.9 {mark} |\n")

    print("Mean price by local hour of day (€/MWh):\n")
    print("| hour | " + " | ".join(str(h) for h in range(24)) + " |")
    print("|---|" + "---:|" * 24)
    for name, stats in (("SMARD 2024", reference), (f"simulated (seed {args.seed})", simulated)):
        print(f"| {name} | " + " | ".join(f"{v:.1f}" for v in stats["mean_by_hour"]) + " |")

    runs = [simulate_2024(seed) for seed in range(1, args.seeds + 1)]
    passed = sum(meets_goal(run, reference) for run in runs)
    print(
        f"\nSpread over seeds 1–{args.seeds} "
        "(each seed is another weather year with 2024 capacities and fuel prices):\n"
    )
    print("| statistic | reference 2024 | min | median | max | seeds within goal |")
    print("|---|---:|---:|---:|---:|---:|")
    for key in GOAL_KEYS:
        values = np.array([run[key] for run in runs])
        within = sum(abs(deviation(v, reference[key])) <= 25.0 for v in values)
        fmt = {k: f for k, _, f in ROWS}[key]
        print(
            f"| {key} | {fmt.format(reference[key])} | {fmt.format(values.min())} | "
            f"{fmt.format(float(np.median(values)))} | {fmt.format(values.max())} | {within}/{len(runs)} |"
        )
    correlations = np.array([hour_correlation(run, reference) for run in runs])
    print(
        f"| hour-of-day correlation | | {correlations.min():.3f} | {np.median(correlations):.3f} | "
        f"{correlations.max():.3f} | {int(np.sum(correlations >= 0.9))}/{len(runs)} |"
    )
    print(f"\nSeeds meeting every goal at once: {passed}/{len(runs)}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
