"""Customers link their own meters with the claim code (Freischaltcode) an operator reads, over HTTP.

``POST /users/me/meters`` with the right code adds the meter to the customer's links (audited with
the customer as actor); a wrong code and an unknown meter get one and the same answer and store
nothing; attempts are bounded per customer (429 with Retry-After). ``DELETE /users/me/meters/{id}``
removes one of the customer's own links and nobody else's. ``GET /admin/meters/{id}/claim-code`` is
the operator's.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.domain.energy import MeterInfo
from luna.domain.meter_claims import CLAIM_ATTEMPTS_PER_MINUTE

pytestmark = pytest.mark.anyio

USER = "3c9d8e7f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
OTHER = "8f7e6d5c-4b3a-4c2d-9e1f-0a1b2c3d4e5f"
CUSTOMER = {"X-Dev-User": USER}
OTHER_CUSTOMER = {"X-Dev-User": OTHER}
MINE = "/api/v1/users/me/meters"
CODE_SHAPE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


def container_of(app: FastAPI) -> Container:
    container: Container = app.state.container
    return container


def linked(app: FastAPI, user_id: str) -> list[str]:
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        return uow.user_meters.meters_for(user_id)


async def code_of(client: httpx.AsyncClient, admin: dict[str, str], meter_id: str) -> str:
    response = await client.get(f"/api/v1/admin/meters/{meter_id}/claim-code", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["meter_id"] == meter_id
    code: str = response.json()["data"]["code"]
    return code


async def link_audit(client: httpx.AsyncClient, admin: dict[str, str]) -> list[tuple[str, str, Any]]:
    audit = await client.get("/api/v1/admin/audit", params={"action": "meters.links"}, headers=admin)
    assert audit.status_code == 200, audit.text
    return [(e["actor"], e["target"], e["details"]) for e in reversed(audit.json()["data"]["entries"])]


def refusal(response: httpx.Response) -> dict[str, Any]:
    """The answer without what differs between any two requests (the trace id)."""
    body = response.json()
    body.pop("trace_id")
    return {"status_code": response.status_code, "body": body}


async def test_the_operator_reads_a_code_and_the_customer_links_the_meter_with_it(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], meters: list[str]
) -> None:
    await client.put(f"/api/v1/admin/users/{USER}/meters", headers=admin, json={"meter_ids": ["haus-1"]})
    code = await code_of(client, admin, "haus-2")
    assert CODE_SHAPE.match(code), code
    assert code == await code_of(client, admin, "haus-2")  # the same code every time
    assert code != await code_of(client, admin, "haus-1")

    typed = code.lower().replace("-", " ")  # as someone types it from the bill
    response = await client.post(MINE, headers=CUSTOMER, json={"meter_id": "haus-2", "code": typed})

    assert response.status_code == 200, response.text
    assert response.json()["data"]["meter_ids"] == ["haus-1", "haus-2"]  # the operator's link stays
    readable = await client.get("/api/v1/data/meters", headers=CUSTOMER)
    assert [m["meter_id"] for m in readable.json()["data"]["meters"]] == ["haus-1", "haus-2"]
    assert (await link_audit(client, admin))[-1] == (
        f"user:{USER}",
        f"user:{USER}",
        {"linked": ["haus-2"], "unlinked": [], "via": "claim_code"},
    )

    again = await client.post(MINE, headers=CUSTOMER, json={"meter_id": "haus-2", "code": code})
    assert again.status_code == 200 and again.json()["data"]["meter_ids"] == ["haus-1", "haus-2"]
    assert len(await link_audit(client, admin)) == 2  # linking a linked meter changes nothing


async def test_a_wrong_code_and_an_unknown_meter_get_the_same_answer_and_store_nothing(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], meters: list[str]
) -> None:
    other_meters_code = await code_of(client, admin, "haus-1")

    wrong = await client.post(MINE, headers=CUSTOMER, json={"meter_id": "haus-2", "code": other_meters_code})
    unknown = await client.post(
        MINE, headers=CUSTOMER, json={"meter_id": "gibt-es-nicht", "code": other_meters_code}
    )

    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["data"]["code"] == "claim_refused"
    assert "gibt-es-nicht" not in unknown.text and "haus-2" not in wrong.text
    assert refusal(wrong) == refusal(unknown)
    assert linked(app, USER) == []
    assert await link_audit(client, admin) == []
    assert (
        await client.get(
            "/api/v1/data/smartmeter",
            headers=CUSTOMER,
            params={"meter_id": "haus-2", "from": "2025-01-01T00:00Z", "to": "2025-01-02T00:00Z"},
        )
    ).status_code == 404  # still not theirs to read


async def test_attempts_are_bounded_per_customer_with_429_and_retry_after(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], meters: list[str]
) -> None:
    right = await code_of(client, admin, "haus-1")
    for _ in range(CLAIM_ATTEMPTS_PER_MINUTE):
        wrong = await client.post(MINE, headers=CUSTOMER, json={"meter_id": "haus-1", "code": "AAAA-AAAA"})
        assert wrong.status_code == 422, wrong.text

    limited = await client.post(MINE, headers=CUSTOMER, json={"meter_id": "haus-1", "code": right})

    assert limited.status_code == 429, limited.text
    assert limited.json()["data"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert linked(app, USER) == []  # even the right code waits
    other = await client.post(MINE, headers=OTHER_CUSTOMER, json={"meter_id": "haus-1", "code": right})
    assert other.status_code == 200, other.text  # another customer has their own allowance


async def test_a_customer_unlinks_their_own_meter_and_nobody_elses(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], meters: list[str]
) -> None:
    await client.put(f"/api/v1/admin/users/{USER}/meters", headers=admin, json={"meter_ids": ["haus-1"]})
    await client.put(f"/api/v1/admin/users/{OTHER}/meters", headers=admin, json={"meter_ids": ["laden-1"]})
    code = await code_of(client, admin, "haus-2")
    assert (await client.post(MINE, headers=CUSTOMER, json={"meter_id": "haus-2", "code": code})).is_success

    removed = await client.delete(f"{MINE}/haus-1", headers=CUSTOMER)
    someone_elses = await client.delete(f"{MINE}/laden-1", headers=CUSTOMER)

    assert removed.status_code == 200, removed.text
    assert removed.json()["data"]["meter_ids"] == ["haus-2"]
    readable = await client.get("/api/v1/data/meters", headers=CUSTOMER)
    assert [m["meter_id"] for m in readable.json()["data"]["meters"]] == ["haus-2"]
    assert someone_elses.status_code == 404, someone_elses.text
    assert linked(app, OTHER) == ["laden-1"]
    assert (await link_audit(client, admin))[-1] == (
        f"user:{USER}",
        f"user:{USER}",
        {"linked": [], "unlinked": ["haus-1"]},
    )


async def test_the_operator_gets_404_for_an_unknown_meter_and_customers_cannot_read_codes(
    client: httpx.AsyncClient, admin: dict[str, str], meters: list[str]
) -> None:
    code = await code_of(client, admin, "haus-1")
    unknown = await client.get("/api/v1/admin/meters/gibt-es-nicht/claim-code", headers=admin)
    as_customer = await client.get("/api/v1/admin/meters/haus-1/claim-code", headers=CUSTOMER)
    anonymous = await client.get("/api/v1/admin/meters/haus-1/claim-code")

    assert unknown.status_code == 404 and unknown.json()["data"]["code"] == "not_found"
    assert as_customer.status_code == 403 and code not in as_customer.text
    assert anonymous.status_code == 401 and code not in anonymous.text


async def test_a_customer_has_at_most_the_meters_an_operator_may_link(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    ids = [f"m-{i:03d}" for i in range(101)]
    container_of(app).energy.upsert_meters([MeterInfo(meter_id) for meter_id in ids])
    full = await client.put(
        f"/api/v1/admin/users/{USER}/meters", headers=admin, json={"meter_ids": ids[:100]}
    )
    assert full.status_code == 200, full.text

    response = await client.post(
        MINE, headers=CUSTOMER, json={"meter_id": ids[100], "code": await code_of(client, admin, ids[100])}
    )

    assert response.status_code == 409, response.text
    assert len(linked(app, USER)) == 100


@pytest.mark.parametrize(
    "body",
    [
        {"meter_id": "haus-1"},
        {"code": "ABCD-EFGH"},
        {"meter_id": "haus 1", "code": "ABCD-EFGH"},
        {"meter_id": "haus-1", "code": ""},
        {"meter_id": "haus-1", "code": "A" * 33},
        {"meter_id": "haus-1", "code": "ABCD-EFGH", "user_id": OTHER},
    ],
)
async def test_bad_claims_are_400_and_store_nothing(
    client: httpx.AsyncClient, app: FastAPI, meters: list[str], body: dict[str, Any]
) -> None:
    response = await client.post(MINE, headers=CUSTOMER, json=body)

    assert response.status_code == 400, response.text
    assert linked(app, USER) == [] and linked(app, OTHER) == []


async def test_malformed_claims_do_not_use_up_the_allowance(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str], meters: list[str]
) -> None:
    for _ in range(CLAIM_ATTEMPTS_PER_MINUTE + 1):
        assert (await client.post(MINE, headers=CUSTOMER, json={"meter_id": "haus-1"})).status_code == 400

    code = await code_of(client, admin, "haus-1")
    response = await client.post(MINE, headers=CUSTOMER, json={"meter_id": "haus-1", "code": code})

    assert response.status_code == 200, response.text
