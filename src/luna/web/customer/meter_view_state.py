"""What the Smart-Meter view shows, decided without a browser: the state kept in the URL, the
resolution "Automatisch" picks, the window on screen, where "früher"/"später" lead and what to say
when data is missing.

The state lives in the query (``/energy?zaehler=…&zeitraum=7d&aufloesung=auto``, plus ``zurueck=2``
for a window stepped back, or ``zeitraum=frei&von=2026-03-01&bis=2026-03-07`` for picked days) so a
reload, a bookmark or a shared link shows the same chart; anything unknown or invalid there falls
back to the default instead of failing, because a URL is typed, cut and pasted by people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Final
from urllib.parse import urlencode

from luna.domain.energy_calendar import BarUnit, bar_start
from luna.web.components.formats import de_count, de_datetime
from luna.web.customer.meter_choice import CUSTOM_PERIOD, PERIODS, RESOLUTION_NAMES
from luna.web.customer.meter_window import (
    MAX_STEPS,
    DayRange,
    later_range,
    local_midnight,
    max_steps,
    parse_day,
    period_span,
    range_problem,
    span_label,
)

QUERY_METER: Final = "zaehler"
QUERY_PERIOD: Final = "zeitraum"
QUERY_RESOLUTION: Final = "aufloesung"
QUERY_STEPS: Final = "zurueck"
QUERY_FROM: Final = "von"
QUERY_TO: Final = "bis"
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
    """The meter, the period and the resolution; ``steps`` windows back from the newest data for a
    fixed period, or the picked ``days`` (then ``period`` is :data:`CUSTOM_PERIOD`)."""

    meter_id: str
    period: str = DEFAULT_PERIOD
    resolution: str = DEFAULT_RESOLUTION
    steps: int = 0
    days: DayRange | None = None

    def __post_init__(self) -> None:
        if (self.period == CUSTOM_PERIOD) != (self.days is not None):
            raise ValueError("picked days go with the custom period, and only with it")

    def url(self, path: str) -> str:
        """``path`` with this state as its query."""
        query = {QUERY_METER: self.meter_id, QUERY_PERIOD: self.period, QUERY_RESOLUTION: self.resolution}
        if self.days is not None:
            query |= {QUERY_FROM: self.days.first.isoformat(), QUERY_TO: self.days.last.isoformat()}
        elif self.steps:
            query[QUERY_STEPS] = str(self.steps)
        return f"{path}?{urlencode(query)}"

    def with_period(self, period: str) -> ViewState:
        """A fixed period, starting again at the newest data."""
        return replace(self, period=period, steps=0, days=None)

    def with_days(self, days: DayRange) -> ViewState:
        return replace(self, period=CUSTOM_PERIOD, steps=0, days=days)

    def with_meter(self, meter_id: str) -> ViewState:
        """Another meter: picked days stay, a fixed period starts again at its newest data."""
        return replace(self, meter_id=meter_id, steps=0)

    def earlier(self) -> ViewState:
        """The window before this one ("◀ früher")."""
        if self.days is not None:
            return replace(self, days=self.days.moved(-self.days.days))
        return replace(self, steps=min(self.steps + 1, max_steps(PERIODS[self.period][1])))

    def later(self, today: date) -> ViewState:
        """The window after this one ("später ▶"), never past today or the newest data."""
        if self.days is not None:
            return replace(self, days=later_range(self.days, today))
        return replace(self, steps=max(self.steps - 1, 0))


def state_from_query(query: Mapping[str, str], meter_ids: Sequence[str], today: date) -> ViewState:
    """The state a URL asks for; a meter that is not the customer's, or an unknown period or
    resolution, gives the default for that part (never another customer's meter); picked days that
    the range picker would refuse (reversed, in the future, too long) give the default period."""
    meter = query.get(QUERY_METER, "")
    period = query.get(QUERY_PERIOD, "")
    resolution = query.get(QUERY_RESOLUTION, "")
    state = ViewState(
        meter_id=meter if meter in meter_ids else meter_ids[0],
        period=period if period in PERIODS else DEFAULT_PERIOD,
        resolution=resolution if resolution in RESOLUTION_NAMES else DEFAULT_RESOLUTION,
    )
    if period == CUSTOM_PERIOD:
        first, last = parse_day(query.get(QUERY_FROM)), parse_day(query.get(QUERY_TO))
        if first is not None and last is not None and range_problem(first, last, today) is None:
            return state.with_days(DayRange(first, last))
        return state
    steps = query.get(QUERY_STEPS, "")
    if steps.isascii() and steps.isdigit() and len(steps) <= len(str(MAX_STEPS)):
        return replace(state, steps=min(int(steps), max_steps(PERIODS[state.period][1])))
    return state


def ignored_in_query(query: Mapping[str, str], state: ViewState) -> list[str]:
    """What of the URL's ``query`` the state :func:`state_from_query` made of it does not show, named in
    German ("Zähler", "Zeitraum" …): a view that quietly showed its default for a bad link left the
    customer believing it showed what they asked for."""
    shown = {
        QUERY_METER: ("Zähler", state.meter_id),
        QUERY_PERIOD: ("Zeitraum", state.period),
        QUERY_RESOLUTION: ("Auflösung", state.resolution),
        QUERY_STEPS: ("Zeitraum", str(state.steps)),
    }
    ignored = [name for key, (name, value) in shown.items() if key in query and query[key] != value]
    return list(dict.fromkeys(ignored))  # picked days that cannot be shown leave the period's default


def auto_resolution(start: datetime, end: datetime) -> str:
    """The finest resolution with at most :data:`AUTO_MAX_POINTS` points over ``[start, end)``:
    quarter-hours for a day, hours for a week, days for a month or a year."""
    for resolution, step in _AUTO_STEPS:
        if (end - start) / step <= AUTO_MAX_POINTS:
            return resolution
    return "1mo"


@dataclass(frozen=True)
class Window:
    """What the chart covers: ``[start, end)`` at ``resolution`` (never ``auto``), inside the chosen
    window ``[requested_start, requested_end)`` and cut to the data; bars start at a whole bar, so
    ``start`` may lie before ``data_start``, where the readings inside the chosen window begin."""

    start: datetime
    end: datetime
    resolution: str
    requested_start: datetime
    requested_end: datetime
    data_start: datetime
    #: ``resolution`` was picked by "Automatisch".
    automatic: bool = False

    @property
    def bar_unit(self) -> BarUnit | None:
        return BAR_UNITS.get(self.resolution)

    @property
    def has_data(self) -> bool:
        """The chosen window holds readings (else there is nothing to draw)."""
        return self.data_start < self.end

    @property
    def label(self) -> str:
        """The chosen window in German, e.g. ``03.03. – 09.03.2026``."""
        return span_label(self.requested_start, self.requested_end)


def chart_window(state: ViewState, data: tuple[datetime, datetime]) -> Window:
    """The window ``state`` asks for, given the data (``data`` = first reading, end of the last).

    A fixed period's first window ends with the newest data; bars start at a whole local hour, day
    or month, lines at the first reading in the window. "Automatisch" picks by what the window holds.
    """
    first, newest = data
    length = PERIODS[state.period][1] if state.days is None else state.days.end - state.days.start
    if state.days is not None:
        rough = state.days.start, state.days.end
    else:
        steps = min(state.steps, max_steps(length))
        rough = newest - (steps + 1) * length, newest - steps * length
    automatic = state.resolution == DEFAULT_RESOLUTION
    held = max(rough[0], first), min(rough[1], newest)
    chosen = auto_resolution(*(held if held[0] < held[1] else rough)) if automatic else state.resolution
    unit = BAR_UNITS.get(chosen)
    requested = rough if state.days is not None else period_span(length, unit, newest, state.steps)
    data_start = max(requested[0], first)
    start = bar_start(first, unit).astimezone(UTC) if unit and first > requested[0] else data_start
    end = min(requested[1], newest)
    return Window(start, end, chosen, requested[0], requested[1], data_start, automatic=automatic)


#: Readings before the window that make "◀ früher" worth a click: 16 minutes of them led to a week
#: with one value in it.
MIN_EARLIER = timedelta(hours=1)


def can_go_earlier(window: Window, data: tuple[datetime, datetime]) -> bool:
    """There is at least an hour of readings before the chosen window."""
    return data[0] <= window.requested_start - MIN_EARLIER


def can_go_later(window: Window, data: tuple[datetime, datetime]) -> bool:
    """There are readings after the chosen window (never past the newest)."""
    return window.requested_end < data[1]


def span_notes(window: Window, data: tuple[datetime, datetime], state: ViewState) -> list[str]:
    """Says plainly where the chosen window reaches beyond the data, and how much is shown."""
    first, newest = data
    if not window.has_data:
        return []
    notes = []
    if first > window.requested_start:
        name = PERIODS[state.period][0] if state.days is None else window.label
        notes.append(
            f"Daten liegen erst ab {de_datetime(first)} Uhr vor: für den Zeitraum „{name}“ "
            f"sehen Sie die vorhandenen {duration_text(window.end - first)}."
        )
    if state.days is not None and newest <= local_midnight(state.days.last):
        notes.append(
            f"Die neuesten Messwerte reichen bis {de_datetime(newest)} Uhr; danach bleibt der "
            "gewählte Zeitraum leer."
        )
    return notes


def empty_note(window: Window, data: tuple[datetime, datetime]) -> str:
    """What a window without readings says instead of a chart."""
    first, newest = data
    return (
        f"Für {window.label} liegen keine Messwerte vor. Messwerte gibt es vom {de_datetime(first)} "
        f"bis {de_datetime(newest)} Uhr."
    )


def duration_text(length: timedelta) -> str:
    """``16 Minuten``, ``5 Stunden``, ``1 Stunde``, ``7 Tage``: minutes below an hour, hours below two
    days, days from there."""
    if length < timedelta(minutes=59, seconds=30):
        return de_count(max(1, round(length / timedelta(minutes=1))), "Minute", "Minuten")
    hours = round(length / timedelta(hours=1))
    if hours < 48:
        return de_count(hours, "Stunde", "Stunden")
    return de_count(round(hours / 24), "Tag", "Tage")
