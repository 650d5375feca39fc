"""``/api/v1/data``: meters, series as JSON and CSV, limits, time zones, and insights over HTTP on SQLite.

The store is filled through the real energy store: a hand-made meter and hourly prices whose numbers
are stated here, and a simulated household with PV at one-minute readings for the rollup checks.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.domain.energy import MeterInfo, PriceBatch, ReadingBatch
from luna.domain.sim.meters import MeterSpec, simulate_meter
from luna.ports.energy import EnergyStore
from luna.settings import EnergySettings
from tests.api.conftest import ADMIN_KEY, http_client

pytestmark = pytest.mark.anyio

#: Operators read every meter; the customer tests below link meters to CUSTOMER first.
OPERATOR = {"X-Admin-Key": ADMIN_KEY}
CUSTOMER_ID = "3c1d8f0e-5b7a-4e2d-9c6f-1a2b3c4d5e6f"
CUSTOMER = {"X-Dev-User": CUSTOMER_ID}
#: 2025-01-15 00:00 in Berlin (CET, UTC+1), a Wednesday.
HAND_DAY = datetime(2025, 1, 14, 23, 0, tzinfo=UTC)
HAND_METER = "hand-1"
SIM_METER = "sim-pv-1"
SIM_START = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)
SIM_DAYS = 2


def hourly_prices() -> list[float]:
    """100 €/MWh, except a night low (03, 04 h), a midday dip (13, 14 h) and an evening peak (18, 19 h)."""
    prices = [100.0] * 24
    prices[3], prices[4] = 40.0, 60.0
    prices[13], prices[14] = 10.0, 20.0
    prices[18], prices[19] = 300.0, 200.0
    return prices


def _grid(start: datetime, n: int, step_s: int) -> Any:
    return np.datetime64(start.replace(tzinfo=None), "s") + np.arange(n) * np.timedelta64(step_s, "s")


def hand_readings() -> ReadingBatch:
    """Quarter-hour readings of 2025-01-15 (local): 0.5 kW, 2 kW from 18 to 20 h; no PV.

    One reading before the day, at 2025-01-14T22:45Z, is ``missing`` (no values).
    """
    n = 97
    consumption = np.full(n, 0.5)
    consumption[1 + 72 : 1 + 80] = 2.0
    consumption[0] = np.nan
    quality = np.array(["missing"] + ["ok"] * (n - 1))
    register = 1000.0 + np.nancumsum(consumption) * 0.25
    register[0] = np.nan
    production = np.zeros(n)
    production[0] = np.nan
    voltage = np.full(n, 231.0)
    voltage[0] = np.nan
    return ReadingBatch(
        meter_id=np.full(n, HAND_METER),
        ts=_grid(HAND_DAY - timedelta(minutes=15), n, 900),
        consumption_kw=consumption,
        production_kw=production,
        voltage=voltage,
        quality=quality,
        register_kwh=register,
    )


def hand_prices() -> PriceBatch:
    """EEX BASE hourly over the hand-made day, and EEX PEAK for its 08–20 h band."""
    base, peak = np.array(hourly_prices()), np.array(hourly_prices()[8:20])
    ts = np.concatenate([_grid(HAND_DAY, 24, 3600), _grid(HAND_DAY + timedelta(hours=8), 12, 3600)])
    return PriceBatch(
        market=np.full(36, "EEX"),
        product=np.array(["BASE"] * 24 + ["PEAK"] * 12),
        ts=ts,
        price_eur_mwh=np.concatenate([base, peak]),
        volume=np.full(36, 1000.0),
    )


def sim_readings() -> ReadingBatch:
    series = simulate_meter(
        MeterSpec(SIM_METER, "household", annual_kwh=4000.0, has_pv=True, pv_kwp=6.0, seed=11),
        SIM_START,
        SIM_START + timedelta(days=SIM_DAYS),
    )
    n = series.ts.shape[0]
    return ReadingBatch(
        meter_id=np.full(n, SIM_METER),
        ts=series.ts,
        consumption_kw=series.consumption_kw,
        production_kw=series.production_kw,
        voltage=series.voltage,
        quality=series.quality,
        register_kwh=series.register_kwh,
    )


def fill_store(store: EnergyStore) -> None:
    """The hand-made meter (15-minute readings) with its prices, and the simulated PV household."""
    store.upsert_meters(
        [
            MeterInfo(HAND_METER, kind="household", interval_s=900, source="csv"),
            MeterInfo(SIM_METER, kind="household", has_pv=True, pv_kwp=6.0, annual_kwh=4000.0, interval_s=60),
            MeterInfo("shop-1", kind="commercial", interval_s=60),
        ]
    )
    store.write_readings(hand_readings(), source="csv")
    store.write_readings(sim_readings())
    store.write_prices(hand_prices())


@pytest.fixture
def build_filled_app(build_app: Callable[..., FastAPI]) -> Callable[..., FastAPI]:
    def build(**env: Any) -> FastAPI:
        app = build_app(**env)
        container: Container = app.state.container
        fill_store(container.energy)
        return app

    return build


@pytest.fixture
async def client(build_filled_app: Callable[..., FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(build_filled_app()) as client:
        yield client


@pytest.fixture
async def small_client(build_filled_app: Callable[..., FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    """A server that sends at most 100 points per response."""
    async with http_client(build_filled_app(LUNA_ENERGY__MAX_POINTS=100)) as client:
        yield client


async def get_ok(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/data/{path}", params=params, headers=OPERATOR)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "ok"
    data: dict[str, Any] = body["data"]
    return data


async def get_error(client: httpx.AsyncClient, path: str, status: int, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/v1/data/{path}", params=params, headers=OPERATOR)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "error"
    return body


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- meters -------------------------------------------------------------------------------------------


async def test_meters_are_listed_with_type_pv_and_first_and_last_reading(client: httpx.AsyncClient) -> None:
    data = await get_ok(client, "meters")

    assert data["total"] == 3
    by_id = {m["meter_id"]: m for m in data["meters"]}
    assert list(by_id) == ["hand-1", "shop-1", "sim-pv-1"]
    assert by_id[SIM_METER]["has_pv"] is True and by_id[SIM_METER]["pv_kwp"] == 6.0
    assert by_id[SIM_METER]["interval_s"] == 60
    assert by_id[SIM_METER]["first_ts"] == iso(SIM_START)
    assert by_id[SIM_METER]["last_ts"] == iso(SIM_START + timedelta(days=SIM_DAYS, minutes=-1))
    assert by_id[HAND_METER]["source"] == "csv"
    assert by_id["shop-1"]["first_ts"] is None and by_id["shop-1"]["kind"] == "commercial"


async def test_meters_filter_by_kind_and_page(client: httpx.AsyncClient) -> None:
    commercial = await get_ok(client, "meters", kind="commercial")
    second = await get_ok(client, "meters", limit=1, offset=1)

    assert [m["meter_id"] for m in commercial["meters"]] == ["shop-1"] and commercial["total"] == 1
    assert [m["meter_id"] for m in second["meters"]] == ["shop-1"] and second["total"] == 3
    await get_error(client, "meters", 400, kind="castle")


@pytest.mark.parametrize("offset", [-1, 1_000_000_001, 2**63])
async def test_an_offset_outside_the_pages_is_400(client: httpx.AsyncClient, offset: int) -> None:
    body = await get_error(client, "meters", 400, offset=offset)

    assert body["data"]["code"] == "invalid_input"
    assert body["data"]["details"]["errors"][0]["field"] == "query.offset"


async def test_a_customer_sees_and_reads_only_the_meters_linked_to_them(client: httpx.AsyncClient) -> None:
    span = {"from": iso(SIM_START), "to": iso(SIM_START + timedelta(hours=1))}
    before = await client.get("/api/v1/data/meters", headers=CUSTOMER)
    linked = await client.put(
        f"/api/v1/admin/users/{CUSTOMER_ID}/meters", json={"meter_ids": [SIM_METER]}, headers=OPERATOR
    )
    after = await client.get("/api/v1/data/meters", headers=CUSTOMER)
    own = await client.get(
        "/api/v1/data/smartmeter", params={"meter_id": SIM_METER, **span}, headers=CUSTOMER
    )
    other = {"meter_id": HAND_METER, "from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))}
    foreign = await client.get("/api/v1/data/smartmeter", params=other, headers=CUSTOMER)
    foreign_csv = await client.get(
        "/api/v1/data/smartmeter", params={**other, "format": "csv"}, headers=CUSTOMER
    )
    foreign_insights = await client.get("/api/v1/data/insights", params=other, headers=CUSTOMER)
    prices = await client.get("/api/v1/data/market", params=span, headers=CUSTOMER)

    assert before.status_code == 200 and before.json()["data"]["total"] == 0
    assert linked.status_code == 200, linked.text
    assert [m["meter_id"] for m in after.json()["data"]["meters"]] == [SIM_METER]
    assert own.status_code == 200 and own.json()["data"]["rows"]
    for refused in (foreign, foreign_csv, foreign_insights):
        assert refused.status_code == 404 and refused.json()["data"]["code"] == "not_found"
    assert prices.status_code == 200


async def test_data_needs_a_caller(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/data/meters")

    assert response.status_code == 401
    assert response.json()["data"]["code"] == "unauthorized"


# --- smart-meter series -------------------------------------------------------------------------------


async def test_raw_readings_come_back_as_rows_with_utc_timestamps_and_null_for_missing_values(
    client: httpx.AsyncClient,
) -> None:
    start = HAND_DAY - timedelta(minutes=15)
    data = await get_ok(
        client,
        "smartmeter",
        meter_id=HAND_METER,
        resolution="raw",
        **{"from": iso(start), "to": iso(HAND_DAY)},
    )

    assert data["meter_id"] == HAND_METER and data["resolution"] == "raw"
    assert data["from"] == iso(start) and data["to"] == iso(HAND_DAY)
    assert data["columns"] == ["ts", "consumption_kw", "production_kw", "voltage", "quality", "register_kwh"]
    assert data["rows"] == [
        {
            "ts": "2025-01-14T22:45:00Z",
            "consumption_kw": None,
            "production_kw": None,
            "voltage": None,
            "quality": "missing",
            "register_kwh": None,
        }
    ]


async def test_offsets_are_accepted_and_answers_are_in_utc(client: httpx.AsyncClient) -> None:
    data = await get_ok(
        client,
        "smartmeter",
        meter_id=HAND_METER,
        resolution="1h",
        **{"from": "2025-01-15T18:00:00+01:00", "to": "2025-01-15T20:00:00+01:00"},
    )

    assert data["from"] == "2025-01-15T17:00:00Z" and data["to"] == "2025-01-15T19:00:00Z"
    assert [row["ts"] for row in data["rows"]] == ["2025-01-15T17:00:00Z", "2025-01-15T18:00:00Z"]
    assert [row["consumption_kwh"] for row in data["rows"]] == [pytest.approx(2.0), pytest.approx(2.0)]
    assert [row["readings"] for row in data["rows"]] == [4, 4]


async def test_rollups_agree_with_the_raw_readings(client: httpx.AsyncClient) -> None:
    window = {"from": iso(SIM_START), "to": iso(SIM_START + timedelta(days=SIM_DAYS))}
    raw = (await get_ok(client, "smartmeter", meter_id=SIM_METER, resolution="raw", **window))["rows"]
    hourly = (await get_ok(client, "smartmeter", meter_id=SIM_METER, resolution="1h", **window))["rows"]
    daily = (await get_ok(client, "smartmeter", meter_id=SIM_METER, resolution="1d", **window))["rows"]

    assert len(raw) == SIM_DAYS * 1440 and len(hourly) == SIM_DAYS * 24 and len(daily) == SIM_DAYS
    for bucket in hourly:
        rows = [r for r in raw if r["ts"][:13] == bucket["ts"][:13]]
        present = [r["consumption_kw"] for r in rows if r["consumption_kw"] is not None]
        assert bucket["readings"] == len(rows) == 60
        assert bucket["missing"] == len(rows) - len(present)
        assert bucket["consumption_kwh"] == pytest.approx(sum(present) / 60)
        assert bucket["consumption_kw_avg"] == pytest.approx(sum(present) / len(present))
        assert bucket["consumption_kw_max"] == pytest.approx(max(present))
        produced = [r["production_kw"] for r in rows if r["production_kw"] is not None]
        assert bucket["production_kwh"] == pytest.approx(sum(produced) / 60)
    for day in daily:
        same_day = [h["consumption_kwh"] for h in hourly if h["ts"][:10] == day["ts"][:10]]
        assert day["consumption_kwh"] == pytest.approx(sum(same_day))
    assert sum(d["production_kwh"] for d in daily) > 10  # six kWp in June


async def test_csv_export_has_a_header_utc_timestamps_and_the_json_values(client: httpx.AsyncClient) -> None:
    params = {
        "meter_id": HAND_METER,
        "resolution": "raw",
        "from": iso(HAND_DAY - timedelta(minutes=15)),
        "to": iso(HAND_DAY + timedelta(minutes=30)),
    }
    response = await client.get(
        "/api/v1/data/smartmeter", params={**params, "format": "csv"}, headers=OPERATOR
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="smartmeter_hand-1_20250114T224500Z_20250114T233000Z_raw.csv"'
    )
    table = list(csv.reader(io.StringIO(response.text)))
    assert table == [
        ["ts", "consumption_kw", "production_kw", "voltage", "quality", "register_kwh"],
        ["2025-01-14T22:45:00Z", "", "", "", "missing", ""],
        ["2025-01-14T23:00:00Z", "0.5", "0.0", "231.0", "ok", "1000.125"],
        ["2025-01-14T23:15:00Z", "0.5", "0.0", "231.0", "ok", "1000.25"],
    ]


async def test_csv_of_a_rollup_matches_its_json(client: httpx.AsyncClient) -> None:
    params = {
        "meter_id": SIM_METER,
        "resolution": "15m",
        "from": iso(SIM_START),
        "to": iso(SIM_START + timedelta(hours=6)),
    }
    data = await get_ok(client, "smartmeter", **params)
    response = await client.get(
        "/api/v1/data/smartmeter", params={**params, "format": "csv"}, headers=OPERATOR
    )

    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert header == data["columns"] and len(rows) == len(data["rows"]) == 24
    for line, row in zip(rows, data["rows"], strict=True):
        assert line[0] == row["ts"]
        for name, text in zip(header[1:], line[1:], strict=True):
            value = row[name]
            assert (text == "") if value is None else math.isclose(float(text), value)


async def test_auto_takes_the_finest_resolution_that_fits(
    client: httpx.AsyncClient, small_client: httpx.AsyncClient
) -> None:
    one_day = {"from": iso(SIM_START), "to": iso(SIM_START + timedelta(days=1))}
    two_days = {"from": iso(SIM_START), "to": iso(SIM_START + timedelta(days=2))}

    assert (await get_ok(client, "smartmeter", meter_id=SIM_METER, **one_day))["resolution"] == "raw"
    small_one = await get_ok(small_client, "smartmeter", meter_id=SIM_METER, **one_day)
    small_two = await get_ok(small_client, "smartmeter", meter_id=SIM_METER, **two_days)
    assert (small_one["resolution"], len(small_one["rows"])) == ("15m", 96)
    assert (small_two["resolution"], len(small_two["rows"])) == ("1h", 48)


async def test_more_points_than_allowed_is_400_naming_the_count_and_a_coarser_resolution(
    small_client: httpx.AsyncClient,
) -> None:
    window = {"from": iso(SIM_START), "to": iso(SIM_START + timedelta(days=1))}

    body = await get_error(small_client, "smartmeter", 400, meter_id=SIM_METER, resolution="raw", **window)

    assert body["message"] == (
        "Too many points: about 1,440 at resolution raw, more than the 100 one response may hold; "
        "use resolution=15m (about 96 points) or a shorter range."
    )
    assert body["data"]["details"]["suggested_resolution"] == "15m"


async def test_naive_timestamps_are_400_with_a_hint(client: httpx.AsyncClient) -> None:
    body = await get_error(
        client, "smartmeter", 400, meter_id=HAND_METER, **{"from": "2025-01-15T00:00:00", "to": iso(HAND_DAY)}
    )

    assert body["message"] == (
        "from has no time zone: add Z (UTC) or an offset such as +01:00, e.g. 2025-01-15T00:00:00Z."
    )


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"from": "yesterday", "to": "2025-01-16T00:00Z"}, "from must be an ISO-8601 instant"),
        ({"from": "2025-01-16T00:00Z", "to": "2025-01-15T00:00Z"}, "from must be before to"),
        ({"from": "2025-01-15T00:00Z", "to": "2025-01-15T00:00Z"}, "from must be before to"),
        ({"from": "0999-01-01T00:00Z", "to": "2025-01-15T00:00Z"}, "between 1970-01-01 and 2100-01-01"),
        # Every choice in one problem of the one field (it was two, each naming a Python type).
        (
            {"from": "2025-01-15T00:00Z", "to": "2025-01-16T00:00Z", "resolution": "5m"},
            "Invalid request: query.resolution: Input should be 'raw', '15m', '1h', '1d' or 'auto'",
        ),
        ({"from": "2025-01-15T00:00Z", "to": "2025-01-16T00:00Z", "format": "xlsx"}, "format"),
        ({"to": "2025-01-16T00:00Z"}, "from"),
        # In UTC these lie before year 1 or after year 9999, which no datetime holds.
        ({"from": "0001-01-01T00:00+01:00", "to": "2025-01-15T00:00Z"}, "from must lie between 1970-01-01"),
        ({"from": "2025-01-15T00:00Z", "to": "9999-12-31T23:59-01:00"}, "to must lie between 1970-01-01"),
    ],
)
async def test_bad_parameters_are_400_in_the_envelope(
    client: httpx.AsyncClient, params: dict[str, str], problem: str
) -> None:
    body = await get_error(client, "smartmeter", 400, meter_id=HAND_METER, **params)

    assert problem in body["message"]
    assert body["data"]["code"] == "invalid_input"


@pytest.mark.parametrize("path", ["smartmeter", "insights"])
@pytest.mark.parametrize(
    ("meter_id", "rule"),
    [
        ("", "A-Za-z0-9._:-"),
        ("hand\x00-1", "NUL"),  # PostgreSQL refuses a NUL in a query: refused at the door
        ("hand-1\n", "A-Za-z0-9._:-"),
        ("m" * 65, "A-Za-z0-9._:-"),
        ("zähler-1", "A-Za-z0-9._:-"),
    ],
)
async def test_a_meter_id_no_feed_accepts_is_400_naming_the_rule(
    client: httpx.AsyncClient, path: str, meter_id: str, rule: str
) -> None:
    """Such an ID must not reach the store: the 400 names the parameter and the rule it breaks."""
    window = {"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))}

    body = await get_error(client, path, 400, meter_id=meter_id, **window)

    assert body["data"]["details"]["errors"][0]["field"] == "query.meter_id"
    assert rule in body["message"]


async def test_an_unknown_meter_is_404(client: httpx.AsyncClient) -> None:
    body = await get_error(
        client, "smartmeter", 404, meter_id="nobody", **{"from": iso(HAND_DAY), "to": iso(SIM_START)}
    )

    assert body["message"] == "No meter with id 'nobody'; GET /api/v1/data/meters lists them."


# --- market series ------------------------------------------------------------------------------------


async def test_market_prices_default_to_the_first_market_and_base(client: httpx.AsyncClient) -> None:
    data = await get_ok(
        client, "market", resolution="raw", **{"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))}
    )

    assert (data["market"], data["product"], data["resolution"]) == ("EEX", "BASE", "raw")
    assert data["columns"] == ["ts", "price_eur_mwh", "volume"]
    assert [row["price_eur_mwh"] for row in data["rows"]] == hourly_prices()
    assert data["rows"][0] == {"ts": iso(HAND_DAY), "price_eur_mwh": 100.0, "volume": 1000.0}


async def test_market_rollups_average_the_periods(client: httpx.AsyncClient) -> None:
    data = await get_ok(
        client,
        "market",
        product="PEAK",
        resolution="1d",
        **{"from": iso(HAND_DAY - timedelta(hours=23)), "to": iso(HAND_DAY + timedelta(days=1))},
    )

    [day] = data["rows"]
    peak = hourly_prices()[8:20]
    assert day["periods"] == 12
    assert day["price_eur_mwh_avg"] == pytest.approx(sum(peak) / 12)
    assert (day["price_eur_mwh_min"], day["price_eur_mwh_max"]) == (10.0, 300.0)


async def test_market_csv_is_a_download(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/data/market",
        params={"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(hours=2)), "format": "csv"},
        headers=OPERATOR,
    )

    assert response.headers["content-disposition"].startswith('attachment; filename="market_EEX_BASE_')
    assert response.text.splitlines() == [
        "ts,price_eur_mwh,volume",
        "2025-01-14T23:00:00Z,100.0,1000.0",
        "2025-01-15T00:00:00Z,100.0,1000.0",
    ]


async def test_an_unknown_market_or_product_is_404_naming_the_available_ones(
    client: httpx.AsyncClient,
) -> None:
    window = {"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))}

    market = await get_error(client, "market", 404, market="NORDPOOL", **window)
    product = await get_error(client, "market", 404, market="EEX", product="OFFPEAK", **window)

    assert (
        market["message"] == "No prices for market 'NORDPOOL', product 'BASE'; available: EEX/BASE, EEX/PEAK."
    )
    assert "product 'OFFPEAK'" in product["message"]
    assert product["data"]["details"]["available"] == [
        {"market": "EEX", "product": "BASE"},
        {"market": "EEX", "product": "PEAK"},
    ]


@pytest.mark.parametrize(
    ("path", "name"), [("market", "market"), ("market", "product"), ("insights", "market")]
)
async def test_an_empty_market_or_product_is_400_not_the_default(
    client: httpx.AsyncClient, path: str, name: str
) -> None:
    window = {"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))}
    meter = {"meter_id": HAND_METER} if path == "insights" else {}

    body = await get_error(client, path, 400, **meter, **{name: ""}, **window)

    assert body["data"]["details"]["errors"][0]["field"] == f"query.{name}"


# --- insights -----------------------------------------------------------------------------------------


async def test_insights_of_the_hand_made_day_match_the_hand_computed_figures(
    client: httpx.AsyncClient,
) -> None:
    data = await get_ok(
        client,
        "insights",
        meter_id=HAND_METER,
        **{"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))},
    )

    assert (data["market"], data["product"], data["interval_minutes"]) == ("EEX", "BASE", 15)
    expected_profile = [0.5] * 24
    expected_profile[18] = expected_profile[19] = 2.0
    assert data["consumption_kw_by_hour"] == pytest.approx(expected_profile)
    assert data["peak_interval"] == {"kw": 2.0, "at": "2025-01-15T17:00:00Z"}
    assert data["energy"]["consumption_kwh"] == pytest.approx(15.0)
    assert data["energy"]["self_consumption_share"] is None
    # The default energy settings: surcharges 10 + 4.536 + 2.05 + 2.0 = 18.586 ct/kWh net, 19 % VAT.
    energy = EnergySettings()
    surcharge_net = (
        energy.grid_fee_ct_kwh
        + energy.levies_ct_kwh
        + energy.electricity_tax_ct_kwh
        + energy.supplier_margin_ct_kwh
    ) / 100
    assert surcharge_net == pytest.approx(0.18586) and energy.vat_percent == 19.0
    assert data["tariffs"] == {
        "flat_eur_kwh": pytest.approx(energy.flat_tariff_eur_kwh),
        "dynamic_surcharge_net_eur_kwh": pytest.approx(surcharge_net),
        "vat_percent": pytest.approx(energy.vat_percent),
        "feed_in_eur_kwh": pytest.approx(energy.feed_in_eur_kwh),
    }
    # Exchange price: 0.5 kWh/h × (22 × 100 − 270) €/MWh + 2 kWh × (300 + 200) €/MWh = 1.965 €; surcharges:
    # 15 kWh × 0.18586 € = 2.7879 €; VAT on both: (1.965 + 2.7879) × 1.19 = 5.655951 €. Flat: 15 × 0.35 €.
    dynamic = (1.965 + 15 * surcharge_net) * (1 + energy.vat_percent / 100)
    assert dynamic == pytest.approx(5.655951)
    cost = data["cost"]
    assert cost["dynamic_eur"] == pytest.approx(dynamic)
    assert cost["flat_eur"] == pytest.approx(5.25)
    assert cost["saving_eur"] == pytest.approx(5.25 - 5.655951)
    assert cost["dynamic_eur_kwh"] == pytest.approx(5.655951 / 15)
    shift = data["load_shift"]
    assert (shift["usual_local_start"], shift["usual_local_end"]) == ("18:00:00", "20:00:00")
    [day] = shift["days"]
    assert day["day"] == "2025-01-15"
    assert (day["cheapest_start"], day["cheapest_end"]) == ("2025-01-15T12:00:00Z", "2025-01-15T14:00:00Z")
    assert day["cheapest_price_eur_mwh"] == pytest.approx(15.0)
    assert day["usual_price_eur_mwh"] == pytest.approx(250.0)
    assert shift["saving_eur_total"] == pytest.approx(0.47 * 1.19)  # 2 kWh × (250 − 15) €/MWh, 19 % VAT
    coverage = data["coverage"]
    assert (coverage["intervals"], coverage["energy_intervals"], coverage["priced_intervals"]) == (96, 96, 96)


async def test_insights_cost_the_dynamic_tariff_with_the_configured_surcharges_and_vat(
    build_filled_app: Callable[..., FastAPI],
) -> None:
    prices = {
        "LUNA_ENERGY__GRID_FEE_CT_KWH": "8",
        "LUNA_ENERGY__LEVIES_CT_KWH": "0",
        "LUNA_ENERGY__ELECTRICITY_TAX_CT_KWH": "2",
        "LUNA_ENERGY__SUPPLIER_MARGIN_CT_KWH": "0",
        "LUNA_ENERGY__VAT_PERCENT": "7",
    }
    async with http_client(build_filled_app(**prices)) as client:
        data = await get_ok(
            client,
            "insights",
            meter_id=HAND_METER,
            **{"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))},
        )

    assert data["tariffs"]["dynamic_surcharge_net_eur_kwh"] == pytest.approx(0.10)
    assert data["tariffs"]["vat_percent"] == pytest.approx(7.0)
    # (1.965 € exchange price + 15 kWh × 0.10 € surcharges) × 1.07 = 3.70755 €.
    assert data["cost"]["dynamic_eur"] == pytest.approx(3.70755)


async def test_insights_report_gaps_instead_of_filling_them(client: httpx.AsyncClient) -> None:
    # Two hours more on each side: no readings before 23:00Z but one missing reading, no prices after.
    start, end = HAND_DAY - timedelta(hours=2), HAND_DAY + timedelta(days=1, hours=2)

    data = await get_ok(client, "insights", meter_id=HAND_METER, **{"from": iso(start), "to": iso(end)})

    coverage = data["coverage"]
    assert (coverage["intervals"], coverage["energy_intervals"], coverage["priced_intervals"]) == (
        112,
        96,
        96,
    )
    assert coverage["energy_gaps"] == [
        {"start": iso(start), "end": iso(HAND_DAY), "intervals": 8},
        {"start": iso(HAND_DAY + timedelta(days=1)), "end": iso(end), "intervals": 8},
    ]
    assert coverage["price_gaps"] == coverage["energy_gaps"]
    assert data["energy"]["consumption_kwh"] == pytest.approx(15.0)


async def test_insights_take_the_flexible_load_and_refuse_bad_ones(client: httpx.AsyncClient) -> None:
    window = {"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))}

    ev = await get_ok(client, "insights", meter_id=HAND_METER, shift_kwh=11, shift_hours=1, **window)
    bad = await get_error(client, "insights", 400, meter_id=HAND_METER, shift_hours=1.1, **window)

    [day] = ev["load_shift"]["days"]
    assert day["cheapest_start"] == "2025-01-15T12:00:00Z"  # 13:00 local, 10 €/MWh
    assert day["usual_start"] == "2025-01-15T17:00:00Z"  # 18:00 local, 300 €/MWh
    assert day["saving_eur"] == pytest.approx(11 * (300 - 10) / 1000 * 1.19)  # with 19 % VAT
    assert "whole number of 15-minute intervals" in bad["message"]
    too_long = {"from": "2024-01-01T00:00Z", "to": "2025-01-02T00:00Z"}
    long_body = await get_error(client, "insights", 400, meter_id=HAND_METER, **too_long)
    assert long_body["message"] == "Insights cover at most 366 days; choose a shorter range."
    for name, value in (("shift_hours", 13), ("shift_kwh", 0), ("shift_kwh", "nan")):
        out_of_bounds = await get_error(
            client, "insights", 400, meter_id=HAND_METER, **{name: value}, **window
        )
        assert out_of_bounds["data"]["details"]["errors"][0]["field"] == f"query.{name}"


async def test_insights_of_an_hourly_meter_match_those_of_the_same_day_read_every_quarter_hour(
    build_filled_app: Callable[..., FastAPI],
) -> None:
    """A meter read every hour (many commercial RLM exports) was answered 422; its hours are spread
    over their quarters, so the hand-made day read hourly gives the hand-computed figures."""
    app = build_filled_app()
    container: Container = app.state.container
    container.energy.upsert_meters(
        [
            MeterInfo("hourly-1", kind="commercial", interval_s=3600),
            MeterInfo("two-hourly", kind="commercial", interval_s=7200),
        ]
    )
    kw = np.full(24, 0.5)
    kw[18:20] = 2.0  # 18-20 h local, as the hand-made day
    container.energy.write_readings(
        ReadingBatch(
            meter_id=np.full(24, "hourly-1"),
            ts=_grid(HAND_DAY, 24, 3600),
            consumption_kw=kw,
            production_kw=np.zeros(24),
            voltage=np.full(24, 231.0),
            quality=np.full(24, "ok"),
            register_kwh=np.full(24, np.nan),
        )
    )
    window = {"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))}

    async with http_client(app) as client:
        data = await get_ok(client, "insights", meter_id="hourly-1", **window)
        body = await get_error(client, "insights", 422, meter_id="two-hourly", **window)

    assert data["energy"]["consumption_kwh"] == pytest.approx(15.0)
    assert data["cost"]["dynamic_eur"] == pytest.approx(5.655951)  # as for the quarter-hour meter
    assert data["consumption_kw_by_hour"][18:20] == pytest.approx([2.0, 2.0])
    assert data["coverage"]["energy_intervals"] == 96
    [day] = data["load_shift"]["days"]
    assert day["cheapest_start"] == "2025-01-15T12:00:00Z"
    assert body["message"] == (
        "Meter 'two-hourly' reads every 7200 s; insights need readings that divide an hour."
    )


async def test_insights_of_an_unknown_meter_or_market_are_404(client: httpx.AsyncClient) -> None:
    window = {"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))}

    await get_error(client, "insights", 404, meter_id="nobody", **window)
    body = await get_error(client, "insights", 404, meter_id=HAND_METER, market="NORDPOOL", **window)

    assert body["message"] == "No BASE prices for market 'NORDPOOL'; available: EEX."


async def test_insights_of_a_simulated_pv_household_without_prices(client: httpx.AsyncClient) -> None:
    window = {"from": iso(SIM_START), "to": iso(SIM_START + timedelta(days=SIM_DAYS))}

    data = await get_ok(client, "insights", meter_id=SIM_METER, **window)

    energy = data["energy"]
    assert 0 < energy["self_consumption_share"] < 1 and 0 < energy["self_sufficiency_share"] < 1
    assert energy["self_consumed_kwh"] <= min(energy["consumption_kwh"], energy["production_kwh"])
    assert data["cost"] is None and data["coverage"]["priced_intervals"] == 0
    assert data["load_shift"]["days"] == [] and len(data["load_shift"]["skipped_days"]) == 1
    assert data["peak_reading"]["kw"] >= data["peak_interval"]["kw"]


async def test_a_quarter_hour_with_a_missing_minute_is_a_gap_in_the_insights(
    build_filled_app: Callable[..., FastAPI],
) -> None:
    app = build_filled_app()
    container: Container = app.state.container
    start = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    consumption = np.full(60, 1.2)
    consumption[20] = np.nan  # 08:20: the second quarter-hour has 14 of its 15 readings
    quality = np.where(np.isnan(consumption), "missing", "ok")
    container.energy.write_readings(
        ReadingBatch(
            meter_id=np.full(60, "minute-1"),
            ts=_grid(start, 60, 60),
            consumption_kw=consumption,
            production_kw=np.where(np.isnan(consumption), np.nan, 0.0),
            voltage=np.full(60, 230.0),
            quality=quality,
            register_kwh=np.full(60, np.nan),
        )
    )
    async with http_client(app) as client:
        data = await get_ok(
            client,
            "insights",
            meter_id="minute-1",
            **{"from": iso(start), "to": iso(start + timedelta(hours=1))},
        )

    coverage = data["coverage"]
    assert (coverage["intervals"], coverage["energy_intervals"]) == (4, 3)
    assert coverage["energy_gaps"] == [
        {"start": "2025-03-03T08:15:00Z", "end": "2025-03-03T08:30:00Z", "intervals": 1}
    ]
    assert data["energy"]["consumption_kwh"] == pytest.approx(3 * 0.3)  # 1.2 kW over three full quarter-hours
