"""The Smart-Meter view's decisions without a browser: the state in the URL, the resolution
"Automatisch" picks, the window of a period, what is said when data is missing, German plurals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from luna.web.components.formats import de_count
from luna.web.customer.energy_figures import gap_note
from luna.web.customer.meter_view_state import (
    ViewState,
    auto_resolution,
    chart_window,
    duration_text,
    span_note,
    state_from_query,
)

END = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 14:00 in Berlin
SEVEN_DAYS = (END - timedelta(days=7), END)
METERS = ["m-1", "m-2"]


def test_the_url_keeps_meter_period_and_resolution_and_reads_them_back() -> None:
    state = ViewState("m-2", "30d", "1d")

    url = state.url("/energy")

    assert url == "/energy?zaehler=m-2&zeitraum=30d&aufloesung=1d"
    query = dict(pair.split("=") for pair in url.split("?")[1].split("&"))
    assert state_from_query(query, METERS) == state


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"zaehler": "someone-elses", "zeitraum": "9y", "aufloesung": "<script>"},
        {"zaehler": "", "zeitraum": "", "aufloesung": ""},
    ],
)
def test_unknown_values_in_the_url_fall_back_to_the_defaults(query: dict[str, str]) -> None:
    assert state_from_query(query, METERS) == ViewState("m-1", "7d", "auto")


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
    window = chart_window("7d", "auto", SEVEN_DAYS)

    assert window.resolution == "1h" and window.automatic and window.bar_unit == "hour"
    assert (window.end - window.start) / timedelta(hours=1) == 168


def test_day_bars_of_a_week_are_seven_local_days_the_last_one_running() -> None:
    window = chart_window("7d", "1d", SEVEN_DAYS)

    assert window.start == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 3 March, 00:00 in Berlin
    assert not window.automatic


def test_a_period_longer_than_the_data_says_since_when_there_is_data() -> None:
    window = chart_window("30d", "auto", SEVEN_DAYS)

    assert window.start == SEVEN_DAYS[0]
    assert span_note(window, SEVEN_DAYS, "30d") == (
        "Daten liegen erst ab 02.03.2026, 14:00 Uhr vor: für den Zeitraum „30 Tage“ sehen Sie die "
        "vorhandenen 7 Tage."
    )
    assert span_note(chart_window("7d", "auto", SEVEN_DAYS), SEVEN_DAYS, "7d") is None


def test_day_bars_of_a_year_with_a_week_of_data_start_at_the_first_readings_day() -> None:
    window = chart_window("365d", "1d", SEVEN_DAYS)

    assert window.start == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # 2 March, 00:00 in Berlin


@pytest.mark.parametrize(
    ("length", "text"),
    [
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
