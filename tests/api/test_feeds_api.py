"""``/api/v1/admin/feeds`` over HTTP: upload a CSV drop and get its report, list drops, read one.

Every refused upload is checked twice: the 4xx envelope, and that nothing was stored (no blob under
the drop prefix, no reading, no record).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio

HEADER = "meter_id,ts,consumption_kw,production_kw,voltage,quality,register_kwh"
GOOD = "api-1,2025-01-15T12:00:00+01:00,0.42,0,231.2,ok,1234.567"


def container_of(app: FastAPI) -> Container:
    container: Container = app.state.container
    return container


def nothing_stored(app: FastAPI) -> bool:
    container = container_of(app)
    return container.blobs.list("sim/") == [] and container.energy.count_readings() == 0


async def upload(
    client: httpx.AsyncClient, admin: dict[str, str], name: str, *lines: str
) -> tuple[httpx.Response, dict[str, Any]]:
    data = ("\n".join(lines) + "\n").encode()
    response = await client.post(
        "/api/v1/admin/feeds/csv", files={"file": (name, data, "text/csv")}, headers=admin
    )
    return response, response.json()


async def test_an_upload_is_imported_now_and_answers_with_its_report(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    response, body = await upload(
        client,
        admin,
        "smart_meter_readings_upload.csv",
        HEADER,
        GOOD,
        "api-1,2025-01-15T11:01:00Z,420000,0,231.2,ok,1234.6",
        "api-1,2025-01-15T11:02:00,0.42,0,231.2,ok,1234.7",
    )

    assert response.status_code == 201, body
    file = body["data"]
    assert body["message"] == "Rows: 1 accepted, 2 refused."
    assert (file["status"], file["kind"], file["rows_ok"], file["rows_bad"]) == (
        "imported",
        "smart_meter_readings",
        1,
        2,
    )
    assert file["key"].startswith("sim/uploads/") and file["key"].endswith("/smart_meter_readings_upload.csv")
    problems = file["report"]["problems"]
    assert [(p["line"], p["field"], p["meter_id"]) for p in problems] == [
        (3, "consumption_kw", "api-1"),
        (4, "ts", "api-1"),
    ]
    assert "W instead of kW" in problems[0]["reason"] and "time zone" in problems[1]["reason"]
    assert file["report"]["inserted"] == 1
    assert container_of(app).blobs.list("sim/") == [file["key"]]
    assert container_of(app).energy.count_readings("api-1") == 1

    listed = (await client.get("/api/v1/admin/feeds", headers=admin)).json()["data"]
    assert listed["total"] == 1
    assert [(f["key"], f["status"], f["rows_ok"], f["rows_bad"]) for f in listed["files"]] == [
        (file["key"], "imported", 1, 2)
    ]
    one = await client.get(f"/api/v1/admin/feeds/{file['key']}", headers=admin)
    assert one.status_code == 200 and one.json()["data"] == file


@pytest.mark.parametrize(
    ("name", "lines", "reason"),
    [
        ("smart_meter_readings.csv", ["meter_id;ts;consumption_kw", "a;b;c"], "separated by ';'"),
        ("smart_meter_readings.csv", [], "empty"),
        ("market_prices.csv", [HEADER, GOOD], "market,product,ts,price_eur_mwh,volume"),
        ("zaehlerstaende.csv", [HEADER, GOOD], "smart_meter_readings*.csv"),
        ("smart_meter_readings.csv", ["x" * 140_000, GOOD], "header line cannot be read as CSV"),
        ("smart_meter_readings.csv", [HEADER], "header line but no rows"),
        ("smart_meter_readings.csv", [HEADER, "api-1,gestern,0.42,0,231.2,ok,1"], "None of the file's rows"),
    ],
)
async def test_a_file_that_cannot_be_imported_is_400_and_nothing_is_stored(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, name: str, lines: list[str], reason: str
) -> None:
    response, body = await upload(client, admin, name, *lines)
    assert response.status_code == 400, body
    assert body["status"] == "error" and reason in body["message"]
    assert nothing_stored(app)
    assert (await client.get("/api/v1/admin/feeds", headers=admin)).json()["data"]["total"] == 0


async def test_two_files_in_one_upload_are_400_and_neither_is_imported(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    data = f"{HEADER}\n{GOOD}\n".encode()
    files = [("file", ("smart_meter_readings_a.csv", data)), ("file", ("smart_meter_readings_b.csv", data))]
    response = await client.post("/api/v1/admin/feeds/csv", files=files, headers=admin)
    assert response.status_code == 400 and "One file per request" in response.json()["message"]
    assert nothing_stored(app)


async def test_a_nul_byte_in_a_value_refuses_that_row_and_never_shortens_an_id(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    nul_id = "api-2\x00,2025-01-15T12:00:00+01:00,0.40,0,231.0,ok,10.0"

    response, body = await upload(client, admin, "smart_meter_readings.csv", HEADER, GOOD, nul_id)

    assert response.status_code == 201, body
    file = body["data"]
    assert (file["rows_ok"], file["rows_bad"]) == (1, 1)
    assert [(p["line"], p["field"]) for p in file["report"]["problems"]] == [(3, "meter_id")]
    energy = container_of(app).energy
    assert energy.get_meter("api-2") is None and energy.count_readings("api-1") == 1


async def test_an_upload_over_the_limit_is_413_and_nothing_is_stored(
    build_app: Callable[..., FastAPI], admin: dict[str, str]
) -> None:
    app = build_app(LUNA_FEEDS__CSV_MAX_MB="1")
    padding = "api-1,2025-01-15T11:00:00Z,0.42,0,231.2,ok," + "0" * 60
    async with http_client(app) as client:
        response, body = await upload(client, admin, "smart_meter_readings.csv", HEADER, *[padding] * 11_000)
    assert response.status_code == 413, body
    assert "feeds.csv_max_mb" in body["message"]
    assert nothing_stored(app)


async def test_a_drop_not_yet_scanned_is_pending_and_an_unknown_key_is_404(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    container_of(app).blobs.put("sim/market_prices_2025.csv", b"market,product,ts,price_eur_mwh,volume\n")

    pending = await client.get("/api/v1/admin/feeds/sim/market_prices_2025.csv", headers=admin)
    missing = await client.get("/api/v1/admin/feeds/sim/nothing.csv", headers=admin)
    outside = await client.get("/api/v1/admin/feeds/docs/raw/x.csv", headers=admin)

    assert pending.status_code == 200 and pending.json()["data"]["status"] == "pending"
    assert pending.json()["data"]["report"] is None
    assert missing.status_code == 404 and missing.json()["data"]["code"] == "not_found"
    assert outside.status_code == 404


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("sim/%2e%2e/%2e%2e/etc/passwd", "'..' segment"),
        ("/etc/passwd", "absolute"),
        ("sim/a%00b.csv", "NUL"),  # PostgreSQL refuses NUL in a query: it must not get that far
        ("sim/" + "x" * 256 + ".csv", "longer than 255 bytes"),  # the file system refuses such a name
        ("sim/" + "x" * 1030, "at most 1024 characters"),
    ],
)
async def test_a_key_that_cannot_name_a_drop_is_400_and_reads_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, key: str, reason: str
) -> None:
    container_of(app).blobs.put("sim/market_prices_2025.csv", b"market,product,ts,price_eur_mwh,volume\n")

    response = await client.get(f"/api/v1/admin/feeds/{key}", headers=admin)

    assert response.status_code == 400, response.text
    assert response.json()["data"]["code"] == "invalid_input" and reason in response.json()["message"]
    assert container_of(app).blobs.list("sim/") == ["sim/market_prices_2025.csv"]
    assert container_of(app).energy.feed_file("sim/market_prices_2025.csv") is None


async def test_the_feed_routes_need_the_admin_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/feeds")
    upload_response = await client.post(
        "/api/v1/admin/feeds/csv",
        files={"file": ("smart_meter_readings.csv", f"{HEADER}\n{GOOD}\n".encode())},
    )
    assert response.status_code == 401 and upload_response.status_code == 401


async def test_uploads_of_one_second_are_listed_newest_first(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """The keys held the second only, and drops of one second came in the order of a random suffix."""
    for number in range(5):
        line = f"api-{number},2025-01-15T12:00:00+01:00,0.42,0,231.2,ok,1234.567"
        response, _ = await upload(client, admin, f"smart_meter_readings_{number}.csv", HEADER, line)
        assert response.status_code == 201

    listed = (await client.get("/api/v1/admin/feeds", headers=admin)).json()["data"]
    names = [drop["key"].rsplit("/", 1)[1] for drop in listed["files"]]
    assert names == [f"smart_meter_readings_{number}.csv" for number in reversed(range(5))]


async def test_a_new_meters_quarter_hour_values_keep_their_energy_and_a_row_off_its_grid_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI
) -> None:
    """A new meter got a one-minute interval whatever its rows said: a day of 15-minute values at 1 kW
    (24 kWh) was stored as 1.6 kWh; and a row between two readings counted as a whole interval more."""
    rows = [f"api-15,2025-01-15T{q // 4:02d}:{q % 4 * 15:02d}:00Z,1.0,0,230,ok," for q in range(96)]
    response, body = await upload(client, admin, "smart_meter_readings_day.csv", HEADER, *rows)
    assert response.status_code == 201, body
    assert container_of(app).energy.get_meter("api-15").interval_s == 900  # type: ignore[union-attr]

    late, report = await upload(
        client,
        admin,
        "smart_meter_readings_late.csv",
        HEADER,
        "api-15,2025-01-15T10:07:30Z,3.0,0,230,ok,",
        "api-15,2025-01-16T00:00:00Z,1.0,0,230,ok,",
    )

    assert late.status_code == 201, report
    problems = report["data"]["report"]["problems"]
    assert [(p["line"], p["field"]) for p in problems] == [(2, "ts")]
    assert problems[0]["reason"] == "is not on this meter's grid: it reads every 15 min from :00"
    day = await client.get(
        "/api/v1/data/smartmeter",
        params={
            "meter_id": "api-15",
            "from": "2025-01-15T00:00:00Z",
            "to": "2025-01-16T00:00:00Z",
            "resolution": "1d",
        },
        headers=admin,
    )
    [whole_day] = day.json()["data"]["rows"]
    assert (whole_day["readings"], whole_day["consumption_kwh"]) == (96, 24.0)
