"""Numbers, money and times the German way: ``1.234,5 kWh``, ``12,30 €``, ``31.01.2026, 14:05``.

Times are shown in Europe/Berlin, the clock of the market and of Luna's customers. Rollups that count
per UTC calendar day (events, ingest, KPI day windows) are labelled by where their day starts in
Berlin, and :func:`day_start_note` says when on German clocks such a day begins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

# One rounding and one plural rule for every view, the API and the CLI.
from luna.domain.german_numbers import de_count as de_count
from luna.domain.german_numbers import de_number as de_number
from luna.domain.german_numbers import de_percent as de_percent

BERLIN: Final = ZoneInfo("Europe/Berlin")


def de_int(value: int) -> str:
    return de_number(value, 0)


def de_eur(value: float) -> str:
    return f"{de_number(value, 2)} €"


def de_datetime(instant: datetime) -> str:
    return instant.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M")


def de_time(instant: datetime) -> str:
    return instant.astimezone(BERLIN).strftime("%H:%M")


def de_day(instant: datetime) -> str:
    """The Berlin calendar day of ``instant``: ``31.01.``."""
    return instant.astimezone(BERLIN).strftime("%d.%m.")


def de_day_hour(instant: datetime) -> str:
    """``instant`` on Berlin's clock, to the minute, without the year: ``31.01. 14:00``."""
    return instant.astimezone(BERLIN).strftime("%d.%m. %H:%M")


def day_start_note(starts: Iterable[datetime]) -> str:
    """When, on German clocks, the day buckets starting at ``starts`` begin, in one sentence.

    A rollup's day that starts at midnight UTC begins at 01:00 in winter and at 02:00 in summer; buckets
    that start at midnight in Berlin are plain calendar days.
    """
    begins = {
        (start.astimezone(BERLIN).strftime("%H:%M"), bool(start.astimezone(BERLIN).dst())) for start in starts
    }
    if all(clock == "00:00" for clock, _ in begins):
        return "Tage nach deutscher Zeit (0 bis 24 Uhr)."
    if len({clock for clock, _ in begins}) == 1:
        [(clock, _), *_] = begins
        return f"Ein Tag beginnt hier jeweils um {clock} Uhr deutscher Zeit."
    shown = sorted(begins, key=lambda begin: (begin[1], begin[0]))
    parts = [f"{clock} Uhr ({'Sommerzeit' if summer else 'Winterzeit'})" for clock, summer in shown]
    return f"Ein Tag beginnt hier jeweils um {' bzw. '.join(parts)} deutscher Zeit."
