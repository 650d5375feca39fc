"""The series a meter chart shows, as CSV a German spreadsheet opens as it is.

Semicolons between fields and a decimal comma (what Excel and LibreOffice expect in a German locale),
no thousands separator (a spreadsheet would read ``1.234`` as a date or as 1,234), times in
Europe/Berlin as the chart shows them, and a byte-order mark so umlauts survive Excel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta

from luna.domain.energy_calendar import BERLIN, EnergyBar
from luna.web.components.meter_charts import MeterPlot

_STAMP = "%d.%m.%Y %H:%M"


def meter_csv(plot: MeterPlot) -> bytes:
    """The chart's rows: one per bar (kWh) or per point of the power line (kW)."""
    pv = plot.has_pv
    if plot.unit is not None:
        header = ["Beginn", "Ende", "Verbrauch (kWh)"] + (["PV-Erzeugung (kWh)"] if pv else []) + ["Hinweis"]
        rows = [_bar_row(bar, pv) for bar in plot.bars]
    else:
        header = ["Zeit", "Verbrauch (kW)"] + (["PV-Erzeugung (kW)"] if pv else [])
        rows = _line_rows(plot, pv)
    return _csv([header, *rows])


def meter_csv_name(meter_id: str, start: datetime, end: datetime) -> str:
    """``luna-zaehler-m-1_2026-03-03_bis_2026-03-09.csv``: the meter and the local days of the window."""
    first = start.astimezone(BERLIN).date()
    last = (end - timedelta(microseconds=1)).astimezone(BERLIN).date()
    return f"luna-zaehler-{meter_id}_{first.isoformat()}_bis_{last.isoformat()}.csv"


def profile_csv(consumption: Sequence[float | None], production: Sequence[float | None] | None) -> bytes:
    """The typical day: mean kW per local hour."""
    header = ["Stunde", "Verbrauch (kW)"] + (["PV-Erzeugung (kW)"] if production is not None else [])
    rows = [
        [f"{hour:02d}:00", de_decimal(value)]
        + ([de_decimal(production[hour])] if production is not None else [])
        for hour, value in enumerate(consumption)
    ]
    return _csv([header, *rows])


def de_decimal(value: float | None) -> str:
    """``1234,568``: three decimals, a comma, nothing where there is no value."""
    return "" if value is None else f"{value:.3f}".replace(".", ",")


def _stamp(instant: datetime) -> str:
    return instant.astimezone(BERLIN).strftime(_STAMP)


def _bar_row(bar: EnergyBar, pv: bool) -> list[str]:
    note = []
    if bar.covered_from is not None:
        note.append(f"unvollständig: Messwerte erst ab {_stamp(bar.covered_from)}")
    if bar.covered_until is not None:
        note.append(f"unvollständig: Messwerte bis {_stamp(bar.covered_until)}")
    values = [de_decimal(bar.consumption_kwh)] + ([de_decimal(bar.production_kwh)] if pv else [])
    return [_stamp(bar.start), _stamp(bar.end), *values, "; ".join(note)]


def _line_rows(plot: MeterPlot, pv: bool) -> list[list[str]]:
    series = plot.series
    if series is None:
        return []
    raw = series.resolution == "raw"
    names = ["consumption_kw" if raw else "consumption_kw_avg"]
    if pv:
        names.append("production_kw" if raw else "production_kw_avg")
    at = [series.columns.index(name) for name in names]
    return [[_stamp(row[0]), *(de_decimal(row[i]) for i in at)] for row in series.rows]


def _csv(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode("utf-8-sig")
