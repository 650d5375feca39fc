"""kWh bars per Europe/Berlin hour, day and month, and which of them the data covers only in part."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from luna.domain.energy_calendar import BERLIN, bar_start, energy_bars, next_bar, whole_bars_within

#: 2026-03-02 00:00 in Berlin (CET, UTC+1).
MIDNIGHT = datetime(2026, 3, 2, tzinfo=BERLIN)


def _hours(
    start: datetime, count: int, kwh: float = 0.5
) -> list[tuple[datetime, float | None, float | None]]:
    return [((start + timedelta(hours=i)).astimezone(UTC), kwh, None) for i in range(count)]


def test_a_day_bar_sums_the_berlin_day_not_the_utc_day() -> None:
    # 23:00 UTC on 1 March is already 2 March in Berlin.
    rows = _hours(MIDNIGHT, 48)
    data = (MIDNIGHT.astimezone(UTC), (MIDNIGHT + timedelta(days=2)).astimezone(UTC))

    bars = energy_bars(rows, "day", data[0], data[1], data)

    assert [bar.start for bar in bars] == [MIDNIGHT, MIDNIGHT + timedelta(days=1)]
    assert [bar.consumption_kwh for bar in bars] == [12.0, 12.0]
    assert not any(bar.partial for bar in bars)
    assert bars[0].production_kwh is None


def test_the_running_day_is_partial_and_says_until_when_instead_of_reading_as_a_drop() -> None:
    end = MIDNIGHT + timedelta(days=1, hours=14)
    rows = _hours(MIDNIGHT, 38)

    bars = energy_bars(rows, "day", MIDNIGHT, end, (MIDNIGHT, end))

    whole, running = bars
    assert not whole.partial
    assert running.partial and running.covered_until == end and running.covered_from is None
    assert running.consumption_kwh == 7.0


def test_a_day_without_rows_stays_an_empty_bar_so_a_gap_stays_visible() -> None:
    end = MIDNIGHT + timedelta(days=3)
    rows = _hours(MIDNIGHT, 24) + _hours(MIDNIGHT + timedelta(days=2), 24)

    bars = energy_bars(rows, "day", MIDNIGHT, end, (MIDNIGHT, end))

    assert [bar.consumption_kwh for bar in bars] == [12.0, None, 12.0]


def test_the_two_hours_of_the_autumn_clock_change_are_two_bars() -> None:
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 CEST, then 02:00 CET an hour later
    rows = _hours(start, 2)

    bars = energy_bars(rows, "hour", start, start + timedelta(hours=2), (start, start + timedelta(hours=2)))

    assert [bar.consumption_kwh for bar in bars] == [0.5, 0.5]


def test_days_and_months_follow_the_local_calendar_across_the_clock_change() -> None:
    spring = datetime(2026, 3, 29, tzinfo=BERLIN)  # 23 hours long

    assert next_bar(spring, "day").astimezone(UTC) - spring.astimezone(UTC) == timedelta(hours=23)
    assert next_bar(datetime(2026, 1, 1, tzinfo=BERLIN), "month") == datetime(2026, 2, 1, tzinfo=BERLIN)
    assert next_bar(datetime(2026, 12, 1, tzinfo=BERLIN), "month") == datetime(2027, 1, 1, tzinfo=BERLIN)
    assert bar_start(datetime(2026, 3, 15, 23, 30, tzinfo=UTC), "month") == datetime(
        2026, 3, 1, tzinfo=BERLIN
    )


def test_a_period_starts_at_the_next_whole_bar_so_seven_days_are_seven_bars() -> None:
    end = MIDNIGHT + timedelta(days=7, hours=14)

    start = whole_bars_within(end - timedelta(days=7), end, "day")

    assert start == MIDNIGHT + timedelta(days=1)
    assert len(energy_bars([], "day", start, end, (MIDNIGHT, end))) == 7
