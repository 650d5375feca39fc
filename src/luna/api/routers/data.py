"""``/api/v1/data``: the meters, a meter's readings and a market's prices for charts and CSV export,
and a meter's energy insights.

Customers and operators may read them (:func:`~luna.api.callers.current_caller`): operators every
meter, customers only the meters an operator linked to them (others are 404); prices are for all.
``from``/``to`` are taken as text and parsed here, so a time without a zone gets a 400 that says how
to fix it instead of being read as UTC.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from luna.api.callers import Caller, current_caller
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.schemas.data import InsightsOut, MarketSeriesOut, MeterOut, MeterSeriesOut, MetersOut
from luna.api.schemas.envelope import Envelope
from luna.domain.energy import MeterKind
from luna.domain.energy_validation import METER_ID_PATTERN
from luna.domain.load_shift import MAX_SHIFT_HOURS, MAX_SHIFT_KWH, FlexibleLoad
from luna.services.energy.energy_data import (
    EnergyDataService,
    MeterPage,
    ResolutionChoice,
    Series,
    parse_instant,
)
from luna.services.energy.insights import InsightsService
from luna.services.energy.user_meters import MeterAccess

router = APIRouter(prefix="/data", tags=["data"], dependencies=[Depends(current_caller)])

Format = Literal["json", "csv"]


Data = Annotated[EnergyDataService, from_services(lambda s: s.energy_data)]
Insights = Annotated[InsightsService, from_services(lambda s: s.insights)]
Access = Annotated[MeterAccess, from_services(lambda s: s.meter_access)]

From = Annotated[
    str,
    Query(alias="from", description="Start (inclusive), ISO-8601 with a time zone, e.g. 2025-01-01T00:00Z"),
]
To = Annotated[
    str, Query(description="End (exclusive), ISO-8601 with a time zone, e.g. 2025-01-02T00:00+01:00")
]


def period(from_: From, to: To) -> tuple[datetime, datetime]:
    """``from`` and ``to`` as aware UTC instants (a 400 for text without a time zone)."""
    return parse_instant("from", from_), parse_instant("to", to)


Period = Annotated[tuple[datetime, datetime], Depends(period)]
#: Every stored meter ID passed the feeds' rule (the simulator's IDs too), so an ID outside it is a
#: typo, answered with the rule rather than a lookup (which PostgreSQL refuses for a NUL byte).
MeterId = Annotated[
    str, Query(pattern=f"^{METER_ID_PATTERN}$", description="1–64 characters of A–Z a–z 0–9 . _ : -")
]

CallerOf = Annotated[Caller, Depends(current_caller)]


def readable_meter(access: Access, caller: CallerOf, meter_id: MeterId) -> str:
    """``meter_id`` when the caller may read it (:class:`~luna.services.energy.user_meters.MeterAccess`)."""
    access.require(caller.user_id, meter_id)
    return meter_id


ReadableMeter = Annotated[str, Depends(readable_meter)]
ResolutionParam = Annotated[
    ResolutionChoice,
    Query(
        description="raw readings/periods, or 15m/1h/1d rollup buckets; auto (default) picks the finest "
        "whose rows fit energy.max_points"
    ),
]
FormatParam = Annotated[
    Format, Query(alias="format", description="json (envelope) or csv (a download with a header row)")
]

_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The series; with `format=csv` a CSV download", "content": {"text/csv": {}}}
}


@router.get("/meters", summary="Meters with their type, PV and first/last reading")
def meters(
    access: Access,
    service: Data,
    caller: CallerOf,
    kind: Annotated[MeterKind | None, Query(description="Only meters of this type")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Envelope[MetersOut]:
    if caller.user_id is None:
        page = service.meters(kind, limit, offset)
    else:
        page = MeterPage.of(access.linked_meters(caller.user_id), kind, limit, offset)
    out = MetersOut(
        meters=[MeterOut.model_validate(m) for m in page.meters], total=page.total, limit=limit, offset=offset
    )
    return ok(out, f"{len(out.meters)} of {page.total} meters.")


@router.get(
    "/smartmeter",
    summary="One meter's readings (raw) or rollups (15m, 1h, 1d) as JSON rows or CSV",
    response_model=Envelope[MeterSeriesOut],
    responses=_CSV_RESPONSE,
)
def smartmeter(
    service: Data,
    meter_id: ReadableMeter,
    span: Period,
    resolution: ResolutionParam = "auto",
    format_: FormatParam = "json",
) -> Any:
    series = service.meter_series(meter_id, *span, resolution)
    return _series_answer(series, format_, f"smartmeter_{meter_id}", MeterSeriesOut, meter_id=meter_id)


@router.get(
    "/market",
    summary="Day-ahead prices of a market and product as JSON rows or CSV",
    response_model=Envelope[MarketSeriesOut],
    responses=_CSV_RESPONSE,
)
def market(
    service: Data,
    span: Period,
    market: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Market label; default: the first of sim.markets"),
    ] = None,
    product: Annotated[
        str | None, Query(min_length=1, max_length=100, description="BASE (default) or PEAK")
    ] = None,
    resolution: ResolutionParam = "auto",
    format_: FormatParam = "json",
) -> Any:
    market, product, series = service.market_series(market, product, *span, resolution)
    stem = f"market_{market}_{product}"
    return _series_answer(series, format_, stem, MarketSeriesOut, market=market, product=product)


@router.get("/insights", summary="A meter's consumption profile, peaks, PV share, costs and cheapest windows")
def insights(
    service: Insights,
    meter_id: ReadableMeter,
    span: Period,
    market: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Market whose prices to use; default: the first of sim.markets",
        ),
    ] = None,
    shift_kwh: Annotated[
        float,
        Query(gt=0, le=MAX_SHIFT_KWH, description="Energy of the flexible load (kWh), e.g. a dishwasher"),
    ] = 2.0,
    shift_hours: Annotated[
        float, Query(gt=0, le=MAX_SHIFT_HOURS, description="Its running time (h), a multiple of 0.25")
    ] = 2.0,
) -> Envelope[InsightsOut]:
    load = FlexibleLoad(kwh=shift_kwh, hours=shift_hours)
    result = service.insights(meter_id, *span, market=market, load=load)
    found = result.insights
    out = InsightsOut.model_validate(
        {
            **{name: getattr(found, name) for name in _INSIGHT_FIELDS},
            "meter_id": result.meter_id,
            "market": result.market,
            "product": result.product,
            "from_": found.start,
            "to": found.end,
            "interval_minutes": found.step_s // 60,
            "tariffs": result.tariffs,
        },
        from_attributes=True,
    )
    return ok(
        out, f"Insights over {found.coverage.energy_intervals} of {found.coverage.intervals} quarter-hours."
    )


_INSIGHT_FIELDS = (
    "consumption_kw_by_hour",
    "production_kw_by_hour",
    "peak_interval",
    "peak_reading",
    "energy",
    "cost",
    "load_shift",
    "load_shift_note",
    "coverage",
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(value: Any) -> Any:
    """A stored value as the API shows it: timestamps in ISO-8601 UTC, NaN as null."""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _series_fields(series: Series) -> dict[str, Any]:
    columns = series.columns
    return {
        "resolution": series.resolution,
        "from_": series.start,
        "to": series.end,
        "columns": list(columns),
        "rows": [
            {name: _cell(value) for name, value in zip(columns, row, strict=True)} for row in series.rows
        ],
    }


def _series_answer(
    series: Series, format_: Format, stem: str, schema: type[BaseModel], **identity: str
) -> Any:
    """The series as a CSV download named after ``stem``, or as ``schema`` (with the meter or market
    ``identity``) in the envelope."""
    if format_ == "csv":
        return _csv_download(series, stem)
    out = schema(**identity, **_series_fields(series))
    return ok(out, f"{len(series.rows)} rows at resolution {series.resolution}.")


def _csv_download(series: Series, stem: str) -> Response:
    """The series as CSV: a header row, ``ts`` in ISO-8601 UTC, empty fields for missing values."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(series.columns)
    for row in series.rows:
        writer.writerow(["" if cell is None else cell for cell in map(_cell, row)])
    name = f"{stem}_{series.start:%Y%m%dT%H%M%SZ}_{series.end:%Y%m%dT%H%M%SZ}_{series.resolution}.csv"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Response(
        text.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )
