"""The data API and the insights on PostgreSQL: the same store contents give the same answers as on SQLite."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.api.app import create_app
from luna.container import Container, build_container
from luna.settings import Settings
from tests.api.conftest import http_client
from tests.api.test_data_api import (
    HAND_DAY,
    HAND_METER,
    OPERATOR,
    SIM_DAYS,
    SIM_METER,
    SIM_START,
    fill_store,
    hourly_prices,
    iso,
)
from tests.contracts.sql_support import scratch_postgres_database

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def pg_container(postgres_url: str, make_settings: Callable[..., Settings]) -> Iterator[Container]:
    with scratch_postgres_database(postgres_url) as url:
        container = build_container(
            make_settings(
                LUNA_DATABASE__KIND="postgresql", LUNA_DATABASE__URL=url, LUNA_ENERGY__MAX_POINTS=2000
            )
        )
        try:
            container.database.upgrade()
            fill_store(container.energy)
            yield container
        finally:
            container.close()


@pytest.fixture
async def client(pg_container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(pg_container)
    async with http_client(app) as client:
        yield client


async def get(client: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    return await client.get(f"/api/v1/data/{path}", params=params, headers=OPERATOR)


async def test_series_csv_limits_and_insights_on_postgresql(
    client: httpx.AsyncClient, pg_container: Container
) -> None:
    assert pg_container.energy.dialect == "postgresql"
    meters = (await get(client, "meters")).json()["data"]
    assert [m["meter_id"] for m in meters["meters"]] == ["hand-1", "shop-1", "sim-pv-1"]
    assert meters["meters"][2]["first_ts"] == iso(SIM_START)

    one_day = {"from": iso(SIM_START), "to": iso(SIM_START + timedelta(days=1))}
    raw = (await get(client, "smartmeter", meter_id=SIM_METER, resolution="raw", **one_day)).json()["data"]
    hourly = (await get(client, "smartmeter", meter_id=SIM_METER, resolution="1h", **one_day)).json()["data"]
    assert len(raw["rows"]) == 1440 and raw["rows"][0]["ts"] == iso(SIM_START)
    for hour, bucket in enumerate(hourly["rows"]):
        rows = raw["rows"][60 * hour : 60 * (hour + 1)]
        present = [r["consumption_kw"] for r in rows if r["consumption_kw"] is not None]
        assert bucket["ts"] == rows[0]["ts"] and bucket["missing"] == 60 - len(present)
        assert bucket["consumption_kwh"] == pytest.approx(sum(present) / 60)

    # Two days are 2,880 raw rows, more than this server's 2,000 points: raw is refused, auto takes 15m.
    window = {"from": iso(SIM_START), "to": iso(SIM_START + timedelta(days=SIM_DAYS))}
    refused = await get(client, "smartmeter", meter_id=SIM_METER, resolution="raw", **window)
    assert refused.status_code == 400 and "use resolution=15m" in refused.json()["message"]
    auto = (await get(client, "smartmeter", meter_id=SIM_METER, **window)).json()["data"]
    assert auto["resolution"] == "15m"

    naive = await get(client, "smartmeter", meter_id=SIM_METER, **{**window, "from": "2025-06-02T00:00"})
    assert naive.status_code == 400 and "add Z" in naive.json()["message"]
    assert (await get(client, "smartmeter", meter_id="nobody", **window)).status_code == 404

    day = {"from": iso(HAND_DAY), "to": iso(HAND_DAY + timedelta(days=1))}
    prices_csv = await get(client, "market", resolution="raw", format="csv", **day)
    header, *rows = list(csv.reader(io.StringIO(prices_csv.text)))
    assert header == ["ts", "price_eur_mwh", "volume"]
    assert [float(row[1]) for row in rows] == hourly_prices()
    assert rows[0][0] == "2025-01-14T23:00:00Z"

    insights = (await get(client, "insights", meter_id=HAND_METER, **day)).json()["data"]
    # As on SQLite (test_data_api): (1.965 € exchange price + 15 kWh × 0.18586 € default surcharges) × 1.19.
    assert insights["cost"]["dynamic_eur"] == pytest.approx(5.655951)
    assert insights["cost"]["flat_eur"] == pytest.approx(5.25)
    assert insights["load_shift"]["saving_eur_total"] == pytest.approx(0.47 * 1.19)  # with 19 % VAT
    assert insights["load_shift"]["days"][0]["cheapest_start"] == "2025-01-15T12:00:00Z"
