"""Realism of the smart-meter simulator against real households (``shared/data/SOURCES.md`` §2 and §3).

    .venv/bin/python bench/realism_households.py [--seeds 10] [--data ../shared/data]

Prints markdown for ``bench/RESULTS.md``: the SOURCES.md statistics of the reference homes next to the
same statistics (``luna.domain.sim.household_stats``) of simulated meters, with the deviation in %.

- **UCI Sceaux, Q1 2007, 1 minute.** One simulated household whose annual consumption is scaled so
  that its Q1 2007 energy equals the reference (a large all-electric home, ~11,100 kWh/a on the
  BDEW scale), with the routine of a working household that dines late (evening +1.5 h, 75 %
  daytime presence on working days; a French home with gas hobs, not a German H0 average). The
  table shows seed 0; the line under it shows every seed. Goal (issue 4): hour-of-day correlation
  ≥ 0.9, mean, max and p99 1-minute step within ±25 %.
- **OPSD residential4, 2016, hourly.** A German household with the reference's 6,189 kWh/a and the
  BDEW routine. Informative only: that home has a heat pump and an EV the simulator does not model.
- **PV.** Specific yield of simulated 10 kWp systems in 2016 (each with its own weather) against the
  German 900–1,050 kWh/kWp/a, and the shape of the OPSD home's PV by hour and month.

The reference CSVs are read here (the simulator never reads them). Attribution: UCI household —
Hebrail & Berard (2006), UCI Machine Learning Repository, CC BY 4.0; OPSD household — Open Power
System Data (2017), Household Data 2017-09-01, CoSSMic / ISC Konstanz, CC BY 4.0.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from luna.domain.sim.household_stats import (
    HouseholdStatistics,
    hour_profile_correlation,
    household_statistics,
    pv_yield_kwh_per_kwp,
)
from luna.domain.sim.meters import MeterSpec, envelope_kw, simulate_meter

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
UCI_START = datetime(2006, 12, 31, 23, tzinfo=UTC)  # 2007-01-01 00:00 CET, UCI's clock
UCI_MINUTES = 90 * 1440
UCI_ROUTINE = {"morning_shift_h": 0.0, "evening_shift_h": 1.5, "daytime_presence": 0.75}
OPSD_ANNUAL_KWH = 6_189.0  # SOURCES.md §3: derived load, register end − start, 2016
PV_KWP = 10.0
PV_RANGE = (900.0, 1_050.0)


def load_uci(data: Path) -> tuple[np.ndarray, np.ndarray]:
    with (data / "households" / "uci_sceaux_1min_2007q1.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ts = np.array([row["ts_local"] for row in rows], dtype="datetime64[s]")
    power = np.array([float(row["Global_active_power"] or "nan") for row in rows])
    return ts, power


def load_opsd_2016(data: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hourly mean load and PV (kW) of 2016 on the local clock, from the cumulative registers."""
    with (data / "households" / "opsd_de_kn_residential4_60min.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ts = np.array([row["utc_timestamp"].rstrip("Z") for row in rows], dtype="datetime64[s]")

    def register(name: str) -> np.ndarray:
        return np.array([float(row[f"DE_KN_residential4_{name}"] or "nan") for row in rows])

    load = register("grid_import") + register("pv") - register("grid_export")
    hours = ts[1:]  # the difference V(t) − V(t − 1 h) is the energy of the hour starting at t
    in_2016 = (hours >= np.datetime64("2016-01-01")) & (hours < np.datetime64("2017-01-01"))
    return hours[in_2016], np.diff(load)[in_2016], np.diff(register("pv"))[in_2016]


def deviation(reference: float, simulated: float) -> str:
    return f"{100.0 * (simulated / reference - 1.0):+.1f} %" if reference else "—"


def row(name: str, reference: float, simulated: float, digits: int = 3) -> str:
    return (
        f"| {name} | {reference:,.{digits}f} | {simulated:,.{digits}f} | {deviation(reference, simulated)} |"
    )


def statistic_rows(reference: HouseholdStatistics, simulated: HouseholdStatistics, fine: bool) -> list[str]:
    lines = [
        row("energy (kWh)", reference["energy_kwh"], simulated["energy_kwh"], 1),
        row("mean P (kW)", reference["mean_kw"], simulated["mean_kw"]),
    ]
    if fine:
        lines += [
            row("min P", reference["min_kw"], simulated["min_kw"]),
            row("median P", reference["median_kw"], simulated["median_kw"]),
            row("p95 P", reference["p95_kw"], simulated["p95_kw"]),
        ]
    lines += [
        row("p99 P", reference["p99_kw"], simulated["p99_kw"]),
        row("max P", reference["max_kw"], simulated["max_kw"]),
    ]
    if fine:
        lines.append(row("p95 1-step abs(ΔP)", reference["step_p95_kw"], simulated["step_p95_kw"]))
    lines += [
        row("p99 1-step abs(ΔP)", reference["step_p99_kw"], simulated["step_p99_kw"]),
        row("max 1-step abs(ΔP)", reference["step_max_kw"], simulated["step_max_kw"]),
        row("lag-1 autocorrelation", reference["lag1_autocorr"], simulated["lag1_autocorr"]),
    ]
    ref_q, sim_q = reference["quarter_hourly"], simulated["quarter_hourly"]
    if fine and ref_q is not None and sim_q is not None:
        lines += [
            row("15-min max P", ref_q["max_kw"], sim_q["max_kw"]),
            row("15-min p99 abs(ΔP)", ref_q["step_p99_kw"], sim_q["step_p99_kw"]),
        ]
    return lines


def hour_rows(reference: list[float], simulated: list[float]) -> list[str]:
    return [
        "| hour | " + " | ".join(str(h) for h in range(24)) + " |",
        "|---|" + "---:|" * 24,
        "| reference | " + " | ".join(f"{v:.2f}" for v in reference) + " |",
        "| simulated | " + " | ".join(f"{v:.2f}" for v in simulated) + " |",
    ]


def uci_section(data: Path, seeds: int) -> bool:
    ts, power = load_uci(data)
    reference = household_statistics(ts, power)
    grid = np.datetime64(UCI_START.replace(tzinfo=None), "s") + np.arange(UCI_MINUTES) * np.timedelta64(
        60, "s"
    )
    annual = reference["energy_kwh"] / float(envelope_kw("household", grid).sum() / 60.0)
    end = UCI_START + timedelta(minutes=UCI_MINUTES)
    runs = []
    for seed in range(seeds):
        spec = MeterSpec("uci-like", "household", round(annual), seed=seed, **UCI_ROUTINE)
        series = simulate_meter(spec, UCI_START, end)
        runs.append(household_statistics(series.ts, series.consumption_kw, clock="berlin"))
    correlations = [hour_profile_correlation(reference["mean_by_hour"], run["mean_by_hour"]) for run in runs]
    print(f"### UCI Sceaux, Q1 2007, 1 minute (simulated: household, {round(annual):,} kWh/a, seed 0)\n")
    print("| statistic | reference | simulated | deviation |\n|---|---:|---:|---:|")
    print("\n".join(statistic_rows(reference, runs[0], fine=True)))
    print(f"| hour-of-day correlation | 1 | {correlations[0]:.3f} | |\n")
    print("\n".join(hour_rows(reference["mean_by_hour"], runs[0]["mean_by_hour"])))

    def spread(key: str) -> str:
        values = [100.0 * (float(run[key]) / float(reference[key]) - 1.0) for run in runs]
        return f"{min(values):+.0f} … {max(values):+.0f} %"

    print(
        f"\nOver seeds 0–{seeds - 1}: hour-of-day correlation {min(correlations):.3f} … "
        f"{max(correlations):.3f} (median {float(np.median(correlations)):.3f}); mean {spread('mean_kw')}, "
        f"max {spread('max_kw')}, p99 1-min step {spread('step_p99_kw')}.\n"
    )
    met = all(
        corr >= 0.9
        and all(
            abs(float(run[key]) / float(reference[key]) - 1.0) <= 0.25
            for key in ("mean_kw", "max_kw", "step_p99_kw")
        )
        for corr, run in zip(correlations, runs, strict=True)
    )
    verdict = "yes" if met else "no"
    print(f"Goal (correlation ≥ 0.9; mean, max, p99 step within ±25 %) met for every seed: {verdict}\n")
    return met


def opsd_section(data: Path, seeds: int) -> None:
    ts, load, pv = load_opsd_2016(data)
    reference = household_statistics(ts, load)
    start, end = datetime(2016, 1, 1, tzinfo=UTC), datetime(2017, 1, 1, tzinfo=UTC)
    spec = MeterSpec("opsd-like", "household", OPSD_ANNUAL_KWH, seed=0)
    series = simulate_meter(
        spec, start - timedelta(hours=1), end - timedelta(hours=1), step=timedelta(hours=1)
    )
    simulated = household_statistics(series.ts, series.consumption_kw, clock="berlin")
    months = sorted(reference["monthly_kwh"])
    monthly = float(
        np.corrcoef(
            [reference["monthly_kwh"][m] for m in months],
            [simulated["monthly_kwh"].get(m, 0.0) for m in months],
        )[0, 1]
    )
    title = f"household, {OPSD_ANNUAL_KWH:,.0f} kWh/a, seed 0"
    print(f"### OPSD residential4, 2016, hourly load (simulated: {title})\n")
    print("Informative: the reference home has a heat pump and an EV, which the simulator does not model.\n")
    print("| statistic | reference | simulated | deviation |\n|---|---:|---:|---:|")
    print("\n".join(statistic_rows(reference, simulated, fine=False)))
    correlation = hour_profile_correlation(reference["mean_by_hour"], simulated["mean_by_hour"])
    print(f"| hour-of-day correlation | 1 | {correlation:.3f} | |")
    print(f"| monthly-energy correlation | 1 | {monthly:.3f} | |\n")
    print("\n".join(hour_rows(reference["mean_by_hour"], simulated["mean_by_hour"])))
    print()
    pv_section(ts, pv, seeds, start, end)


def pv_section(ts: np.ndarray, pv: np.ndarray, seeds: int, start: datetime, end: datetime) -> None:
    reference = household_statistics(ts, pv)
    yields, profiles, months = [], [], []
    for seed in range(seeds):
        spec = MeterSpec("pv", "household", 4_000.0, has_pv=True, pv_kwp=PV_KWP, seed=seed)
        series = simulate_meter(spec, start, end, step=timedelta(minutes=15))
        yields.append(pv_yield_kwh_per_kwp(series.ts, series.production_kw, PV_KWP))
        stats = household_statistics(series.ts, series.production_kw, clock="berlin")
        profiles.append(stats["mean_by_hour"])
        months.append([stats["monthly_kwh"].get(m, 0.0) for m in sorted(reference["monthly_kwh"])])
    ref_months = [reference["monthly_kwh"][m] for m in sorted(reference["monthly_kwh"])]
    hourly = hour_profile_correlation(reference["mean_by_hour"], list(np.mean(profiles, axis=0)))
    monthly = float(np.corrcoef(ref_months, np.mean(months, axis=0))[0, 1])
    inside = sum(PV_RANGE[0] <= y <= PV_RANGE[1] for y in yields)
    print(f"### PV, 2016 ({seeds} simulated {PV_KWP:.0f} kWp systems, each with its own weather)\n")
    print("| statistic | target | simulated |\n|---|---:|---:|")
    target = f"{PV_RANGE[0]:,.0f}–{PV_RANGE[1]:,.0f}"
    print(f"| specific yield (kWh/kWp/a), mean | {target} | {float(np.mean(yields)):,.0f} |")
    print(
        f"| specific yield, min … max | | {min(yields):,.0f} … {max(yields):,.0f} ({inside}/{seeds} inside) |"
    )
    print(f"| PV hour-of-day correlation with OPSD residential4 | 1 | {hourly:.3f} |")
    print(f"| PV monthly-energy correlation with OPSD residential4 | 1 | {monthly:.3f} |\n")


def speed() -> None:
    spec = MeterSpec("speed", "household", 3_500.0, has_pv=True, pv_kwp=8.0, seed=1)
    start, end = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
    simulate_meter(spec, start, start + timedelta(days=1))  # loads the BDEW tables
    began = time.perf_counter()
    series = simulate_meter(spec, start, end)
    elapsed = time.perf_counter() - began
    print(f"Speed: one meter with PV, one year at 1 minute ({series.ts.size:,} intervals): {elapsed:.2f} s\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    if not (args.data / "households").is_dir():
        print(f"reference data not found under {args.data} (pass --data)", file=sys.stderr)
        return 2
    print(f"Command: `.venv/bin/python bench/realism_households.py --seeds {args.seeds}`\n")
    met = uci_section(args.data, args.seeds)
    opsd_section(args.data, args.seeds)
    speed()
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
