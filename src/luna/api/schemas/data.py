"""``/api/v1/data``: meters, chart-ready series and a meter's energy insights.

Timestamps leave the API as ISO-8601 UTC with ``Z``; series rows carry their ``ts`` as such a string
so JSON and CSV exports read the same.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from luna.domain.energy import FeedSource, MeterKind, Resolution


class MeterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    meter_id: str
    kind: MeterKind
    has_pv: bool
    pv_kwp: float
    annual_kwh: float | None = Field(description="Annual consumption the meter was set up with, if known")
    interval_s: int = Field(description="Length of one reading's interval in seconds")
    source: FeedSource = Field(description="Where its readings come from: sim, csv, mqtt or api")
    first_ts: datetime | None = Field(description="Start of its first reading (UTC); null without readings")
    last_ts: datetime | None = Field(description="Start of its last reading (UTC)")


class MeterIntervalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval_s: int = Field(
        strict=True,
        description="Seconds one reading covers: 60, 120, 300, 600, 900, 1800 or 3600",
        examples=[900],
    )


class MetersOut(BaseModel):
    meters: list[MeterOut]
    total: int = Field(description="Meters matching the filter, over all pages")
    limit: int
    offset: int


_ROWS_DESCRIPTION = (
    "One object per row: `ts` (ISO-8601 UTC, start of the interval or bucket) and the values named in "
    "`columns`; a missing value is null"
)


class MeterSeriesOut(BaseModel):
    meter_id: str
    resolution: Resolution = Field(description="The resolution served (what `auto` chose)")
    from_: datetime = Field(serialization_alias="from", description="Requested start (inclusive), UTC")
    to: datetime = Field(description="Requested end (exclusive), UTC")
    columns: list[str]
    rows: list[dict[str, Any]] = Field(description=_ROWS_DESCRIPTION)


class MarketSeriesOut(BaseModel):
    market: str
    product: str
    resolution: Resolution = Field(description="The resolution served (what `auto` chose)")
    from_: datetime = Field(serialization_alias="from", description="Requested start (inclusive), UTC")
    to: datetime = Field(description="Requested end (exclusive), UTC")
    columns: list[str]
    rows: list[dict[str, Any]] = Field(description=_ROWS_DESCRIPTION)


class _FromDomain(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TariffsOut(_FromDomain):
    """The tariffs the costs were computed with.

    The dynamic tariff's price of a quarter-hour is `(price/1000 + dynamic_surcharge_net_eur_kwh) ×
    (1 + vat_percent/100)` €/kWh, `price` its day-ahead price in €/MWh: VAT on the exchange price and
    the surcharges alike, the end-customer price of a German bill.
    """

    flat_eur_kwh: float = Field(description="Flat tariff per kWh, all-in: VAT included (€/kWh)")
    dynamic_surcharge_net_eur_kwh: float = Field(
        description="The dynamic tariff's surcharges on the day-ahead price, net of VAT: grid fee, levies, "
        "electricity tax and supplier margin together (€/kWh)"
    )
    vat_percent: float = Field(
        description="VAT on the dynamic tariff's price (%), charged on the day-ahead price and the "
        "surcharges together"
    )
    feed_in_eur_kwh: float = Field(description="Feed-in remuneration for exported energy (€/kWh)")


class PeakOut(_FromDomain):
    kw: float
    at: datetime = Field(description="Start of the quarter-hour the peak fell in (UTC)")


class EnergyOut(_FromDomain):
    consumption_kwh: float
    production_kwh: float
    self_consumed_kwh: float = Field(description="Σ per quarter-hour min(consumption, production)")
    grid_import_kwh: float
    grid_export_kwh: float
    self_consumption_share: float | None = Field(
        description="Self-consumed / produced PV energy, netted per quarter-hour (an upper bound: "
        "peaks within a quarter-hour above the PV output count as covered); null without PV"
    )
    self_sufficiency_share: float | None = Field(description="Self-consumed PV / consumption")


class CostOut(_FromDomain):
    import_kwh: float = Field(description="Grid import of the quarter-hours with readings and a price")
    export_kwh: float
    dynamic_eur: float = Field(
        description="Σ import × (price/1000 + surcharge net) × (1 + VAT/100) − export × feed-in (€)"
    )
    flat_eur: float = Field(description="import × flat tariff − export × feed-in (€)")
    saving_eur: float = Field(description="flat − dynamic: positive when the dynamic tariff was cheaper")
    dynamic_eur_kwh: float | None = Field(
        description="Average dynamic price per imported kWh, VAT included (€/kWh)"
    )
    unpriced_import_kwh: float = Field(
        description="Import in quarter-hours without a price (in neither cost)"
    )
    unpriced_export_kwh: float


class DayShiftOut(_FromDomain):
    day: date = Field(description="Local day (Europe/Berlin)")
    cheapest_start: datetime
    cheapest_end: datetime
    cheapest_price_eur_mwh: float = Field(description="Mean day-ahead price of the cheapest window")
    usual_start: datetime
    usual_end: datetime
    usual_price_eur_mwh: float = Field(description="Mean day-ahead price of the usual window")
    saving_eur: float = Field(description="kWh × (usual − cheapest) / 1000 × (1 + VAT): € the customer pays")


class LoadShiftOut(_FromDomain):
    kwh: float
    hours: float
    usual_local_start: time = Field(
        description="Start (Europe/Berlin) of the window of the load's length where the meter's mean "
        "consumption is highest: when the household usually runs such a load"
    )
    usual_local_end: time
    days: list[DayShiftOut]
    skipped_days: list[date] = Field(description="Full local days without a price for every quarter-hour")
    saving_eur_total: float
    saving_eur_per_day: float | None


class GapOut(_FromDomain):
    start: datetime
    end: datetime = Field(description="Exclusive")
    intervals: int


class CoverageOut(_FromDomain):
    intervals: int = Field(description="Quarter-hours in the period")
    energy_intervals: int = Field(description="Quarter-hours with complete readings")
    priced_intervals: int = Field(description="Quarter-hours with a day-ahead price")
    energy_gap_count: int
    price_gap_count: int
    energy_gaps: list[GapOut] = Field(
        description="The first 50 runs of quarter-hours without complete readings"
    )
    price_gaps: list[GapOut] = Field(description="The first 50 runs of quarter-hours without a price")


class InsightsOut(BaseModel):
    meter_id: str
    market: str | None = Field(description="Market whose BASE (every period) prices were used")
    product: str
    from_: datetime = Field(serialization_alias="from", description="Start, widened to a whole quarter-hour")
    to: datetime = Field(description="End (exclusive), widened to a whole quarter-hour")
    interval_minutes: int
    tariffs: TariffsOut
    consumption_kw_by_hour: list[float | None] = Field(
        description="Mean kW per Europe/Berlin hour of day (index 0 = 00:00–01:00); null without data"
    )
    production_kw_by_hour: list[float | None]
    peak_interval: PeakOut | None = Field(description="Highest quarter-hour mean load")
    peak_reading: PeakOut | None = Field(description="Highest single reading")
    energy: EnergyOut
    cost: CostOut | None = Field(description="null when no quarter-hour has both readings and a price")
    load_shift: LoadShiftOut | None
    load_shift_note: str | None = Field(
        description="Why there is no load-shift comparison, when there is none"
    )
    coverage: CoverageOut
