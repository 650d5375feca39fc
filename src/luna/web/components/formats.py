"""Numbers, money and times the German way: ``1.234,5 kWh``, ``12,30 €``, ``31.01.2026, 14:05``.

Times are shown in Europe/Berlin, the clock of the market and of Luna's customers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

BERLIN: Final = ZoneInfo("Europe/Berlin")


def de_number(value: float, digits: int = 0) -> str:
    """``value`` with a decimal comma and dots between thousands."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def de_int(value: int) -> str:
    return de_number(value, 0)


def de_percent(ratio: float, digits: int = 0) -> str:
    return f"{de_number(ratio * 100, digits)} %"


def de_eur(value: float) -> str:
    return f"{de_number(value, 2)} €"


def de_datetime(instant: datetime) -> str:
    return instant.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M")


def de_time(instant: datetime) -> str:
    return instant.astimezone(BERLIN).strftime("%H:%M")


def de_count(count: int, singular: str, plural: str) -> str:
    """``1 Viertelstunde``, ``2 Viertelstunden``, ``1.440 Werte``: the noun agrees with the number."""
    return f"{de_int(count)} {singular if count == 1 else plural}"
