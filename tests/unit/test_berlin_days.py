"""Days and times on German clocks in the admin charts: the flywheel's KPI buckets are UTC days, the views
label them where they start in Berlin and say when such a day begins, never "Tage in UTC"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from luna.domain.flywheel.kpi_values import ALL, Kpi, KpiValue, Window
from luna.web.components.formats import BERLIN, day_start_note, de_day, de_day_hour
from luna.web.components.kpi_chart import kpi_chart


def utc_day_start(day: date) -> datetime:
    """The instant a UTC calendar day (a KPI bucket of the flywheel) begins."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _days(first: date, count: int) -> list[datetime]:
    return [utc_day_start(first + timedelta(days=n)) for n in range(count)]


def test_a_utc_rollup_day_starts_at_one_in_winter_and_at_two_in_summer_on_german_clocks() -> None:
    winter, summer = utc_day_start(date(2026, 1, 31)), utc_day_start(date(2026, 7, 1))

    assert winter.astimezone(BERLIN).hour == 1 and summer.astimezone(BERLIN).hour == 2
    assert (de_day(winter), de_day(summer)) == ("31.01.", "01.07.")
    assert (
        day_start_note(_days(date(2026, 1, 10), 7))
        == "Ein Tag beginnt hier jeweils um 01:00 Uhr deutscher Zeit."
    )
    assert (
        day_start_note(_days(date(2026, 7, 10), 7))
        == "Ein Tag beginnt hier jeweils um 02:00 Uhr deutscher Zeit."
    )


def test_a_week_across_the_clock_change_names_both_starts() -> None:
    note = day_start_note(_days(date(2026, 3, 26), 7))  # summer time begins on 29 March 2026

    assert note == (
        "Ein Tag beginnt hier jeweils um 01:00 Uhr (Winterzeit) bzw. 02:00 Uhr (Sommerzeit) deutscher Zeit."
    )
    assert "UTC" not in note


def test_days_that_start_at_midnight_in_berlin_are_plain_calendar_days() -> None:
    midnights = [datetime(2026, 1, day, tzinfo=BERLIN) for day in range(1, 8)]

    assert day_start_note(midnights) == "Tage nach deutscher Zeit (0 bis 24 Uhr)."
    assert de_day(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == "01.02."  # already the next day in Berlin
    assert de_day_hour(datetime(2026, 7, 1, 12, tzinfo=UTC)) == "01.07. 14:00"


def test_kpi_buckets_are_labelled_on_german_clocks() -> None:
    day = KpiValue(Kpi.USEFULNESS_RATE, Window.DAY, datetime(2026, 11, 23, tzinfo=UTC), ALL, 0.5, 30)
    berlin_day = KpiValue(
        Kpi.USEFULNESS_RATE, Window.DAY, datetime(2026, 11, 23, 23, tzinfo=UTC), ALL, 0.5, 30
    )
    hour = KpiValue(Kpi.LATENCY_P95_MS, Window.HOUR, datetime(2026, 11, 23, 23, tzinfo=UTC), ALL, 900.0, 9)

    assert kpi_chart(Kpi.USEFULNESS_RATE, [day, berlin_day], ())["xAxis"]["data"] == ["23.11.", "24.11."]
    assert kpi_chart(Kpi.LATENCY_P95_MS, [hour], ())["xAxis"]["data"] == ["24.11. 00:00"]
