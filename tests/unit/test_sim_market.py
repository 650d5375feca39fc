"""Day-ahead price simulator, shared weather and price statistics (issue #4, item 2).

The realism test compares a simulated 2024 with the real SMARD 2024 prices in ``shared/data``.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from luna.domain.errors import InvalidInput
from luna.domain.sim.market import (
    QUARTER_HOUR_FROM,
    MarketModel,
    delivery_periods,
    german_public_holidays,
    products,
    simulate_prices,
)
from luna.domain.sim.price_stats import berlin_wall_clock, peak_mask, price_statistics
from luna.domain.sim.weather import simulate_weather, solar_elevation_deg

SHARED_DATA = Path(__file__).parents[2].parent / "shared" / "data"
REFERENCE_PRICES = SHARED_DATA / "prices" / "smard_day_ahead_de_2023_2024.csv"
# Local 2024 = 2023-12-31T23:00Z … 2024-12-31T22:00Z (delivery starts).
YEAR_2024 = (datetime(2023, 12, 31, 23, tzinfo=UTC), datetime(2024, 12, 31, 23, tzinfo=UTC))
HOUR = np.timedelta64(3600, "s")
WEATHER_FIELDS = ("ts", "temperature_c", "cloud_cover", "wind_cf", "solar_cf", "ghi_w_m2")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def stamps(*texts: str) -> np.ndarray:
    return np.array(texts, dtype="datetime64[s]")


@pytest.fixture(scope="module")
def simulated_2024():
    return simulate_prices(*YEAR_2024, seed=1)


@pytest.fixture(scope="module")
def weather_2024():
    return simulate_weather(*YEAR_2024, timedelta(hours=1), seed=1)


class TestDeterminism:
    def test_same_seed_gives_identical_series_and_another_seed_does_not(self):
        a = simulate_prices(utc(2024, 5, 1), utc(2024, 5, 8), seed=3)
        b = simulate_prices(utc(2024, 5, 1), utc(2024, 5, 8), seed=3)
        c = simulate_prices(utc(2024, 5, 1), utc(2024, 5, 8), seed=4)
        assert np.array_equal(a.price_eur_mwh, b.price_eur_mwh)
        assert np.array_equal(a.volume_mwh, b.volume_mwh)
        assert np.array_equal(a.ts, c.ts)
        assert not np.allclose(a.price_eur_mwh, c.price_eur_mwh)

    def test_weather_same_seed_identical_other_seed_different(self):
        a = simulate_weather(utc(2024, 6, 1), utc(2024, 6, 3), timedelta(minutes=15), seed=9)
        b = simulate_weather(utc(2024, 6, 1), utc(2024, 6, 3), timedelta(minutes=15), seed=9)
        c = simulate_weather(utc(2024, 6, 1), utc(2024, 6, 3), timedelta(minutes=15), seed=10)
        for name in WEATHER_FIELDS:
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
        for name in WEATHER_FIELDS[2:]:
            assert not np.allclose(getattr(a, name), getattr(c, name)), name

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (utc(2024, 3, 10, 7), utc(2024, 3, 12)),  # hourly
            (utc(2025, 9, 29, 13), utc(2025, 10, 2, 5, 45)),  # across the 15-minute switch
            (utc(2025, 10, 20, 9, 15), utc(2025, 10, 20, 9, 30)),  # one live interval
        ],
    )
    def test_a_sub_range_equals_the_slice_of_a_longer_run(self, start, end):
        long = simulate_prices(utc(2024, 1, 1), utc(2025, 11, 1), seed=5)
        part = simulate_prices(start, end, seed=5)
        first = int(np.searchsorted(long.ts, part.ts[0]))
        window = slice(first, first + part.ts.size)
        assert np.array_equal(long.ts[window], part.ts)
        assert np.array_equal(long.price_eur_mwh[window], part.price_eur_mwh)
        assert np.array_equal(long.volume_mwh[window], part.volume_mwh)

    def test_weather_sub_range_equals_the_slice_of_a_longer_run(self):
        long = simulate_weather(utc(2024, 2, 1), utc(2024, 2, 15), timedelta(minutes=1), seed=2)
        part = simulate_weather(utc(2024, 2, 7, 11, 13), utc(2024, 2, 7, 11, 14), timedelta(minutes=1), 2)
        first = int(np.searchsorted(long.ts, part.ts[0]))
        for name in WEATHER_FIELDS:
            assert np.array_equal(getattr(long, name)[first : first + 1], getattr(part, name)), name


class TestDeliveryPeriods:
    def test_hourly_until_the_switch_and_quarter_hours_from_2025_10_01_local(self):
        assert datetime(2025, 10, 1, tzinfo=ZoneInfo("Europe/Berlin")) == QUARTER_HOUR_FROM
        ts, length = delivery_periods(utc(2025, 9, 30, 20), utc(2025, 9, 30, 23))
        assert ts.tolist() == stamps(
            "2025-09-30T20:00", "2025-09-30T21:00", "2025-09-30T22:00", "2025-09-30T22:15",
            "2025-09-30T22:30", "2025-09-30T22:45",
        ).tolist()  # fmt: skip
        assert length.tolist() == [3600, 3600, 900, 900, 900, 900]

    def test_the_price_series_carries_period_lengths_and_proportional_volume(self):
        series = simulate_prices(utc(2025, 9, 30, 12), utc(2025, 10, 1, 12), seed=1)
        minutes = series.period_minutes
        assert set(minutes[series.ts < np.datetime64("2025-09-30T22:00")].tolist()) == {60}
        assert set(minutes[series.ts >= np.datetime64("2025-09-30T22:00")].tolist()) == {15}
        assert series.ts.size == 10 + 14 * 4
        hourly_volume = series.volume_mwh[minutes == 60].mean()
        quarter_volume = series.volume_mwh[minutes == 15].mean()
        assert 0.15 < quarter_volume / hourly_volume < 0.35
        assert np.all(series.volume_mwh > 0)

    def test_a_start_between_boundaries_begins_with_the_next_period(self):
        ts, _ = delivery_periods(utc(2024, 1, 1, 0, 30), utc(2024, 1, 1, 3))
        assert ts.tolist() == stamps("2024-01-01T01:00", "2024-01-01T02:00").tolist()
        ts, _ = delivery_periods(utc(2025, 11, 1, 0, 1), utc(2025, 11, 1, 0, 31))
        assert ts.tolist() == stamps("2025-11-01T00:15", "2025-11-01T00:30").tolist()

    def test_inputs_are_validated(self):
        with pytest.raises(InvalidInput):
            simulate_prices(datetime(2024, 1, 1), datetime(2024, 1, 2), seed=1)
        with pytest.raises(InvalidInput):
            simulate_prices(utc(2024, 1, 2), utc(2024, 1, 1), seed=1)
        with pytest.raises(InvalidInput):
            simulate_prices(utc(2024, 1, 1), utc(2024, 1, 2), seed=1, zone="FR")

    def test_offsets_other_than_utc_are_accepted(self):
        berlin_summer = timezone(timedelta(hours=2))
        a = simulate_prices(datetime(2024, 7, 1, 2, tzinfo=berlin_summer), utc(2024, 7, 2), seed=1)
        assert a.ts[0] == np.datetime64("2024-07-01T00:00")


class TestCalendar:
    def test_berlin_wall_clock_follows_the_eu_summer_time_rule(self):
        ts = stamps(
            "2024-03-31T00:59", "2024-03-31T01:00", "2024-10-27T00:59", "2024-10-27T01:00",
            "2024-01-15T12:00",
        )  # fmt: skip
        assert berlin_wall_clock(ts).tolist() == stamps(
            "2024-03-31T01:59", "2024-03-31T03:00", "2024-10-27T02:59", "2024-10-27T02:00",
            "2024-01-15T13:00",
        ).tolist()  # fmt: skip

    def test_peak_is_weekdays_08_to_20_local_time(self):
        # Monday 2024-07-01 (CEST, UTC+2) and Saturday 2024-07-06.
        ts = stamps(
            "2024-07-01T05:00", "2024-07-01T06:00", "2024-07-01T17:00", "2024-07-01T18:00",
            "2024-07-06T10:00",
        )  # fmt: skip
        assert peak_mask(ts).tolist() == [False, True, True, False, False]
        winter = stamps("2024-01-15T06:00", "2024-01-15T07:00", "2024-01-15T18:00", "2024-01-15T19:00")
        assert peak_mask(winter).tolist() == [False, True, True, False]

    def test_nationwide_public_holidays_include_the_easter_dependent_ones(self):
        days = set(german_public_holidays(np.array([2024, 2025])).astype(str).tolist())
        for day in ("2024-03-29", "2024-04-01", "2024-05-09", "2024-05-20", "2025-04-18", "2025-06-09"):
            assert day in days
        assert {"2024-01-01", "2024-10-03", "2024-12-26"} <= days
        assert len(days) == 18


class TestProducts:
    def test_base_and_peak_are_daily_averages_of_the_right_periods(self):
        # Friday 2024-05-31 and Saturday 2024-06-01, local days (CEST).
        series = simulate_prices(utc(2024, 5, 30, 22), utc(2024, 6, 1, 22), seed=8)
        daily = products(series)
        local = berlin_wall_clock(series.ts)
        hour = (local - local.astype("datetime64[D]")).astype("timedelta64[h]").astype(int)
        friday = local.astype("datetime64[D]") == np.datetime64("2024-05-31")
        assert daily["BASE"].day.astype(str).tolist() == ["2024-05-31", "2024-06-01"]
        assert daily["BASE"].hours.tolist() == [24.0, 24.0]
        assert daily["BASE"].price_eur_mwh[0] == pytest.approx(series.price_eur_mwh[friday].mean(), abs=0.005)
        assert daily["PEAK"].day.astype(str).tolist() == ["2024-05-31"]  # no PEAK on Saturday
        in_band = friday & (hour >= 8) & (hour < 20)
        assert daily["PEAK"].hours.tolist() == [12.0]
        assert daily["PEAK"].price_eur_mwh[0] == pytest.approx(
            series.price_eur_mwh[in_band].mean(), abs=0.005
        )

    def test_quarter_hour_days_average_all_96_periods(self):
        series = simulate_prices(utc(2025, 11, 2, 23), utc(2025, 11, 3, 23), seed=2)  # Monday
        daily = products(series)
        assert series.ts.size == 96
        assert daily["BASE"].hours.tolist() == [24.0]
        assert daily["BASE"].price_eur_mwh[0] == pytest.approx(series.price_eur_mwh.mean(), abs=0.005)
        assert daily["PEAK"].hours.tolist() == [12.0]


class TestWeather:
    def test_values_stay_in_their_physical_ranges(self, weather_2024):
        assert np.all((weather_2024.cloud_cover >= 0) & (weather_2024.cloud_cover <= 1))
        assert np.all((weather_2024.wind_cf >= 0) & (weather_2024.wind_cf <= 1))
        assert np.all((weather_2024.solar_cf >= 0) & (weather_2024.solar_cf <= 1))
        assert weather_2024.temperature_c.min() > -25 and weather_2024.temperature_c.max() < 40

    def test_solar_is_zero_at_night_and_peaks_around_local_solar_noon(self, weather_2024):
        hour_utc = (weather_2024.ts.astype("datetime64[h]").astype(int) % 24).astype(int)
        assert np.all(weather_2024.solar_cf[(hour_utc >= 21) | (hour_utc <= 1)] == 0.0)
        profile = [weather_2024.solar_cf[hour_utc == h].mean() for h in range(24)]
        assert int(np.argmax(profile)) == 11  # solar noon at 10° E is about 11:20 UTC

    def test_more_solar_in_june_than_in_december_and_a_plausible_yearly_yield(self, weather_2024):
        month = weather_2024.ts.astype("datetime64[M]").astype(int) % 12 + 1
        june, december = weather_2024.solar_cf[month == 6].sum(), weather_2024.solar_cf[month == 12].sum()
        assert june > 3 * december
        assert 850 < weather_2024.solar_cf.sum() < 1150  # kWh/kWp/a of a German rooftop system

    def test_wind_is_persistent_and_stronger_in_winter(self, weather_2024):
        month = weather_2024.ts.astype("datetime64[M]").astype(int) % 12 + 1
        wind = weather_2024.wind_cf
        assert wind[np.isin(month, (12, 1, 2))].mean() > wind[np.isin(month, (6, 7, 8))].mean() + 0.05
        assert 0.15 < wind.mean() < 0.3
        assert lag_correlation(wind, 24) > 0.5  # multi-day weather systems
        assert lag_correlation(weather_2024.cloud_cover, 1) > 0.9

    def test_solar_elevation_matches_known_values(self):
        ts = stamps("2024-06-21T11:20", "2024-03-20T11:20", "2024-12-21T11:20", "2024-06-21T23:20")
        elevation = solar_elevation_deg(ts)
        assert elevation[0] == pytest.approx(90 - 51 + 23.44, abs=0.3)
        assert elevation[1] == pytest.approx(90 - 51, abs=0.5)
        assert elevation[2] == pytest.approx(90 - 51 - 23.44, abs=0.3)
        assert elevation[3] < -10


class TestPriceFormation:
    def test_prices_follow_residual_load_and_turn_negative_only_when_it_is_low(self, simulated_2024):
        price, residual_gw = simulated_2024.price_eur_mwh, simulated_2024.residual_load_mw / 1000
        assert np.corrcoef(price, residual_gw)[0, 1] > 0.8
        negative = price < 0
        assert negative.sum() > 100
        assert np.percentile(residual_gw[negative], 90) < np.percentile(residual_gw, 15)
        assert residual_gw[negative].max() < np.median(residual_gw)
        assert price.min() >= -500 and price.max() <= 4000

    def test_negative_prices_cluster_on_weekend_middays(self, simulated_2024):
        local = berlin_wall_clock(simulated_2024.ts)
        hour = (local - local.astype("datetime64[D]")).astype("timedelta64[h]").astype(int)
        weekend = (local.astype("datetime64[D]").astype(int) + 3) % 7 >= 5
        negative = simulated_2024.price_eur_mwh < 0
        assert negative[weekend].mean() > 2 * negative[~weekend].mean()
        midday = (hour >= 11) & (hour < 16)
        assert negative[midday].sum() > 0.5 * negative.sum()  # SMARD 2024: 64 % in these 5 hours

    def test_a_higher_gas_price_raises_the_price_level(self):
        cheap = simulate_prices(utc(2024, 2, 1), utc(2024, 3, 1), seed=1)
        dear = simulate_prices(
            utc(2024, 2, 1), utc(2024, 3, 1), seed=1, model=replace(MarketModel(), gas_eur_mwh=70)
        )
        assert dear.price_eur_mwh.mean() > 1.4 * cheap.price_eur_mwh.mean()


class TestPriceStatistics:
    def test_statistics_use_local_hours_and_the_peak_band(self):
        # Two local days, Mon 2024-01-15 and Tue 2024-01-16 (CET), price = local hour of day.
        ts = np.arange(np.datetime64("2024-01-14T23:00"), np.datetime64("2024-01-16T23:00"), HOUR).astype(
            "datetime64[s]"
        )
        price = np.tile(np.arange(24, dtype=float), 2) - 2.0
        stats = price_statistics(ts, price)
        assert stats["hours"] == 48
        assert stats["mean_by_hour"] == pytest.approx(np.arange(24) - 2.0)
        assert stats["negative_hours"] == 4 and stats["nonpositive_hours"] == 6
        assert stats["peak_mean"] == pytest.approx(13.5 - 2.0)
        assert stats["peak_base_ratio"] == pytest.approx(11.5 / 9.5)
        assert stats["std"] == pytest.approx(np.std(price, ddof=1))

    def test_quarter_hours_are_averaged_to_delivery_hours(self):
        hourly_ts = np.arange(np.datetime64("2025-11-03T00:00"), np.datetime64("2025-11-04T00:00"), HOUR)
        hourly = np.linspace(-10.0, 120.0, 24)
        quarter_ts = np.arange(np.datetime64("2025-11-03T00:00"), np.datetime64("2025-11-04T00:00"), HOUR / 4)
        quarter = np.repeat(hourly, 4) + np.tile([-3.0, -1.0, 1.0, 3.0], 24)
        assert price_statistics(quarter_ts.astype("datetime64[s]"), quarter) == price_statistics(
            hourly_ts.astype("datetime64[s]"), hourly
        )

    def test_unsorted_input_is_rejected(self):
        with pytest.raises(InvalidInput):
            price_statistics(stamps("2024-01-01T01:00", "2024-01-01T00:00"), np.array([1.0, 2.0]))


@pytest.mark.skipif(not REFERENCE_PRICES.exists(), reason=f"reference data missing: {SHARED_DATA} not found")
def test_simulated_2024_matches_the_smard_2024_statistics(simulated_2024):
    reference = price_statistics(*reference_2024())
    simulated = price_statistics(simulated_2024.ts, simulated_2024.price_eur_mwh)
    assert reference["mean"] == pytest.approx(78.51, abs=0.01)  # the file is the one SOURCES.md describes
    correlation = np.corrcoef(simulated["mean_by_hour"], reference["mean_by_hour"])[0, 1]
    assert correlation >= 0.9
    for name in ("mean", "std", "negative_hours", "peak_base_ratio"):
        assert simulated[name] == pytest.approx(reference[name], rel=0.25), name


def reference_2024() -> tuple[np.ndarray, np.ndarray]:
    with REFERENCE_PRICES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ts = np.array([row["ts_utc"].rstrip("Z") for row in rows], dtype="datetime64[s]")
    price = np.array([float(row["price_eur_mwh"]) for row in rows])
    in_2024 = berlin_wall_clock(ts) >= np.datetime64("2024-01-01")
    return ts[in_2024], price[in_2024]


def lag_correlation(values: np.ndarray, lag: int) -> float:
    return float(np.corrcoef(values[lag:], values[:-lag])[0, 1])
