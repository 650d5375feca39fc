"""Which meters a customer picks from, and how a meter and a period are named in German.

A customer sees exactly the meters linked to them (by an operator, or by themselves with the meter's
Freischaltcode), as in the data API (:class:`~luna.services.energy.user_meters.MeterAccess`); without
a link the page says how to get one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from luna.domain.energy import MeterInfo
from luna.web.context import WebContext

KIND_NAMES: Final = {
    "household": "Haushalt",
    "commercial": "Gewerbe",
    "agriculture": "Landwirtschaft",
    "unknown": "unbekannte Art",
}

#: Period choices: key → (label, length); the first window ends at the newest data, "◀ früher" steps
#: back by the length (:mod:`luna.web.customer.meter_window`).
PERIODS: Final = {
    "1d": ("24 Stunden", timedelta(days=1)),
    "7d": ("7 Tage", timedelta(days=7)),
    "30d": ("30 Tage", timedelta(days=30)),
    "365d": ("1 Jahr", timedelta(days=365)),
}
#: The period of days the customer picked ("Zeitraum wählen").
CUSTOM_PERIOD: Final = "frei"
#: What the "Zeitraum" field offers.
PERIOD_CHOICES: Final = {
    **{key: label for key, (label, _) in PERIODS.items()},
    CUSTOM_PERIOD: "Eigener Zeitraum",
}

#: Resolution choices: ``raw`` and ``15m`` draw power (kW) as a line, the others energy (kWh) as bars.
RESOLUTION_NAMES: Final = {
    "auto": "Automatisch",
    "raw": "Messwerte",
    "15m": "15 Minuten",
    "1h": "Stunden",
    "1d": "Tage",
    "1mo": "Monate",
}


def meters_for(web: WebContext, user_id: str) -> list[MeterInfo]:
    """The customer's linked meters (blocking: call in a thread)."""
    return web.services.meter_access.linked_meters(user_id)


def meter_label(meter: MeterInfo) -> str:
    parts = [meter.meter_id, KIND_NAMES.get(meter.kind, meter.kind)]
    if meter.has_pv:
        parts.append(f"PV {meter.pv_kwp:g} kWp".replace(".", ","))
    return " · ".join(parts)
