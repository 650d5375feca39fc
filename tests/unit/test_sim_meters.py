"""The smart-meter simulator: deterministic, sliceable, physically plausible, and like a real home."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from luna.domain.errors import InvalidInput
from luna.domain.sim.household_stats import (
    hour_profile_correlation,
    household_statistics,
    pv_yield_kwh_per_kwp,
)
from luna.domain.sim.meters import (
    NO_FAULTS,
    FaultRates,
    MeterSeries,
    MeterSpec,
    draw_meters,
    envelope_kw,
    simulate_meter,
)

DATA = Path(__file__).parents[2].parent / "shared" / "data"
UCI = DATA / "households" / "uci_sceaux_1min_2007q1.csv"
MINUTE, QUARTER = timedelta(minutes=1), timedelta(minutes=15)

HOME = MeterSpec(
    "m-1", "household", 4_200.0, has_pv=True, pv_kwp=7.5, seed=11, evening_shift_h=0.5, daytime_presence=0.7
)
SHOP = MeterSpec("m-2", "commercial", 40_000.0, has_pv=True, pv_kwp=60.0, seed=12)
FARM = MeterSpec("m-3", "agriculture", 25_000.0, has_pv=True, pv_kwp=100.0, seed=13)
FLAT = MeterSpec("m-4", "household", 1_600.0, seed=14, morning_shift_h=-1.0, evening_shift_h=-1.5)
FAULTY = FaultRates(missing_per_day=0.3, estimated_per_day=0.5, resets_per_year=1.0)
COLUMNS = ("ts", "consumption_kw", "production_kw", "voltage", "quality", "register_kwh", "register_reset")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def assert_same(a: MeterSeries, b: MeterSeries) -> None:
    for column in COLUMNS:
        np.testing.assert_array_equal(getattr(a, column), getattr(b, column), err_msg=column)


class TestDeterminism:
    def test_the_same_seed_gives_the_same_series(self):
        first = simulate_meter(HOME, at(2024, 6, 1), at(2024, 6, 3), faults=FAULTY)
        assert_same(first, simulate_meter(HOME, at(2024, 6, 1), at(2024, 6, 3), faults=FAULTY))

    def test_another_seed_gives_another_home(self):
        first = simulate_meter(HOME, at(2024, 6, 1), at(2024, 6, 2))
        other = simulate_meter(MeterSpec(**{**HOME.__dict__, "seed": 99}), at(2024, 6, 1), at(2024, 6, 2))
        assert not np.allclose(first.consumption_kw, other.consumption_kw, equal_nan=True)

    @pytest.mark.parametrize(
        ("step", "start", "end"),
        [
            (MINUTE, at(2024, 3, 30, 5, 17), at(2024, 4, 1, 13, 42)),  # across a DST switch and blocks
            (MINUTE, at(2024, 3, 31, 1, 59), at(2024, 3, 31, 2, 0)),  # one interval, as a live loop asks
            (QUARTER, at(2024, 3, 29, 1, 45), at(2024, 4, 2, 2, 15)),
        ],
    )
    def test_a_sub_range_computed_alone_equals_the_slice_of_a_longer_run(self, step, start, end):
        long = simulate_meter(HOME, at(2024, 3, 28), at(2024, 4, 4), step=step, faults=FAULTY)
        part = simulate_meter(HOME, start, end, step=step, faults=FAULTY)
        first = int((start - at(2024, 3, 28)) / step)
        window = slice(first, first + part.ts.size)
        for column in COLUMNS:
            np.testing.assert_array_equal(
                getattr(long, column)[window], getattr(part, column), err_msg=column
            )

    def test_a_coarser_step_is_the_mean_of_the_minutes(self):
        minutes = simulate_meter(FLAT, at(2024, 2, 5), at(2024, 2, 7), faults=NO_FAULTS)
        quarters = simulate_meter(FLAT, at(2024, 2, 5), at(2024, 2, 7), step=QUARTER, faults=NO_FAULTS)
        np.testing.assert_allclose(
            quarters.consumption_kw, minutes.consumption_kw.reshape(-1, 15).mean(axis=1)
        )


@pytest.fixture(scope="module")
def two_years() -> MeterSeries:
    return simulate_meter(HOME, at(2023, 1, 1), at(2025, 1, 1), step=QUARTER, faults=FAULTY)


class TestRegisterAndQuality:
    def test_every_interval_has_a_known_quality_and_faults_occur(self, two_years):
        counts = {q: int(np.count_nonzero(two_years.quality == q)) for q in ("ok", "estimated", "missing")}
        assert sum(counts.values()) == two_years.ts.size
        assert counts["estimated"] > 0 and counts["missing"] > 0
        missing = two_years.quality == "missing"
        for column in ("consumption_kw", "production_kw", "voltage", "register_kwh"):
            assert np.isnan(getattr(two_years, column)[missing]).all(), column
        assert not np.isnan(two_years.consumption_kw[~missing]).any()

    def test_the_register_never_decreases_except_at_flagged_resets(self, two_years):
        valid = np.flatnonzero(~np.isnan(two_years.register_kwh))
        register = two_years.register_kwh[valid]
        flags = np.cumsum(two_years.register_reset)
        resets_between = flags[valid[1:]] - flags[valid[:-1]]  # resets in (previous sample, sample]
        drops = np.diff(register) < 0
        assert np.count_nonzero(two_years.register_reset) >= 1
        assert not (drops & (resets_between == 0)).any()
        assert drops[resets_between > 0].all()

    def test_register_differences_are_the_interval_energy(self, two_years):
        register, kwh = two_years.register_kwh, two_years.kwh
        both = ~np.isnan(register[1:]) & ~np.isnan(register[:-1]) & ~two_years.register_reset[1:]
        np.testing.assert_allclose(np.diff(register)[both], kwh[1:][both], atol=1e-6)
        reset = np.flatnonzero(two_years.register_reset & ~np.isnan(register))
        np.testing.assert_allclose(register[reset], kwh[reset], atol=1e-9)

    def test_a_missing_gap_shows_as_a_catch_up_in_the_register(self, two_years):
        missing = two_years.quality == "missing"
        after_gap = np.flatnonzero(missing[:-1] & ~missing[1:]) + 1
        gap = after_gap[0]
        before = gap - 1
        while np.isnan(two_years.register_kwh[before]):
            before -= 1
        assert two_years.register_kwh[gap] - two_years.register_kwh[before] > two_years.kwh[gap]


class TestPhysics:
    @pytest.mark.parametrize("spec", [HOME, SHOP, FARM, FLAT], ids=lambda s: s.type + "-" + s.meter_id)
    def test_annual_energy_is_the_annual_consumption(self, spec):
        year = simulate_meter(spec, at(2023, 1, 1), at(2024, 1, 1), step=QUARTER, faults=NO_FAULTS)
        assert np.nansum(year.kwh) == pytest.approx(spec.annual_kwh, rel=0.05)
        assert (year.consumption_kw >= 0).all()

    def test_the_register_counts_a_year_of_consumption_despite_gaps(self):
        year = simulate_meter(HOME, at(2023, 1, 1), at(2024, 1, 1), step=QUARTER)
        valid = year.register_kwh[~np.isnan(year.register_kwh)]
        assert valid[-1] - valid[0] == pytest.approx(HOME.annual_kwh, rel=0.05)

    @pytest.mark.parametrize("spec", [HOME, SHOP, FARM, FLAT], ids=lambda s: s.type + "-" + s.meter_id)
    def test_voltage_stays_within_en_50160_and_sags_with_the_meters_own_load(self, spec):
        series = simulate_meter(spec, at(2023, 6, 1), at(2023, 7, 15))
        volts = series.voltage[~np.isnan(series.voltage)]
        assert volts.min() >= 207.0 and volts.max() <= 253.0
        assert 225.0 < volts.mean() < 240.0
        net = series.power_kw
        heavy, light = net >= np.nanpercentile(net, 99), net <= np.nanpercentile(net, 50)
        assert np.nanmean(series.voltage[heavy]) < np.nanmean(series.voltage[light])

    def test_pv_yields_like_a_german_rooftop_and_only_by_day(self):
        yields = []
        for seed in range(6):
            spec = MeterSpec("pv", "household", 3_000.0, has_pv=True, pv_kwp=9.0, seed=seed)
            year = simulate_meter(spec, at(2023, 1, 1), at(2024, 1, 1), step=QUARTER, faults=NO_FAULTS)
            yields.append(pv_yield_kwh_per_kwp(year.ts, year.production_kw, 9.0))
            assert year.production_kw.max() <= 9.0
            midnight = year.ts.astype("datetime64[h]").astype(np.int64) % 24 == 23  # local 00–01 h
            assert (year.production_kw[midnight] == 0).all()
        assert 900.0 <= float(np.mean(yields)) <= 1_050.0
        assert all(850.0 <= y <= 1_100.0 for y in yields), yields  # a weather year varies ±10 %

    def test_given_cloud_cover_shades_the_pv(self):
        start, end = at(2023, 6, 21), at(2023, 6, 22)
        clear = simulate_meter(HOME, start, end, cloud_cover=np.zeros(1440), faults=NO_FAULTS)
        overcast = simulate_meter(HOME, start, end, cloud_cover=np.ones(1440), faults=NO_FAULTS)
        assert np.sum(overcast.production_kw) < 0.4 * np.sum(clear.production_kw)
        assert clear.production_kw.max() > 0.6 * HOME.pv_kwp
        np.testing.assert_array_equal(clear.consumption_kw, overcast.consumption_kw)

    def test_net_power_is_import_positive_and_export_negative(self):
        day = simulate_meter(HOME, at(2023, 6, 21), at(2023, 6, 22), cloud_cover=np.zeros(1440))
        np.testing.assert_allclose(day.power_kw, day.consumption_kw - day.production_kw)
        assert np.nanmin(day.power_kw) < 0 < np.nanmax(day.power_kw)

    def test_a_single_home_looks_like_one(self):
        january = simulate_meter(
            MeterSpec("h", "household", 3_500.0, seed=3), at(2023, 1, 2), at(2023, 1, 30), faults=NO_FAULTS
        )
        stats = household_statistics(january.ts, january.consumption_kw, clock="berlin")
        assert 4.0 <= stats["max_kw"] <= 11.0
        assert 0.7 <= stats["step_p99_kw"] <= 2.5
        assert stats["lag1_autocorr"] > 0.85
        assert stats["median_kw"] < 0.8 * stats["mean_kw"]  # long quiet stretches, short peaks


MIX = {"household": 0.7, "commercial": 0.2, "agriculture": 0.1}


class TestPopulation:
    def test_draws_a_reproducible_mix_with_and_without_pv(self):
        meters = draw_meters(300, MIX, seed=4)
        assert meters == draw_meters(300, MIX, seed=4)
        assert meters != draw_meters(300, MIX, seed=5)
        assert draw_meters(120, MIX, seed=4) == meters[:120], "a larger fleet extends a smaller one"
        assert len({m.meter_id for m in meters}) == 300 and len({m.seed for m in meters}) == 300
        assert {m.type for m in meters} == {"household", "commercial", "agriculture"}
        homes = [m for m in meters if m.type == "household"]
        assert 3_000 <= float(np.median([m.annual_kwh for m in homes])) <= 4_100
        with_pv = [m for m in homes if m.has_pv]
        assert 0.2 <= len(with_pv) / len(homes) <= 0.45
        assert all(3.0 <= m.pv_kwp <= 12.0 for m in with_pv)
        assert all(m.pv_kwp == 0.0 for m in homes if not m.has_pv)
        assert len({(m.evening_shift_h, m.daytime_presence) for m in homes}) > len(homes) // 2

    def test_a_type_without_weight_is_never_drawn(self):
        assert {m.type for m in draw_meters(50, {"commercial": 1.0}, seed=1)} == {"commercial"}


class TestEnvelope:
    def test_every_year_integrates_to_the_annual_consumption(self):
        for year in (2023, 2024):
            grid = np.arange(f"{year}-01-01", f"{year + 1}-01-01", dtype="datetime64[15m]").astype(
                "datetime64[s]"
            )
            for kind in ("household", "commercial", "agriculture"):
                assert envelope_kw(kind, grid, 3_500.0).sum() * 0.25 == pytest.approx(3_500.0)

    def test_holidays_are_sundays_and_christmas_eve_a_saturday(self):
        def local_day(date: str) -> np.ndarray:  # one Berlin day at quarter hours (CEST/CET: no DST switch)
            start = np.datetime64(f"{date}T00:00:00") - np.timedelta64(2 if date < "2024-10-27" else 1, "h")
            return envelope_kw("commercial", start + np.arange(96) * np.timedelta64(15, "m"))

        easter_monday, sunday, monday = (local_day(d) for d in ("2024-04-01", "2024-04-07", "2024-04-08"))
        np.testing.assert_array_equal(easter_monday, sunday)
        assert not np.array_equal(easter_monday, monday)
        np.testing.assert_array_equal(local_day("2024-12-24"), local_day("2024-12-28"))

    def test_the_household_envelope_is_higher_in_winter(self):
        winter = envelope_kw("household", np.arange("2023-01-09", "2023-01-16", dtype="datetime64[h]"))
        summer = envelope_kw("household", np.arange("2023-07-10", "2023-07-17", dtype="datetime64[h]"))
        assert winter.mean() > 1.2 * summer.mean()


class TestInputs:
    @pytest.mark.parametrize(
        ("start", "end", "step"),
        [
            (datetime(2024, 1, 1), datetime(2024, 1, 2), MINUTE),  # no time zone
            (at(2024, 1, 1), at(2024, 1, 2), timedelta(minutes=7)),  # does not divide two hours
            (at(2024, 1, 1), at(2024, 1, 2), timedelta(seconds=90)),
            (at(2024, 1, 1, 0, 5), at(2024, 1, 2), QUARTER),  # off the grid
            (at(2024, 1, 2), at(2024, 1, 1), MINUTE),
            (at(1999, 12, 31), at(2000, 1, 2), MINUTE),  # before the registers' origin
        ],
    )
    def test_rejects_a_bad_grid(self, start, end, step):
        with pytest.raises(InvalidInput):
            simulate_meter(HOME, start, end, step=step)

    def test_rejects_cloud_cover_of_the_wrong_length(self):
        with pytest.raises(InvalidInput):
            simulate_meter(HOME, at(2024, 1, 1), at(2024, 1, 2), cloud_cover=np.zeros(10))

    @pytest.mark.parametrize(
        "fields",
        [
            {"has_pv": True, "pv_kwp": 0.0},
            {"has_pv": False, "pv_kwp": 5.0},
            {"annual_kwh": 0.0},
            {"type": "industry"},
            {"evening_shift_h": 3.0},
            {"daytime_presence": 0.1},
        ],
    )
    def test_rejects_an_impossible_meter(self, fields):
        with pytest.raises(InvalidInput):
            MeterSpec(**{"meter_id": "x", "type": "household", "annual_kwh": 3_000.0, **fields})


class TestHouseholdStatistics:
    def test_matches_a_hand_computed_series(self):
        ts = np.arange("2024-01-01T00:00", "2024-01-01T00:08", dtype="datetime64[m]").astype("datetime64[s]")
        power = np.array([1.0, 3.0, np.nan, 2.0, 2.0, 4.0, 1.0, 1.0])
        stats = household_statistics(ts, power)
        assert stats["missing"] == 1 and stats["intervals"] == 8
        assert stats["energy_kwh"] == pytest.approx(14.0 / 60.0)
        assert stats["mean_kw"] == pytest.approx(2.0) and stats["max_kw"] == 4.0
        assert stats["step_max_kw"] == 3.0  # |1 − 4|; pairs touching the gap are skipped
        assert stats["mean_by_hour"][0] == pytest.approx(2.0)
        assert np.isnan(stats["mean_by_hour"][1])
        assert stats["quarter_hourly"] is not None and stats["quarter_hourly"]["max_kw"] == pytest.approx(2.0)
        assert stats["monthly_kwh"] == {"2024-01": pytest.approx(14.0 / 60.0)}

    def test_berlin_clock_moves_the_hours(self):
        ts = np.arange("2024-07-01T00:00", "2024-07-01T02:00", dtype="datetime64[h]").astype("datetime64[s]")
        stats = household_statistics(ts, np.array([1.0, 5.0]), clock="berlin")
        assert stats["mean_by_hour"][2] == 1.0 and stats["mean_by_hour"][3] == 5.0

    def test_rejects_an_irregular_grid(self):
        ts = np.array(["2024-01-01T00:00", "2024-01-01T00:01", "2024-01-01T00:03"], dtype="datetime64[s]")
        with pytest.raises(InvalidInput):
            household_statistics(ts, np.ones(3))


def load_uci() -> tuple[np.ndarray, np.ndarray]:
    with UCI.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ts = np.array([row["ts_local"] for row in rows], dtype="datetime64[s]")
    return ts, np.array([float(row["Global_active_power"] or "nan") for row in rows])


@pytest.fixture(scope="module")
def compared():
    """A home scaled to UCI Sceaux's Q1 2007 energy, with a late-dinner working routine (see
    bench/realism_households.py), and the reference, on SOURCES.md's statistics."""
    ts, power = load_uci()
    reference = household_statistics(ts, power)
    start = at(2006, 12, 31, 23)  # 2007-01-01 00:00 on UCI's (CET) clock
    grid = np.datetime64("2006-12-31T23:00", "s") + np.arange(ts.size) * np.timedelta64(60, "s")
    annual = reference["energy_kwh"] / float(envelope_kw("household", grid).sum() / 60.0)
    spec = MeterSpec(
        "uci-like", "household", round(annual), seed=0, evening_shift_h=1.5, daytime_presence=0.75
    )
    series = simulate_meter(spec, start, start + timedelta(minutes=ts.size))
    return reference, household_statistics(series.ts, series.consumption_kw, clock="berlin")


@pytest.mark.skipif(not UCI.exists(), reason=f"reference data not available at {DATA}")
class TestRealismAgainstUci:
    def test_hour_of_day_profile_correlates(self, compared):
        reference, simulated = compared
        assert hour_profile_correlation(reference["mean_by_hour"], simulated["mean_by_hour"]) >= 0.9

    @pytest.mark.parametrize("key", ["mean_kw", "max_kw", "step_p99_kw"])
    def test_statistic_within_25_percent(self, compared, key):
        reference, simulated = compared
        assert simulated[key] == pytest.approx(reference[key], rel=0.25)
