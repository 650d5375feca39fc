"""Which meters a customer picks from, and how a meter and a period are named in German.

A customer linked to meters (by an operator) sees exactly those. Without a link every meter of the
installation is offered, as the data API allows any customer to read them: a new installation
(demo, simulator) shows its data before anyone was linked. The page says which case it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from luna.domain.energy import MeterInfo
from luna.services.user_meters import MeterLinkService
from luna.web.context import WebContext

MAX_METERS: Final = 1000

KIND_NAMES: Final = {
    "household": "Haushalt",
    "commercial": "Gewerbe",
    "agriculture": "Landwirtschaft",
    "unknown": "unbekannte Art",
}

#: Period choices: key → (label, length), ending at the newest data.
PERIODS: Final = {
    "1d": ("24 Stunden", timedelta(days=1)),
    "7d": ("7 Tage", timedelta(days=7)),
    "30d": ("30 Tage", timedelta(days=30)),
    "365d": ("1 Jahr", timedelta(days=365)),
}

RESOLUTION_NAMES: Final = {
    "auto": "Automatisch",
    "raw": "Messwerte",
    "15m": "15 Minuten",
    "1h": "Stunden",
    "1d": "Tage",
}


@dataclass(frozen=True)
class MeterChoice:
    meters: list[MeterInfo]
    #: True when these are the customer's linked meters, False when they are all meters.
    linked: bool


def meters_for(web: WebContext, user_id: str) -> MeterChoice:
    """The customer's linked meters, or every meter when none is linked (blocking: call in a thread)."""
    linked = MeterLinkService(web.container.database, web.container.energy).links(user_id).meters
    if linked:
        return MeterChoice(linked, linked=True)
    return MeterChoice(web.energy_data().meters(None, MAX_METERS, 0).meters, linked=False)


def meter_label(meter: MeterInfo) -> str:
    parts = [meter.meter_id, KIND_NAMES.get(meter.kind, meter.kind)]
    if meter.has_pv:
        parts.append(f"PV {meter.pv_kwp:g} kWp".replace(".", ","))
    return " · ".join(parts)


def period_ending(end: datetime, key: str) -> tuple[datetime, datetime]:
    """``[end − length, end)`` of the period ``key``."""
    return end - PERIODS[key][1], end
