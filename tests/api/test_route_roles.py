"""Who may call what: every route of the API against every role, from one table (issue #18).

The rule (docs/security.md): operators (admin key) run Luna and may call everything except the
``/users/me`` routes, which belong to a signed-in customer; customers (JWT, or X-Dev-User in
development) ask, search, read their own meters, link and unlink their own meters (with a meter's
claim code), record their own events and ratings, and manage their own consent and data; nobody
unauthenticated gets more than ``/system/info``. The test sends each request without a body: an
allowed role must get past authentication (any status but 401/403, usually 400 for the missing
body), a refused role must get 401 or 403 and nothing else.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.api.conftest import ADMIN_KEY

pytestmark = pytest.mark.anyio

PUBLIC, SIGNED_IN, CUSTOMER, OPERATOR = "public", "signed-in", "customer", "operator"
#: Machines with a service account key (tests/api/test_flywheel_api.py); no person's role reaches them.
SERVICE = "service"

ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/system/info"): PUBLIC,
    ("POST", "/api/v1/rag/search"): SIGNED_IN,
    ("POST", "/api/v1/rag/ask"): SIGNED_IN,
    ("GET", "/api/v1/data/meters"): SIGNED_IN,
    ("GET", "/api/v1/data/smartmeter"): SIGNED_IN,
    ("GET", "/api/v1/data/market"): SIGNED_IN,
    ("GET", "/api/v1/data/insights"): SIGNED_IN,
    ("POST", "/api/v1/events"): SIGNED_IN,
    ("POST", "/api/v1/events/batch"): SIGNED_IN,
    ("POST", "/api/v1/feedback/rag"): SIGNED_IN,
    ("POST", "/api/v1/recommend"): SIGNED_IN,
    ("GET", "/api/v1/metrics/overview"): SIGNED_IN,
    ("GET", "/api/v1/help/context"): SIGNED_IN,
    ("GET", "/api/v1/help/routes"): SIGNED_IN,
    ("GET", "/v1/models"): SIGNED_IN,
    ("GET", "/v1/models/{model}"): SIGNED_IN,
    ("POST", "/v1/chat/completions"): SIGNED_IN,
    ("POST", "/v1/embeddings"): OPERATOR,
    ("GET", "/api/v1/users/me"): CUSTOMER,
    ("GET", "/api/v1/users/me/meters"): CUSTOMER,
    ("POST", "/api/v1/users/me/meters"): CUSTOMER,
    ("DELETE", "/api/v1/users/me/meters/{meter_id}"): CUSTOMER,
    ("GET", "/api/v1/users/me/consent"): CUSTOMER,
    ("PUT", "/api/v1/users/me/consent"): CUSTOMER,
    ("DELETE", "/api/v1/users/me/data"): CUSTOMER,
    ("GET", "/api/v1/users/me/export"): CUSTOMER,
    ("GET", "/api/v1/rag/conversations"): CUSTOMER,
    ("GET", "/api/v1/rag/conversations/{conversation_id}"): CUSTOMER,
    ("DELETE", "/api/v1/rag/conversations/{conversation_id}"): CUSTOMER,
    ("POST", "/api/v1/ingest/doc"): OPERATOR,
    ("POST", "/api/v1/ingest/url"): OPERATOR,
    ("POST", "/api/v1/sim/run"): OPERATOR,
    ("GET", "/api/v1/sim/status"): OPERATOR,
    ("GET", "/api/v1/metrics/ingest"): OPERATOR,
    ("GET", "/metrics"): OPERATOR,
    ("POST", "/api/v1/hooks/session"): SERVICE,
    ("POST", "/api/v1/hooks/sessions"): SERVICE,
    ("GET", "/api/v1/flywheel/sessions"): SERVICE,
    ("GET", "/api/v1/flywheel/kpis"): SERVICE,
    ("GET", "/api/v1/flywheel/sessions/{source}/{session_id}"): SERVICE,
    ("GET", "/api/v1/datasets/{name}/versions"): SERVICE,
    ("GET", "/api/v1/datasets/{name}/versions/{number}"): SERVICE,
}
#: Everything under /api/v1/admin is for operators; the table above holds the rest.
ADMIN_PREFIX = "/api/v1/admin/"

ROLES = {
    "anonymous": {},
    "customer": {"X-Dev-User": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
    "operator": {"X-Admin-Key": ADMIN_KEY},
}
ALLOWED = {
    PUBLIC: {"anonymous", "customer", "operator"},
    SIGNED_IN: {"customer", "operator"},
    CUSTOMER: {"customer"},
    OPERATOR: {"operator"},
    SERVICE: set(),
}
PATH_VALUES = {
    "{job_id}": str(uuid.uuid4()),
    "{item_id}": str(uuid.uuid4()),
    "{user_id}": str(uuid.uuid4()),
    "{conversation_id}": str(uuid.uuid4()),
    "{snapshot_id}": "20260101T000000Z-0000",
    "{key}": "sim/none.csv",
    "{meter_id}": "m-1",
    "{source}": "n8n",
    "{session_id}": "s-1",
    "{account_id}": str(uuid.uuid4()),
    "{run_id}": str(uuid.uuid4()),
    "{name}": "no-such-dataset",
    "{number}": "1",
    "{version}": "1",
    "{model}": "luna",
}


def access_of(method: str, path: str) -> str:
    if path.startswith(ADMIN_PREFIX):
        return OPERATOR
    return ACCESS[(method, path)]


def concrete(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace(name, value)
    return path


async def operations(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    schema = (await client.get("/api/v1/openapi.json")).json()
    return sorted((method.upper(), path) for path, ops in schema["paths"].items() for method in ops)


async def test_every_route_has_a_rule(client: httpx.AsyncClient) -> None:
    missing = [
        op for op in await operations(client) if not op[1].startswith(ADMIN_PREFIX) and op not in ACCESS
    ]
    assert missing == [], "add these routes to ACCESS (and docs/security.md)"
    stale = [op for op in ACCESS if op not in await operations(client)]
    assert stale == []


@pytest.mark.parametrize("role", list(ROLES))
async def test_each_role_gets_exactly_the_routes_of_its_rule(client: httpx.AsyncClient, role: str) -> None:
    wrong: list[tuple[str, str, int]] = []
    for method, path in await operations(client):
        response = await client.request(method, concrete(path), headers=ROLES[role])
        refused = response.status_code in (401, 403)
        if refused == (role in ALLOWED[access_of(method, path)]):
            wrong.append((method, path, response.status_code))
        assert response.status_code < 500, (method, path, response.text)
    assert wrong == []


async def test_an_operator_on_a_customers_route_is_known_but_not_let_in(client: httpx.AsyncClient) -> None:
    """Valid credentials that do not open a route are a 403, not a 401 asking to sign in (docs/security.md);
    a wrong admin key there is refused as a wrong key, as on the admin routes."""
    customer_routes = [op for op in await operations(client) if ACCESS.get(op) == CUSTOMER]
    statuses = {
        (method, path): (await client.request(method, concrete(path), headers=ROLES["operator"])).status_code
        for method, path in customer_routes
    }
    wrong_key = await client.get("/api/v1/rag/conversations", headers={"X-Admin-Key": "falsch"})

    assert customer_routes and set(statuses.values()) == {403}, statuses
    assert wrong_key.status_code == 403 and "X-Admin-Key is not valid" in wrong_key.json()["message"]
