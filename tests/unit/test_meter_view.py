"""The Smart-Meter view's decisions without a browser: the state in the URL, the resolution
"Automatisch" picks, the window of a period, where "früher" and "später" lead and when they are
off, picked days, what is said when data is missing, German plurals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from luna.domain.energy_calendar import EnergyBar
from luna.web.components.formats import de_count
from luna.web.components.meter_charts import MeterPlot, meter_chart
from luna.web.customer.energy_chart_card import same_frame
from luna.web.customer.energy_figures import gap_note
from luna.web.customer.meter_view_state import (
    ViewState,
    auto_resolution,
    can_go_earlier,
    can_go_later,
    chart_window,
    duration_text,
    empty_note,
    ignored_in_query,
    span_notes,
    state_from_query,
)
from luna.web.customer.meter_window import DayRange

END = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 14:00 in Berlin
SEVEN_DAYS = (END - timedelta(days=7), END)
METERS = ["m-1", "m-2"]
TODAY = date(2026, 3, 9)


def _query(url: str) -> dict[str, str]:
    return dict(pair.split("=") for pair in url.split("?")[1].split("&"))


def test_the_url_keeps_meter_period_and_resolution_and_reads_them_back() -> None:
    state = ViewState("m-2", "30d", "1d")

    url = state.url("/energy")

    assert url == "/energy?zaehler=m-2&zeitraum=30d&aufloesung=1d"
    assert state_from_query(_query(url), METERS, TODAY) == state


def test_the_url_keeps_a_window_stepped_back_and_picked_days() -> None:
    back = ViewState("m-1", "7d", "auto").earlier().earlier()
    picked = ViewState("m-1").with_days(DayRange(date(2026, 2, 1), date(2026, 2, 28)))

    assert back.url("/energy") == "/energy?zaehler=m-1&zeitraum=7d&aufloesung=auto&zurueck=2"
    assert picked.url("/energy") == (
        "/energy?zaehler=m-1&zeitraum=frei&aufloesung=auto&von=2026-02-01&bis=2026-02-28"
    )
    for state in (back, picked):
        assert state_from_query(_query(state.url("/energy")), METERS, TODAY) == state


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"zaehler": "someone-elses", "zeitraum": "9y", "aufloesung": "<script>"},
        {"zaehler": "", "zeitraum": "", "aufloesung": ""},
    ],
)
def test_unknown_values_in_the_url_fall_back_to_the_defaults(query: dict[str, str]) -> None:
    assert state_from_query(query, METERS, TODAY) == ViewState("m-1", "7d", "auto")


@pytest.mark.parametrize(
    "extra",
    [
        {"zurueck": "-1"},
        {"zurueck": "zwei"},
        {"zurueck": "99999999999"},
        {"zeitraum": "frei", "von": "2026-03-05", "bis": "2026-03-01"},  # reversed
        {"zeitraum": "frei", "von": "2026-03-01", "bis": "2026-03-10"},  # ends tomorrow
        {"zeitraum": "frei", "von": "2024-01-01", "bis": "2026-03-01"},  # longer than 366 days
        {"zeitraum": "frei", "von": "2026-03-01"},
        {"zeitraum": "frei", "von": "1.3.2026", "bis": "9.3.2026"},
        {"zeitraum": "frei", "von": "0001-01-01", "bis": "0001-01-02"},  # before any data can be
    ],
)
def test_a_window_the_picker_would_refuse_falls_back_to_the_newest_week(extra: dict[str, str]) -> None:
    state = state_from_query({"zaehler": "m-2", **extra}, METERS, TODAY)

    assert state == ViewState("m-2", "7d", "auto")


def test_earlier_and_later_step_a_period_and_picked_days_by_their_length() -> None:
    week = ViewState("m-1", "7d", "1d")
    days = ViewState("m-1").with_days(DayRange(date(2026, 2, 24), date(2026, 3, 2)))

    assert week.earlier().steps == 1 and week.earlier().later(TODAY) == week
    assert week.later(TODAY) == week  # the newest window is as late as it gets
    assert days.earlier().days == DayRange(date(2026, 2, 17), date(2026, 2, 23))
    assert days.later(TODAY).days == DayRange(date(2026, 3, 3), TODAY)
    assert days.with_period("30d") == ViewState("m-1", "30d", "auto")
    assert week.earlier().with_meter("m-2") == ViewState("m-2", "7d", "1d")
    assert days.with_meter("m-2").days == days.days


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (timedelta(days=1), "15m"),
        (timedelta(days=7), "1h"),
        (timedelta(days=30), "1d"),
        (timedelta(days=365), "1d"),
        (timedelta(days=3 * 365), "1mo"),
    ],
)
def test_automatic_draws_a_readable_number_of_points(length: timedelta, expected: str) -> None:
    assert auto_resolution(END - length, END) == expected


def test_automatic_for_a_week_draws_hourly_bars_not_ten_thousand_readings() -> None:
    window = chart_window(ViewState("m-1", "7d", "auto"), SEVEN_DAYS)

    assert window.resolution == "1h" and window.automatic and window.bar_unit == "hour"
    assert (window.end - window.start) / timedelta(hours=1) == 168


def test_day_bars_of_a_week_are_seven_local_days_the_last_one_running() -> None:
    window = chart_window(ViewState("m-1", "7d", "1d"), SEVEN_DAYS)

    assert window.start == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 3 March, 00:00 in Berlin
    assert window.label == "03.03.2026, 00:00 – 09.03.2026, 14:00 Uhr"
    assert not window.automatic


def test_a_period_longer_than_the_data_says_since_when_there_is_data() -> None:
    state = ViewState("m-1", "30d", "auto")
    window = chart_window(state, SEVEN_DAYS)

    assert window.start == SEVEN_DAYS[0]
    assert span_notes(window, SEVEN_DAYS, state) == [
        "Daten liegen erst ab 02.03.2026, 14:00 Uhr vor: für den Zeitraum „30 Tage“ sehen Sie die "
        "vorhandenen 7 Tage."
    ]
    week = ViewState("m-1", "7d", "auto")
    assert span_notes(chart_window(week, SEVEN_DAYS), SEVEN_DAYS, week) == []


def test_day_bars_of_a_year_with_a_week_of_data_start_at_the_first_readings_day() -> None:
    window = chart_window(ViewState("m-1", "365d", "1d"), SEVEN_DAYS)

    assert window.start == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # 2 March, 00:00 in Berlin
    assert window.data_start == SEVEN_DAYS[0]  # the first bar is partial


def test_earlier_shows_the_whole_days_before_and_is_off_where_no_data_lies_before() -> None:
    month = (END - timedelta(days=30), END)
    newest = ViewState("m-1", "7d", "1d")
    before = chart_window(newest.earlier(), month)

    assert before.label == "24.02. – 02.03.2026"
    assert before.end == chart_window(newest, month).start  # no gap, no overlap
    assert can_go_earlier(before, month) and can_go_later(before, month)
    assert not can_go_later(chart_window(newest, month), month)
    assert not can_go_earlier(chart_window(ViewState("m-1", "7d", "1h"), SEVEN_DAYS), SEVEN_DAYS)
    # Day bars of the same week begin on 3 March: the evening of 2 March lies before them.
    assert can_go_earlier(chart_window(newest, SEVEN_DAYS), SEVEN_DAYS)
    # 16 minutes of readings before the window led to a week with one value in it.
    lines = chart_window(
        ViewState("m-1", "7d", "15m"), (SEVEN_DAYS[0] - timedelta(minutes=16), SEVEN_DAYS[1])
    )
    assert not can_go_earlier(lines, (SEVEN_DAYS[0] - timedelta(minutes=16), SEVEN_DAYS[1]))


def test_a_window_before_the_first_reading_is_empty_and_says_where_data_is() -> None:
    state = ViewState("m-1", "7d", "1d", steps=3)
    window = chart_window(state, SEVEN_DAYS)

    assert not window.has_data
    assert not can_go_earlier(window, SEVEN_DAYS) and can_go_later(window, SEVEN_DAYS)
    assert empty_note(window, SEVEN_DAYS) == (
        "Für 10.02. – 16.02.2026 liegen keine Messwerte vor. Messwerte gibt es vom 02.03.2026, 14:00 "
        "bis 09.03.2026, 14:00 Uhr."
    )
    assert span_notes(window, SEVEN_DAYS, state) == []


def test_stepping_back_stops_decades_before_the_data_instead_of_failing() -> None:
    state = state_from_query({"zeitraum": "365d", "zurueck": "4000"}, METERS, TODAY)
    window = chart_window(state, SEVEN_DAYS)

    assert state.steps == 30 and state.earlier() == state
    assert not window.has_data and not can_go_earlier(window, SEVEN_DAYS)
    assert window.label.endswith("1996")


def test_picked_days_show_only_the_data_inside_and_say_where_it_ends() -> None:
    state = ViewState("m-1", "auto").with_days(DayRange(date(2026, 3, 1), date(2026, 3, 12)))
    window = chart_window(state, SEVEN_DAYS)

    assert window.label == "01.03. – 12.03.2026"
    assert window.data_start == SEVEN_DAYS[0] and window.end == END
    assert window.resolution == "1h"  # chosen for the 7 days that exist, not the 12 picked
    assert span_notes(window, SEVEN_DAYS, state) == [
        "Daten liegen erst ab 02.03.2026, 14:00 Uhr vor: für den Zeitraum „01.03. – 12.03.2026“ sehen Sie "
        "die vorhandenen 7 Tage.",
        "Die neuesten Messwerte reichen bis 09.03.2026, 14:00 Uhr; danach bleibt der gewählte Zeitraum leer.",
    ]
    assert not can_go_later(window, SEVEN_DAYS) and not can_go_earlier(window, SEVEN_DAYS)


def test_picked_days_inside_the_data_step_to_data_on_both_sides() -> None:
    state = ViewState("m-1").with_days(DayRange(date(2026, 3, 4), date(2026, 3, 5)))
    window = chart_window(state, SEVEN_DAYS)

    assert (window.start, window.end) == (state.days.start, state.days.end)  # type: ignore[union-attr]
    assert window.resolution == "15m" and window.label == "04.03. – 05.03.2026"
    assert can_go_earlier(window, SEVEN_DAYS) and can_go_later(window, SEVEN_DAYS)
    assert span_notes(window, SEVEN_DAYS, state) == []


@pytest.mark.parametrize(
    ("length", "text"),
    [
        (timedelta(minutes=16), "16 Minuten"),  # it said "0 Stunden"
        (timedelta(minutes=1), "1 Minute"),
        (timedelta(hours=1), "1 Stunde"),
        (timedelta(hours=5), "5 Stunden"),
        (timedelta(hours=47), "47 Stunden"),
        (timedelta(days=2), "2 Tage"),
        (timedelta(days=7, minutes=1), "7 Tage"),
    ],
)
def test_a_length_reads_in_german(length: timedelta, text: str) -> None:
    assert duration_text(length) == text


def test_one_quarter_hour_is_singular_in_noun_and_verb() -> None:
    assert de_count(1, "Viertelstunde", "Viertelstunden") == "1 Viertelstunde"
    assert de_count(1440, "Wert", "Werte") == "1.440 Werte"
    assert gap_note(1) == "1 Viertelstunde ohne vollständige Messwerte ist in den Zahlen nicht enthalten."
    assert gap_note(3) == "3 Viertelstunden ohne vollständige Messwerte sind in den Zahlen nicht enthalten."
    assert gap_note(0) is None


def _bars(count: int) -> MeterPlot:
    hour = timedelta(hours=1)
    bars = [EnergyBar(END + i * hour, END + (i + 1) * hour, 0.5, None) for i in range(count)]
    return MeterPlot(has_pv=False, unit="hour", bars=bars)


def test_a_chart_is_drawn_anew_where_merging_would_keep_a_zoom_slider_or_axis_it_no_longer_has() -> None:
    day, two_days, week = meter_chart(_bars(24)), meter_chart(_bars(30)), meter_chart(_bars(168))
    line = meter_chart(MeterPlot(has_pv=False))

    assert same_frame(day, two_days)  # only the bars changed: updated in place
    assert "dataZoom" in week and not same_frame(week, day)
    assert not same_frame(line, day)


@pytest.mark.parametrize(
    ("query", "ignored"),
    [
        ({"zaehler": "m-1", "zeitraum": "30d", "aufloesung": "1h"}, []),
        ({"zaehler": "fremd", "zeitraum": "9y", "aufloesung": "<b>"}, ["Zähler", "Zeitraum", "Auflösung"]),
        ({"zaehler": "m-1", "zeitraum": "frei", "von": "2026-03-09", "bis": "2026-03-01"}, ["Zeitraum"]),
        ({"zaehler": "m-1", "zeitraum": "frei", "von": "2026-03-01", "bis": "2026-03-09"}, []),
        ({"zaehler": "m-1", "zeitraum": "7d", "zurueck": "-1"}, ["Zeitraum"]),
    ],
)
def test_what_the_view_cannot_show_of_its_address_is_named(query: dict[str, str], ignored: list[str]) -> None:
    """A bad link showed the default view without a word, the address still naming what was asked."""
    state = state_from_query(query, ["m-1", "m-2"], date(2026, 3, 10))

    assert ignored_in_query(query, state) == ignored
