"""Energy insights against cases small enough to compute by hand (the expected numbers are in the tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest

from luna.domain.errors import InvalidInput
from luna.domain.insights import (
    Gap,
    IntervalSeries,
    Tariffs,
    compute_insights,
    cost_comparison,
    energy_totals,
    mean_kw_by_local_hour,
)
from luna.domain.load_shift import FlexibleLoad, load_shift
from luna.domain.price_window import EndCustomerPrice, Surcharge

#: 20 ct/kWh of surcharges, net, and 19 % VAT on the exchange price and the surcharges alike:
#: a kWh at a day-ahead price of p €/MWh costs (p/1000 + 0.20) × 1.19 €.
TARIFFS = Tariffs(
    flat_eur_kwh=0.35,
    dynamic=EndCustomerPrice((Surcharge("Aufschläge", 20.0),), vat_percent=19.0),
    feed_in_eur_kwh=0.08,
)
#: 2025-01-15 00:00 in Berlin (CET, UTC+1).
WINTER_DAY = datetime(2025, 1, 14, 23, 0, tzinfo=UTC)


def series(
    start: datetime,
    step_s: int,
    consumption: list[float],
    production: list[float] | None = None,
    price: list[float] | None = None,
    kw_max: list[float] | None = None,
) -> IntervalSeries:
    n = len(consumption)
    first = np.datetime64(start.replace(tzinfo=None), "s")
    nan = [float("nan")] * n
    return IntervalSeries(
        ts=first + np.arange(n) * np.timedelta64(step_s, "s"),
        step_s=step_s,
        consumption_kwh=np.array(consumption, dtype=np.float64),
        production_kwh=np.array(production if production is not None else [0.0] * n, dtype=np.float64),
        price_eur_mwh=np.array(price if price is not None else nan, dtype=np.float64),
        consumption_kw_max=np.array(kw_max if kw_max is not None else nan, dtype=np.float64),
    )


def hourly_prices() -> list[float]:
    """100 €/MWh, except a night low (03, 04 h), a midday dip (13, 14 h) and an evening peak (18, 19 h)."""
    prices = [100.0] * 24
    prices[3], prices[4] = 40.0, 60.0
    prices[13], prices[14] = 10.0, 20.0
    prices[18], prices[19] = 300.0, 200.0
    return prices


def evening_household() -> list[float]:
    """0.5 kWh every hour and 2 kWh in the evening hours 18 and 19."""
    load = [0.5] * 24
    load[18], load[19] = 2.0, 2.0
    return load


def test_one_winter_day_gives_the_hand_computed_profile_costs_and_cheapest_window() -> None:
    kw_max = [1.0] * 24
    kw_max[7] = 6.5
    day = series(WINTER_DAY, 3600, evening_household(), price=hourly_prices(), kw_max=kw_max)

    insights = compute_insights(day, TARIFFS, FlexibleLoad(kwh=2.0, hours=2.0))

    assert insights.start == WINTER_DAY and insights.end == WINTER_DAY + timedelta(days=1)
    assert insights.consumption_kw_by_hour == tuple(evening_household())
    assert insights.production_kw_by_hour == (0.0,) * 24
    assert insights.peak_interval is not None and insights.peak_reading is not None
    assert insights.peak_interval.kw == 2.0
    assert insights.peak_interval.at == datetime(2025, 1, 15, 17, 0, tzinfo=UTC)  # 18:00 local
    assert insights.peak_reading.kw == 6.5
    assert insights.peak_reading.at == datetime(2025, 1, 15, 6, 0, tzinfo=UTC)
    assert insights.energy.consumption_kwh == pytest.approx(15.0)  # 22 × 0.5 + 2 × 2
    assert insights.energy.self_consumption_share is None  # no PV

    # Σ kWh × price: 0.5 × (22 × 100 − 60 − 40 − 90 − 80) + 2 × (300 + 200) = 1,965 kWh·€/MWh = 1.965 €,
    # plus 15 kWh × 0.20 € surcharge = 3.00 €, net: 4.965 €; with 19 % VAT on all of it 5.90835 €.
    cost = insights.cost
    assert cost is not None
    assert cost.import_kwh == pytest.approx(15.0)
    assert cost.dynamic_eur == pytest.approx(5.90835)
    assert cost.flat_eur == pytest.approx(5.25)
    assert cost.saving_eur == pytest.approx(-0.65835)  # the dynamic tariff was dearer
    assert cost.dynamic_eur_kwh == pytest.approx(5.90835 / 15)

    # The evening (18–20 h) is the usual window; the midday dip 13–15 h (mean 15 €/MWh) the cheapest.
    shift = insights.load_shift
    assert shift is not None and insights.load_shift_note is None
    assert (shift.usual_local_start, shift.usual_local_end) == (time(18, 0), time(20, 0))
    [only] = shift.days
    assert only.day == date(2025, 1, 15)
    assert only.cheapest_start == datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    assert only.cheapest_end == datetime(2025, 1, 15, 14, 0, tzinfo=UTC)
    assert only.cheapest_price_eur_mwh == pytest.approx(15.0)
    assert only.usual_start == datetime(2025, 1, 15, 17, 0, tzinfo=UTC)
    assert only.usual_price_eur_mwh == pytest.approx(250.0)
    assert only.saving_eur == pytest.approx(2.0 * (250.0 - 15.0) / 1000 * 1.19)  # 0.47 € + 19 % VAT
    assert shift.saving_eur_total == pytest.approx(0.5593)
    assert shift.saving_eur_per_day == pytest.approx(0.5593)
    assert insights.coverage.energy_gap_count == 0 and insights.coverage.price_gap_count == 0


def test_pv_self_consumption_import_export_and_their_costs_are_netted_per_interval() -> None:
    quarter = series(
        datetime(2025, 6, 2, 10, 0, tzinfo=UTC),
        900,
        consumption=[1.0, 0.5, 0.2, 0.0],
        production=[0.0, 1.0, 0.5, 0.3],
        price=[100.0, -50.0, 0.0, 200.0],
    )

    totals = energy_totals(quarter)
    assert totals.consumption_kwh == pytest.approx(1.7)
    assert totals.production_kwh == pytest.approx(1.8)
    assert totals.self_consumed_kwh == pytest.approx(0.7)  # min per interval: 0 + 0.5 + 0.2 + 0
    assert totals.self_consumption_share == pytest.approx(0.7 / 1.8)
    assert totals.self_sufficiency_share == pytest.approx(0.7 / 1.7)
    assert totals.grid_import_kwh == pytest.approx(1.0)
    assert totals.grid_export_kwh == pytest.approx(1.1)  # 0.5 + 0.3 + 0.3

    cost = cost_comparison(quarter, TARIFFS)
    assert cost is not None
    # Import only in the first interval: 1 kWh × (0.10 + 0.20) € × 1.19 = 0.357 €; export earns
    # 1.1 kWh × 0.08 € (feed-in carries no VAT for a household).
    assert cost.dynamic_eur == pytest.approx(0.357 - 0.088)
    assert cost.flat_eur == pytest.approx(0.35 - 0.088)
    assert cost.saving_eur == pytest.approx(-0.007)
    insights = compute_insights(quarter, TARIFFS, FlexibleLoad(kwh=1.0, hours=0.5))
    assert insights.peak_interval is not None and insights.peak_interval.kw == pytest.approx(4.0)  # 1 kWh/¼ h


def test_vat_is_charged_on_the_exchange_price_of_every_imported_kwh_not_only_on_the_surcharges() -> None:
    # Import at three prices, one of them negative; an interval that exports adds no import.
    quarter = series(
        datetime(2025, 6, 2, 10, 0, tzinfo=UTC),
        900,
        consumption=[1.0, 2.0, 0.5, 0.0],
        production=[0.0, 0.0, 0.0, 0.4],
        price=[200.0, -50.0, 80.0, 300.0],
    )

    cost = cost_comparison(quarter, TARIFFS)

    assert cost is not None
    # Interval by interval: (0.20 + 0.20) × 1.19 · 1 + (−0.05 + 0.20) × 1.19 · 2 + (0.08 + 0.20) × 1.19 · 0.5
    # = 0.476 + 0.357 + 0.1666 = 0.9996 €, less 0.4 kWh × 0.08 € feed-in.
    assert cost.import_kwh == pytest.approx(3.5)
    assert cost.dynamic_eur == pytest.approx(0.9996 - 0.032)
    assert cost.dynamic_eur_kwh == pytest.approx(0.9996 / 3.5)
    # The exchange-price part alone (0.20 − 0.10 + 0.04 = 0.14 €) carries its 19 % too: 0.1666 €.
    without_surcharges = Tariffs(0.35, EndCustomerPrice(vat_percent=19.0), 0.08)
    exchange_only = cost_comparison(quarter, without_surcharges)
    assert exchange_only is not None
    assert exchange_only.dynamic_eur == pytest.approx(0.14 * 1.19 - 0.032)


def test_the_dynamic_price_is_the_end_customer_price_the_price_views_show() -> None:
    price = EndCustomerPrice(
        (
            Surcharge("Netzentgelt", 10.0),
            Surcharge("Umlagen und Abgaben", 4.536),
            Surcharge("Stromsteuer", 2.05),
        ),
        vat_percent=19.0,
    )
    tariffs = Tariffs(flat_eur_kwh=0.35, dynamic=price, feed_in_eur_kwh=0.08)

    assert tariffs.dynamic_surcharge_net_eur_kwh == pytest.approx(0.16586)
    assert tariffs.vat_percent == 19.0
    for exchange_eur_mwh in (-80.0, 0.0, 95.5, 400.0):
        assert tariffs.dynamic_eur_kwh(exchange_eur_mwh) == pytest.approx(
            price.ct_kwh(exchange_eur_mwh) / 100
        )
    assert tariffs.dynamic_eur_kwh(100.0) == pytest.approx((0.10 + 0.16586) * 1.19)


def test_gaps_are_reported_and_left_out_instead_of_filled() -> None:
    nan = float("nan")
    start = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
    data = series(
        start,
        900,
        consumption=[1.0, nan, nan, 1.0, 2.0, 1.0],
        price=[100.0, 100.0, 100.0, nan, 100.0, nan],
    )

    insights = compute_insights(data, TARIFFS, FlexibleLoad())

    coverage = insights.coverage
    assert (coverage.intervals, coverage.energy_intervals, coverage.priced_intervals) == (6, 4, 4)
    quarter = timedelta(minutes=15)
    assert coverage.energy_gaps == (Gap(start + quarter, start + 3 * quarter, 2),)
    assert coverage.price_gaps == (
        Gap(start + 3 * quarter, start + 4 * quarter, 1),
        Gap(start + 5 * quarter, start + 6 * quarter, 1),
    )
    assert insights.energy.consumption_kwh == pytest.approx(5.0)
    cost = insights.cost
    assert cost is not None
    assert cost.import_kwh == pytest.approx(3.0)  # intervals 0 and 4 have readings and a price
    assert cost.unpriced_import_kwh == pytest.approx(2.0)
    assert cost.flat_eur == pytest.approx(3.0 * 0.35)
    # Six quarter-hours hold no two-hour window with readings throughout: no shift, and the result says why.
    assert insights.load_shift is None
    assert insights.load_shift_note == "No time of day has complete readings for the load's usual window."


def test_without_any_price_there_is_no_cost_and_no_load_shift() -> None:
    day = series(WINTER_DAY, 3600, evening_household())

    insights = compute_insights(day, TARIFFS, FlexibleLoad())

    assert insights.cost is None
    assert insights.load_shift is not None
    assert insights.load_shift.days == () and insights.load_shift.skipped_days == (date(2025, 1, 15),)
    assert insights.load_shift_note == "No full local day of the period has a price for every interval."


def test_hour_of_day_follows_berlin_summer_and_winter_time() -> None:
    # One kWh in the 10:00Z hour of a summer day (CEST, UTC+2) and of a winter day (CET, UTC+1).
    summer = series(datetime(2025, 7, 2, 10, 0, tzinfo=UTC), 3600, [1.0])
    winter = series(datetime(2025, 1, 2, 10, 0, tzinfo=UTC), 3600, [1.0])

    summer_profile = mean_kw_by_local_hour(summer, summer.consumption_kwh)
    winter_profile = mean_kw_by_local_hour(winter, winter.consumption_kwh)

    assert [h for h, kw in enumerate(summer_profile) if kw is not None] == [12]
    assert [h for h, kw in enumerate(winter_profile) if kw is not None] == [11]


def test_mean_by_hour_averages_quarter_hours_into_kw() -> None:
    # 00:00–01:00 local: four quarter-hours of 0.25, 0.5, 0.25, 0 kWh = 1 kWh in one hour = 1 kW mean.
    data = series(WINTER_DAY, 900, [0.25, 0.5, 0.25, 0.0])

    profile = mean_kw_by_local_hour(data, data.consumption_kwh)

    assert profile[0] == pytest.approx(1.0)
    assert profile[1:] == (None,) * 23


def test_quarter_hour_prices_give_a_cheapest_window_at_a_quarter_past() -> None:
    prices = [100.0] * 96
    prices[53:57] = [0.0, 0.0, 0.0, 0.0]  # 13:15–14:15 local
    load = [0.1] * 96
    load[72:76] = [1.0] * 4  # the usual hour: 18:00–19:00 local
    day = series(WINTER_DAY, 900, load, price=prices)

    shift, note = load_shift(day, FlexibleLoad(kwh=3.0, hours=1.0))

    assert shift is not None and note is None
    assert (shift.usual_local_start, shift.usual_local_end) == (time(18, 0), time(19, 0))
    [only] = shift.days
    assert only.cheapest_start == datetime(2025, 1, 15, 12, 15, tzinfo=UTC)
    assert only.cheapest_price_eur_mwh == 0.0 and only.usual_price_eur_mwh == 100.0
    assert only.saving_eur == pytest.approx(0.3)  # 3 kWh × 100 €/MWh


def test_the_load_shift_saving_carries_vat_like_the_price_the_customer_pays() -> None:
    days = series(WINTER_DAY, 3600, evening_household(), price=hourly_prices())

    shift, _ = load_shift(days, FlexibleLoad(), vat_percent=19.0)

    assert shift is not None
    assert shift.saving_eur_total == pytest.approx(0.47 * 1.19)  # VAT is charged on the exchange price too


def test_days_with_a_missing_price_are_skipped_and_only_full_days_compare() -> None:
    prices = hourly_prices() * 2 + [100.0] * 5
    prices[24 + 19] = float("nan")  # the second day's usual window lacks a price
    load = evening_household() * 2 + [0.5] * 5  # a third day cut after 05:00 by the period's end
    days = series(WINTER_DAY, 3600, load, price=prices)

    shift, note = load_shift(days, FlexibleLoad())

    assert shift is not None and note is None
    assert [d.day for d in shift.days] == [date(2025, 1, 15)]
    assert shift.skipped_days == (date(2025, 1, 16),)
    assert shift.saving_eur_total == pytest.approx(0.47)
    assert shift.saving_eur_per_day == pytest.approx(0.47)


def test_two_days_add_up_their_savings() -> None:
    prices = hourly_prices() + [50.0] * 24  # the second day is flat: nothing to save
    days = series(WINTER_DAY, 3600, evening_household() * 2, price=prices)

    shift, _ = load_shift(days, FlexibleLoad())

    assert shift is not None
    assert [d.saving_eur for d in shift.days] == pytest.approx([0.47, 0.0])
    assert shift.saving_eur_total == pytest.approx(0.47)
    assert shift.saving_eur_per_day == pytest.approx(0.235)


@pytest.mark.parametrize(
    ("kwh", "hours", "problem"),
    [
        (0.0, 2.0, "shift_kwh"),
        (2.0, 0.0, "shift_hours"),
        (2.0, 13.0, "shift_hours"),
        (500.0, 2.0, "shift_kwh"),
    ],
)
def test_a_flexible_load_out_of_range_is_refused(kwh: float, hours: float, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        FlexibleLoad(kwh=kwh, hours=hours)


def test_a_window_that_is_not_whole_intervals_is_refused() -> None:
    day = series(WINTER_DAY, 900, [0.1] * 96, price=[50.0] * 96)

    with pytest.raises(InvalidInput, match="whole number of 15-minute intervals"):
        load_shift(day, FlexibleLoad(hours=1.1))


def test_an_interval_series_must_be_a_contiguous_grid() -> None:
    ts = np.array(["2025-01-01T00:00", "2025-01-01T00:30"], dtype="datetime64[s]")
    values = np.zeros(2)
    with pytest.raises(InvalidInput, match="contiguous grid"):
        IntervalSeries(ts, 900, values, values, values, values)


def test_the_25_hour_day_when_clocks_go_back_is_one_full_local_day() -> None:
    # 2025-10-26 in Berlin runs from 22:00Z (CEST) to 23:00Z the next day (CET): 25 hours.
    start = datetime(2025, 10, 25, 22, 0, tzinfo=UTC)
    load, prices = [0.5] * 25, [100.0] * 25
    load[19] = load[20] = 2.0  # 17:00Z and 18:00Z = 18:00 and 19:00 CET
    prices[19], prices[20] = 300.0, 300.0
    prices[14], prices[15] = 10.0, 10.0  # 12:00Z and 13:00Z = 13:00 and 14:00 CET
    day = series(start, 3600, load, price=prices)

    insights = compute_insights(day, TARIFFS, FlexibleLoad())

    profile = [0.5] * 24
    profile[18] = profile[19] = 2.0
    assert insights.consumption_kw_by_hour == tuple(profile)  # 02:00 local twice, both 0.5 kW
    shift = insights.load_shift
    assert shift is not None
    [only] = shift.days
    assert only.day == date(2025, 10, 26)
    assert only.usual_start == datetime(2025, 10, 26, 17, 0, tzinfo=UTC)
    assert only.cheapest_start == datetime(2025, 10, 26, 12, 0, tzinfo=UTC)
    assert only.saving_eur == pytest.approx(2.0 * (300.0 - 10.0) / 1000 * 1.19)
