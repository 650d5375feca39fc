"""What the Smart-Meter view shows, decided without a browser: the state kept in the URL, the
resolution "Automatisch" picks, the window a period covers and what to say when data is missing.

The state lives in the query (``/energy?zaehler=…&zeitraum=7d&aufloesung=auto``) so a reload, a
bookmark or a shared link shows the same chart; anything unknown there falls back to the default
instead of failing, because a URL is typed, cut and pasted by people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlencode

from luna.domain.energy_calendar import BarUnit, bar_start, whole_bars_within
from luna.web.components.formats import de_count, de_datetime
from luna.web.customer.meter_choice import PERIODS, RESOLUTION_NAMES

QUERY_METER: Final = "zaehler"
QUERY_PERIOD: Final = "zeitraum"
QUERY_RESOLUTION: Final = "aufloesung"
DEFAULT_PERIOD: Final = "7d"
DEFAULT_RESOLUTION: Final = "auto"

#: The most points or bars "Automatisch" draws: a few hundred stay readable on a laptop, thousands
#: are a smear (a week of minute readings is 10,080 points).
AUTO_MAX_POINTS: Final = 400
_AUTO_STEPS: Final = (("15m", timedelta(minutes=15)), ("1h", timedelta(hours=1)), ("1d", timedelta(days=1)))

#: Resolutions drawn as kWh bars, and the local calendar unit of one bar.
BAR_UNITS: Final[dict[str, BarUnit]] = {"1h": "hour", "1d": "day", "1mo": "month"}


@dataclass(frozen=True)
class ViewState:
    meter_id: str
    period: str = DEFAULT_PERIOD
    resolution: str = DEFAULT_RESOLUTION

    def url(self, path: str) -> str:
        """``path`` with this state as its query."""
        query = {QUERY_METER: self.meter_id, QUERY_PERIOD: self.period, QUERY_RESOLUTION: self.resolution}
        return f"{path}?{urlencode(query)}"


def state_from_query(query: Mapping[str, str], meter_ids: Sequence[str]) -> ViewState:
    """The state a URL asks for; a meter that is not the customer's, or an unknown period or
    resolution, gives the default for that part (never another customer's meter)."""
    meter = query.get(QUERY_METER, "")
    period = query.get(QUERY_PERIOD, "")
    resolution = query.get(QUERY_RESOLUTION, "")
    return ViewState(
        meter_id=meter if meter in meter_ids else meter_ids[0],
        period=period if period in PERIODS else DEFAULT_PERIOD,
        resolution=resolution if resolution in RESOLUTION_NAMES else DEFAULT_RESOLUTION,
    )


def auto_resolution(start: datetime, end: datetime) -> str:
    """The finest resolution with at most :data:`AUTO_MAX_POINTS` points over ``[start, end)``:
    quarter-hours for a day, hours for a week, days for a month or a year."""
    for resolution, step in _AUTO_STEPS:
        if (end - start) / step <= AUTO_MAX_POINTS:
            return resolution
    return "1mo"


@dataclass(frozen=True)
class Window:
    """What the chart covers: ``[start, end)`` at ``resolution`` (never ``auto``), and where the
    chosen period would have begun had there been data."""

    start: datetime
    end: datetime
    resolution: str
    requested_start: datetime
    #: ``resolution`` was picked by "Automatisch".
    automatic: bool = False

    @property
    def bar_unit(self) -> BarUnit | None:
        return BAR_UNITS.get(self.resolution)


def chart_window(period: str, resolution: str, data: tuple[datetime, datetime]) -> Window:
    """The window of ``period`` ending with the newest data (``data`` = first reading, end of the
    last); bars start at a whole local hour, day or month, lines at the first reading in it."""
    first, end = data
    requested = end - PERIODS[period][1]
    start = max(requested, first)
    chosen = auto_resolution(start, end) if resolution == DEFAULT_RESOLUTION else resolution
    unit = BAR_UNITS.get(chosen)
    if unit is not None:
        start = bar_start(first, unit) if first > requested else whole_bars_within(requested, end, unit)
    return Window(start, end, chosen, requested, automatic=resolution == DEFAULT_RESOLUTION)


def span_note(window: Window, data: tuple[datetime, datetime], period: str) -> str | None:
    """Says plainly that the period reaches back further than the data, and how much is shown."""
    first, end = data
    if first <= window.requested_start:
        return None
    return (
        f"Daten liegen erst ab {de_datetime(first)} Uhr vor: für den Zeitraum „{PERIODS[period][0]}“ "
        f"sehen Sie die vorhandenen {duration_text(end - first)}."
    )


def duration_text(length: timedelta) -> str:
    """``5 Stunden``, ``1 Stunde``, ``7 Tage``: hours below two days, days from there."""
    hours = round(length / timedelta(hours=1))
    if hours < 48:
        return de_count(hours, "Stunde", "Stunden")
    return de_count(round(hours / 24), "Tag", "Tage")
