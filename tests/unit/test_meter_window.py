"""Where the Smart-Meter view's window lies: picked days in Europe/Berlin and their checks, stepping
back and forth without gaps or overlaps (also across a clock change), and the window in German."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from luna.web.customer.meter_csv import meter_csv_name
from luna.web.customer.meter_window import (
    DayRange,
    berlin_today,
    days_of,
    insights_start,
    later_range,
    parse_day,
    parse_german_day,
    period_span,
    range_problem,
    span_label,
    typed_day_problem,
    unbreakable_stamps,
)

TODAY = date(2026, 3, 9)


def test_picked_days_are_whole_berlin_days_the_last_one_included() -> None:
    week = DayRange(date(2026, 3, 2), date(2026, 3, 8))

    assert week.days == 7
    assert week.start == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # 2 March, 00:00 in Berlin
    assert week.end == datetime(2026, 3, 8, 23, 0, tzinfo=UTC)  # 9 March, 00:00 in Berlin
    summer_starts = DayRange(date(2026, 3, 29), date(2026, 3, 29))
    assert summer_starts.end - summer_starts.start == timedelta(hours=23)


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        (None, date(2026, 3, 1), "Bitte wählen Sie ein Von- und ein Bis-Datum."),
        (date(2026, 3, 5), date(2026, 3, 1), "Das Von-Datum liegt nach dem Bis-Datum."),
        (date(2026, 3, 1), date(2026, 3, 10), "Der Zeitraum darf nicht in der Zukunft liegen"),
        (date(2025, 1, 1), date(2026, 3, 1), "Wählen Sie höchstens 366 Tage; gewählt sind 425 Tage."),
    ],
)
def test_a_range_the_view_cannot_show_is_refused_in_german(
    first: date | None, last: date | None, problem: str
) -> None:
    said = range_problem(first, last, TODAY)

    assert said is not None and said.startswith(problem), said


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (TODAY, TODAY),  # today, still running
        (date(2024, 1, 1), date(2024, 12, 31)),  # a leap year: 366 days
        (date(2026, 3, 1), date(2026, 3, 9)),
    ],
)
def test_a_range_up_to_today_and_up_to_a_leap_year_is_accepted(first: date, last: date) -> None:
    assert range_problem(first, last, TODAY) is None


@pytest.mark.parametrize(
    "text", ["", "gestern", "2026-02-30", "2026-3-1", "20260301", "2026-03-01T00:00", None]
)
def test_only_an_iso_date_is_read_as_a_day(text: str | None) -> None:
    assert parse_day(text) is None


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("09.03.2026", date(2026, 3, 9)),
        ("9.3.2026", date(2026, 3, 9)),
        (" 29.02.2024 ", date(2024, 2, 29)),
        ("29.02.2026", None),
        ("2026-03-09", None),
        ("09.03.26", None),
        ("", None),
        (None, None),
    ],
)
def test_a_typed_day_is_read_the_german_way(text: str | None, day: date | None) -> None:
    assert parse_german_day(text) == day


def test_a_narrow_screen_breaks_the_window_only_at_the_dash() -> None:
    label = unbreakable_stamps("08.03.2026, 14:00 – 09.03.2026, 14:00 Uhr")

    assert label == "08.03.2026,\u00a014:00 – 09.03.2026,\u00a014:00\u00a0Uhr"


def test_today_is_the_berlin_day() -> None:
    assert berlin_today(datetime(2026, 3, 8, 23, 30, tzinfo=UTC)) == date(2026, 3, 9)


def test_picked_days_step_by_their_length_and_never_into_the_future() -> None:
    week = DayRange(date(2026, 2, 16), date(2026, 2, 22))

    assert week.moved(-7) == DayRange(date(2026, 2, 9), date(2026, 2, 15))
    assert later_range(week, TODAY) == DayRange(date(2026, 2, 23), date(2026, 3, 1))
    assert later_range(DayRange(date(2026, 3, 1), date(2026, 3, 5)), TODAY) == DayRange(
        date(2026, 3, 5), TODAY
    )


def test_day_bar_windows_tile_the_time_line_with_seven_local_days_across_the_autumn_clock_change() -> None:
    newest = datetime(2025, 11, 5, 12, 0, tzinfo=UTC)
    windows = [period_span(timedelta(days=7), "day", newest, steps) for steps in range(4)]

    for later, earlier in itertools.pairwise(windows):
        assert earlier[1] == later[0]  # no gap, no overlap
    assert windows[0][1] == newest
    for start, end in windows[1:]:
        assert span_label(start, end).count("–") == 1 and "Uhr" not in span_label(start, end)
        assert (end.date() - start.date()).days == 7
    autumn = windows[1]  # holds 26 October, the day with 25 hours
    assert span_label(*autumn) == "23.10. – 29.10.2025"
    assert autumn[1] - autumn[0] == timedelta(days=7, hours=1)


def test_line_windows_step_back_exactly_their_length() -> None:
    newest = datetime(2026, 3, 9, 13, 7, tzinfo=UTC)

    assert period_span(timedelta(days=1), None, newest, 2) == (
        newest - timedelta(days=3),
        newest - timedelta(days=2),
    )


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (datetime(2026, 3, 1, 23, tzinfo=UTC), datetime(2026, 3, 8, 23, tzinfo=UTC), "02.03. – 08.03.2026"),
        (
            datetime(2025, 12, 28, 23, tzinfo=UTC),
            datetime(2026, 1, 3, 23, tzinfo=UTC),
            "29.12.2025 – 03.01.2026",
        ),
        (datetime(2026, 3, 8, 23, tzinfo=UTC), datetime(2026, 3, 9, 23, tzinfo=UTC), "09.03.2026"),
        (
            datetime(2026, 3, 8, 13, tzinfo=UTC),
            datetime(2026, 3, 9, 13, tzinfo=UTC),
            "08.03.2026, 14:00 – 09.03.2026, 14:00 Uhr",
        ),
        (
            datetime(2026, 3, 8, 23, tzinfo=UTC),
            datetime(2026, 3, 9, 13, tzinfo=UTC),
            "09.03.2026, 00:00 – 14:00 Uhr",
        ),
    ],
)
def test_the_window_reads_in_german_berlin_time(start: datetime, end: datetime, label: str) -> None:
    assert span_label(start, end) == label


def test_the_picker_starts_from_the_days_on_screen_up_to_today() -> None:
    shown = days_of(datetime(2026, 3, 2, 13, tzinfo=UTC), datetime(2026, 3, 9, 13, tzinfo=UTC), TODAY)
    assert shown == DayRange(date(2026, 3, 2), TODAY)
    midnight = days_of(datetime(2026, 3, 1, 23, tzinfo=UTC), datetime(2026, 3, 8, 23, tzinfo=UTC), TODAY)
    assert midnight == DayRange(date(2026, 3, 2), date(2026, 3, 8))
    years = days_of(datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), TODAY)
    assert years.days == 366 and years.last == date(2026, 3, 1)


def test_the_figures_of_a_long_range_keep_within_what_the_insights_read() -> None:
    end = datetime(2026, 3, 9, 13, 7, tzinfo=UTC)
    leap_year = end - timedelta(days=366, hours=1)

    assert insights_start(leap_year, end, 366) == datetime(2025, 3, 8, 13, 15, tzinfo=UTC)
    week = end - timedelta(days=7)
    assert insights_start(week, end, 366) == week


def test_the_csv_file_is_named_for_the_meter_and_the_days_it_holds() -> None:
    name = meter_csv_name("m-1", datetime(2026, 3, 1, 23, tzinfo=UTC), datetime(2026, 3, 8, 23, tzinfo=UTC))

    assert name == "luna-zaehler-m-1_2026-03-02_bis_2026-03-08.csv"


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("31.02.2026", "Den 31.02.2026 gibt es nicht: bitte prüfen Sie das Von-Datum."),
        ("25.11.26", "Das Von-Datum „25.11.26“ ist kein Datum im Format TT.MM.JJJJ, etwa 09.03.2026."),
        ("2026-11-25", "Das Von-Datum „2026-11-25“ ist kein Datum im Format TT.MM.JJJJ, etwa 09.03.2026."),
        ("9.3.2026", None),
        ("  ", None),  # empty: the range asks for both days
    ],
)
def test_a_typed_day_that_is_none_says_why_instead_of_missing(typed: str, said: str | None) -> None:
    """ "31.02.2026" was answered "Bitte wählen Sie ein Von- und ein Bis-Datum.", as if it were empty."""
    assert typed_day_problem(typed, "Von-Datum") == said
