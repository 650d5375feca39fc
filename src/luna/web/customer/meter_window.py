"""Where the Smart-Meter view's window lies, and how it reads in German.

Two kinds of window, as in Home Assistant's energy dashboard: a fixed period ("7 Tage") stepped back
from the newest data with "◀ früher" / "später ▶", or whole Europe/Berlin days the customer picked
("Zeitraum wählen"), stepped by their own length.

Stepping back gives the window right before the shown one, so the steps tile the time line without a
gap or an overlap: the earlier window ends where the later one's first bar begins. With energy bars
the step goes back on the wall clock (7 days, not 168 hours), so a week of day bars stays 7 whole
local days across a clock change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from luna.domain.energy_calendar import BERLIN, BarUnit, whole_bars_within
from luna.web.components.formats import de_int

#: The longest range a customer may pick: a leap year.
MAX_RANGE_DAYS: Final = 366
#: The furthest a URL may step back (over ten years of 24-hour windows) ...
MAX_STEPS: Final = 4000
#: ... and never more than this far back from the newest data.
MAX_BACK: Final = timedelta(days=30 * 366)
#: The first day that can be picked (the energy store holds nothing earlier).
FIRST_DAY: Final = date(1970, 1, 2)
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
_GERMAN_DAY: Final = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)


@dataclass(frozen=True)
class DayRange:
    """Europe/Berlin days ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1))

    def moved(self, days: int) -> DayRange:
        step = timedelta(days=days)
        return DayRange(self.first + step, self.last + step)


def local_midnight(day: date) -> datetime:
    """The instant (UTC) ``day`` begins in Berlin."""
    return datetime.combine(day, time(), tzinfo=BERLIN).astimezone(UTC)


def berlin_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(BERLIN).date()


def parse_day(text: str | None) -> date | None:
    """``2026-03-09`` (what a date field and the URL hold) as a date; anything else is None."""
    if not text or len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_german_day(text: str | None) -> date | None:
    """``9.3.2026`` or ``09.03.2026`` (what a German types) as a date; anything else is None."""
    found = _GERMAN_DAY.fullmatch((text or "").strip())
    if found is None:
        return None
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def typed_day_problem(text: str | None, label: str) -> str | None:
    """What is wrong with a typed day, in German (None: it reads as a day, or the field is empty): "the
    date is missing" for "31.02.2026" sent the customer looking for an empty field."""
    typed = (text or "").strip()
    if not typed or parse_german_day(typed) is not None:
        return None
    if _GERMAN_DAY.fullmatch(typed):
        return f"Den {typed} gibt es nicht: bitte prüfen Sie das {label}."
    return f"Das {label} „{typed[:20]}“ ist kein Datum im Format TT.MM.JJJJ, etwa 09.03.2026."


def range_problem(first: date | None, last: date | None, today: date) -> str | None:
    """What is wrong with the range ``first``–``last``, in German; None when it can be shown."""
    if first is None or last is None:
        return "Bitte wählen Sie ein Von- und ein Bis-Datum."
    if first > last:
        return "Das Von-Datum liegt nach dem Bis-Datum. Bitte tauschen Sie die beiden Daten."
    if first < FIRST_DAY:
        return f"Wählen Sie einen Tag ab dem {FIRST_DAY:%d.%m.%Y}."
    if last > today:
        return (
            "Der Zeitraum darf nicht in der Zukunft liegen: wählen Sie als Bis-Datum spätestens heute, "
            f"den {today:%d.%m.%Y}."
        )
    days = DayRange(first, last).days
    if days > MAX_RANGE_DAYS:
        return f"Wählen Sie höchstens {MAX_RANGE_DAYS} Tage; gewählt sind {de_int(days)} Tage."
    return None


def max_steps(length: timedelta) -> int:
    """How many windows of ``length`` "früher" may step back."""
    return min(MAX_STEPS, MAX_BACK // length)


def later_range(days: DayRange, today: date) -> DayRange:
    """The range after ``days``, as long as it; one that would reach past today ends today."""
    moved = days.moved(days.days)
    if moved.last <= today:
        return moved
    return DayRange(today - timedelta(days=days.days - 1), today)


def step_back(end: datetime, length: timedelta, unit: BarUnit | None) -> datetime:
    """Start (UTC) of the window of ``length`` that ends at ``end``: for bars ``length`` earlier on
    the wall clock and then at the first whole bar, for lines exactly ``length`` earlier."""
    if unit is None:
        return end - length
    requested = (end.astimezone(BERLIN) - length).astimezone(UTC)
    return whole_bars_within(requested, end, unit).astimezone(UTC)


def period_span(
    length: timedelta, unit: BarUnit | None, newest: datetime, steps: int
) -> tuple[datetime, datetime]:
    """``[start, end)`` of the window of ``length`` that lies ``steps`` windows before the one
    ending with the newest data (``newest``, the end of the last reading)."""
    end = newest
    start = step_back(end, length, unit)
    for _ in range(min(steps, max_steps(length))):
        end, start = start, step_back(start, length, unit)
    return start, end


def span_label(start: datetime, end: datetime) -> str:
    """``[start, end)`` in German: whole local days as dates (``03.03. – 09.03.2026``, ``09.03.2026``),
    anything else to the minute (``08.03.2026, 14:00 – 09.03.2026, 14:00 Uhr``)."""
    begin, until = start.astimezone(BERLIN), end.astimezone(BERLIN)
    if _is_midnight(begin) and _is_midnight(until):
        last = until.date() - timedelta(days=1)
        if last <= begin.date():
            return f"{begin:%d.%m.%Y}"
        head = f"{begin:%d.%m.}" if begin.year == last.year else f"{begin:%d.%m.%Y}"
        return f"{head} – {last:%d.%m.%Y}"
    if begin.date() == until.date():
        return f"{begin:%d.%m.%Y, %H:%M} – {until:%H:%M} Uhr"
    return f"{begin:%d.%m.%Y, %H:%M} – {until:%d.%m.%Y, %H:%M} Uhr"


def days_of(start: datetime, end: datetime, today: date) -> DayRange:
    """The local days ``[start, end)`` touches, ending today at the latest and at most
    :data:`MAX_RANGE_DAYS` long (the newest kept): what the range picker starts from."""
    first = start.astimezone(BERLIN).date()
    last = min((end - timedelta(microseconds=1)).astimezone(BERLIN).date(), today)
    first = min(max(first, last - timedelta(days=MAX_RANGE_DAYS - 1)), last)
    return DayRange(first, last)


def insights_start(start: datetime, end: datetime, max_days: int) -> datetime:
    """``start``, or later where ``[start, end)`` widened to whole quarter-hours would exceed
    ``max_days`` (what the insights read at most): a picked leap year across two autumn clock changes
    is an hour longer, and its first hour is left out of the figures rather than failing them."""
    quarter = timedelta(minutes=15)
    whole_end = end + (-(end - _EPOCH) % quarter)
    return max(start, whole_end - timedelta(days=max_days))


def unbreakable_stamps(label: str) -> str:
    """``label`` with no-break spaces inside each end, so a narrow screen breaks it only at the
    dash and never between a date and its time."""
    return " – ".join(part.replace(" ", "\u00a0") for part in label.split(" – "))


def _is_midnight(instant: datetime) -> bool:
    return instant.time() == time()
