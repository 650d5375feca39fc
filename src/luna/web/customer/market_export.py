"""What the Marktpreise view keeps and hands out, decided without a browser: its state in the URL and
the shown prices as CSV.

The state lives in the query (``/market?zeitraum=7d&dauer=3``) so a reload, a bookmark or a shared
link shows the same prices; anything unknown there falls back to the default instead of failing,
because a URL is typed, cut and pasted by people.

The CSV is what a German spreadsheet opens as it is: semicolons between fields, a decimal comma and no
thousands separator, times in Europe/Berlin as the chart shows them, and a byte-order mark so umlauts
survive Excel. One row per quarter-hour with the exchange price and the customer's price in ct/kWh;
a quarter-hour without a known price has empty price fields (never a zero).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import urlencode

from luna.web.components.formats import BERLIN

ROUTE: Final = "/market"
QUERY_PERIOD: Final = "zeitraum"
QUERY_HOURS: Final = "dauer"
#: Period choices: key → (label, whole days before today that are shown too).
SPANS: Final = {"2d": ("Heute und morgen", 0), "7d": ("Letzte 7 Tage", 6), "30d": ("Letzte 30 Tage", 29)}
#: Durations of the flexible load the cheapest windows are sought for (hours → label).
LOAD_HOURS: Final = {1: "1 Stunde", 2: "2 Stunden", 3: "3 Stunden", 4: "4 Stunden"}
DEFAULT_PERIOD: Final = "2d"
DEFAULT_HOURS: Final = 2

_QUARTER: Final = timedelta(minutes=15)
_STAMP: Final = "%d.%m.%Y %H:%M"
CSV_HEADER: Final = ("Beginn", "Ende", "Börsenpreis (ct/kWh)", "Ihr Preis (ct/kWh)")


@dataclass(frozen=True)
class MarketState:
    period: str = DEFAULT_PERIOD
    hours: int = DEFAULT_HOURS

    def url(self) -> str:
        """The view's route with this state as its query."""
        return f"{ROUTE}?{urlencode({QUERY_PERIOD: self.period, QUERY_HOURS: self.hours})}"


def state_from_query(query: Mapping[str, str]) -> MarketState:
    """The state a URL asks for; an unknown period or duration gives the default for that part."""
    period = query.get(QUERY_PERIOD, "")
    hours = {str(choice): choice for choice in LOAD_HOURS}.get(query.get(QUERY_HOURS, ""), DEFAULT_HOURS)
    return MarketState(period=period if period in SPANS else DEFAULT_PERIOD, hours=hours)


def ignored_in_query(query: Mapping[str, str], state: MarketState) -> list[str]:
    """What of the URL's ``query`` the view does not show, in German (as the Smart-Meter view says it)."""
    shown = {QUERY_PERIOD: ("Zeitraum", state.period), QUERY_HOURS: ("Laufzeit", str(state.hours))}
    return [name for key, (name, value) in shown.items() if key in query and query[key] != value]


def price_csv(start: datetime, exchange_eur_mwh: Sequence[float], customer_ct_kwh: Sequence[float]) -> bytes:
    """One row per quarter-hour from ``start`` (real quarter-hours, also across a clock change)."""
    origin = start.astimezone(UTC)
    rows = [list(CSV_HEADER)]
    for i, (exchange, yours) in enumerate(zip(exchange_eur_mwh, customer_ct_kwh, strict=True)):
        begins = origin + i * _QUARTER
        rows.append([_stamp(begins), _stamp(begins + _QUARTER), _decimal(exchange / 10), _decimal(yours)])
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode("utf-8-sig")


def csv_filename(start: datetime, period: str) -> str:
    """``luna-strompreise-2026-03-01-7d.csv``: the first shown day and the period."""
    return f"luna-strompreise-{start.astimezone(BERLIN):%Y-%m-%d}-{period}.csv"


def _stamp(instant: datetime) -> str:
    return instant.astimezone(BERLIN).strftime(_STAMP)


def _decimal(value: float) -> str:
    """``12,345``: three decimals and a comma; nothing where no price is known."""
    return "" if math.isnan(value) else f"{value:.3f}".replace(".", ",")
