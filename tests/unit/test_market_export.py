"""The Marktpreise view's state in the URL and its prices as German CSV, decided without a browser."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from luna.web.customer.market_export import (
    MarketState,
    csv_filename,
    ignored_in_query,
    price_csv,
    state_from_query,
)

BERLIN = ZoneInfo("Europe/Berlin")


def test_the_period_and_the_duration_travel_in_the_url() -> None:
    state = MarketState("7d", 3)

    assert state.url() == "/market?zeitraum=7d&dauer=3"
    assert state_from_query({"zeitraum": "7d", "dauer": "3"}) == state


@pytest.mark.parametrize(
    "query",
    [{}, {"zeitraum": "1y", "dauer": "3h"}, {"zeitraum": "", "dauer": "9"}, {"dauer": "-1"}, {"dauer": "²"}],
)
def test_an_unknown_or_garbled_query_falls_back_to_the_defaults(query: dict[str, str]) -> None:
    assert state_from_query(query) == MarketState("2d", 2)


def test_the_prices_download_as_german_csv_in_berlin_time() -> None:
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)  # the night the clocks go forward at 02:00
    exchange_eur_mwh = [123.456, -5.0, math.nan]
    yours = [38.79, 21.5, math.nan]

    text = price_csv(start, exchange_eur_mwh, yours).decode("utf-8-sig")

    assert text.splitlines() == [
        "Beginn;Ende;Börsenpreis (ct/kWh);Ihr Preis (ct/kWh)",
        "29.03.2026 01:30;29.03.2026 01:45;12,346;38,790",
        "29.03.2026 01:45;29.03.2026 03:00;-0,500;21,500",  # 02:00 does not exist that night
        "29.03.2026 03:00;29.03.2026 03:15;;",  # no price known: empty, never zero
    ]
    assert text.endswith("\r\n") and price_csv(start, [], []).startswith(b"\xef\xbb\xbf")  # Excel's BOM


def test_the_file_is_named_after_the_first_day_and_the_period() -> None:
    start = datetime(2026, 3, 1, 23, 0, tzinfo=ZoneInfo("UTC"))  # already 2 March in Berlin

    assert csv_filename(start, "7d") == "luna-strompreise-2026-03-02-7d.csv"


def test_what_the_market_view_cannot_show_of_its_address_is_named() -> None:
    """``/market?zeitraum=999d&dauer=-1`` showed the default without a word."""
    bad = {"zeitraum": "999d", "dauer": "-1"}
    good = {"zeitraum": MarketState().period, "dauer": str(MarketState().hours)}

    assert ignored_in_query(bad, state_from_query(bad)) == ["Zeitraum", "Laufzeit"]
    assert ignored_in_query(good, state_from_query(good)) == []
