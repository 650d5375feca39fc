"""An operator corrects a meter's reading interval, and its kWh follow (``PATCH /admin/meters/{id}``).

A meter first seen over MQTT, or in a file with one row of it, is stored as reading every minute; its
15-minute readings then counted a fifteenth of their energy, and nothing could correct it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.domain.energy import MeterInfo, ReadingBatch
from tests.api.conftest import ADMIN_KEY, http_client

pytestmark = pytest.mark.anyio

OPERATOR = {"X-Admin-Key": ADMIN_KEY}
HOUR = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def quarter_hours(meter_id: str, n: int, kw: float = 1.0) -> ReadingBatch:
    return ReadingBatch(
        meter_id=np.full(n, meter_id),
        ts=np.datetime64(HOUR.replace(tzinfo=None), "s") + np.arange(n) * np.timedelta64(900, "s"),
        consumption_kw=np.full(n, kw),
        production_kw=np.zeros(n),
        voltage=np.full(n, 230.0),
        quality=np.full(n, "ok"),
        register_kwh=np.full(n, np.nan),
    )


def hourly_kwh(container: Container, meter_id: str) -> list[Any]:
    series = container.energy.readings(meter_id, HOUR, HOUR + timedelta(hours=1), "1h", limit=5)
    return [row[series.columns.index("consumption_kwh")] for row in series.rows]


async def test_a_minute_meter_of_quarter_hour_readings_is_corrected_and_its_kwh_follow(
    build_app: Callable[..., FastAPI],
) -> None:
    app = build_app()
    container: Container = app.state.container
    container.energy.upsert_meters([MeterInfo("mqtt-7", source="mqtt")])  # the default minute
    container.energy.write_readings(quarter_hours("mqtt-7", 4), source="mqtt")
    assert hourly_kwh(container, "mqtt-7") == [pytest.approx(4 / 60)]  # an hour at 1 kW, counted 4 min

    async with http_client(app) as client:
        response = await client.patch(
            "/api/v1/admin/meters/mqtt-7", json={"interval_s": 900}, headers=OPERATOR
        )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["interval_s"] == 900
    assert hourly_kwh(container, "mqtt-7") == [pytest.approx(1.0)]


async def test_an_interval_the_readings_contradict_or_luna_does_not_take_changes_nothing(
    build_app: Callable[..., FastAPI],
) -> None:
    app = build_app()
    container: Container = app.state.container
    container.energy.upsert_meters([MeterInfo("q-1", interval_s=900, source="csv")])
    container.energy.write_readings(quarter_hours("q-1", 4), source="csv")
    customer = {"X-Dev-User": "3c1d8f0e-5b7a-4e2d-9c6f-1a2b3c4d5e6f"}

    async with http_client(app) as client:
        patch = client.patch
        longer = await patch("/api/v1/admin/meters/q-1", json={"interval_s": 3600}, headers=OPERATOR)
        odd = await patch("/api/v1/admin/meters/q-1", json={"interval_s": 45}, headers=OPERATOR)
        extra = await patch(
            "/api/v1/admin/meters/q-1", json={"interval_s": 60, "kind": "x"}, headers=OPERATOR
        )
        unknown = await patch("/api/v1/admin/meters/nobody", json={"interval_s": 900}, headers=OPERATOR)
        by_customer = await patch("/api/v1/admin/meters/q-1", json={"interval_s": 60}, headers=customer)

    assert longer.status_code == 409 and "readings 15 min apart" in longer.json()["message"]
    assert odd.status_code == 400 and "60, 120, 300, 600, 900, 1800, 3600" in odd.json()["message"]
    assert (extra.status_code, unknown.status_code) == (400, 404)
    assert by_customer.status_code == 403
    meter = container.energy.get_meter("q-1")
    assert meter is not None and meter.interval_s == 900
    assert hourly_kwh(container, "q-1") == [pytest.approx(1.0)]
