"""Operators need the admin key; customers a valid JWT (or X-Dev-User where development allows it)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from luna.api.app import create_app
from luna.api.auth import current_user
from luna.container import Container, build_container
from luna.domain.users import User
from luna.settings import Settings
from tests.api.conftest import ADMIN_KEY, JWT_SECRET, http_client

pytestmark = pytest.mark.anyio

ME = "/api/v1/test/me"


def token(claims: dict[str, Any], secret: str = JWT_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def valid_claims(user_id: str) -> dict[str, Any]:
    return {"sub": user_id, "exp": int(time.time()) + 300}


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def with_me_route(app: FastAPI) -> FastAPI:
    """A test-only customer endpoint that answers with the authenticated user's id."""

    @app.get(ME)
    def me(user: Annotated[User, Depends(current_user)]) -> dict[str, str]:
        return {"user_id": user.user_id}

    return app


def user_count(app: FastAPI) -> int:
    container: Container = app.state.container
    with container.database.unit_of_work() as uow:
        return uow.users.count()


@pytest.fixture
def customer_app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return with_me_route(build_app())


@pytest.fixture
def app_without_secrets(make_settings: Callable[..., Settings]) -> Iterator[FastAPI]:
    """No admin key and no JWT secret (possible only when settings skip ensure_local_secrets)."""
    settings = make_settings()
    auth = settings.auth.model_copy(update={"admin_api_key": None, "jwt_secret": None})
    container = build_container(settings.model_copy(update={"auth": auth}))
    container.database.upgrade()
    yield with_me_route(create_app(container))
    container.close()


# Admin key


async def test_admin_route_without_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/jobs")

    assert response.status_code == 401
    assert response.json()["data"]["code"] == "unauthorized"


async def test_admin_route_with_wrong_key_is_403(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/jobs", headers={"X-Admin-Key": "wrong-key-0123456789"})

    assert response.status_code == 403
    assert response.json()["data"]["code"] == "forbidden"


async def test_a_customer_on_an_admin_route_is_403_not_asked_to_log_in(client: httpx.AsyncClient) -> None:
    """A known customer is not unauthenticated: logging in again would not help, so 401 misled."""
    customer = str(uuid.uuid4())
    by_token = await client.get("/api/v1/admin/jobs", headers=bearer(token(valid_claims(customer))))
    by_dev_header = await client.get("/api/v1/admin/jobs", headers={"X-Dev-User": customer})
    foreign = token(valid_claims(customer), secret="another-secret-0123456789")
    foreign_token = await client.get("/api/v1/admin/jobs", headers=bearer(foreign))

    for response in (by_token, by_dev_header):
        assert response.status_code == 403, response.text
        assert "X-Admin-Key" in response.json()["message"]
    assert foreign_token.status_code == 401


async def test_admin_route_with_the_key_is_200(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.get("/api/v1/admin/jobs", headers=admin)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_a_credential_header_sent_twice_is_400_whichever_comes_first(
    client: httpx.AsyncClient, customer_app: FastAPI
) -> None:
    keys = [("X-Admin-Key", ADMIN_KEY), ("X-Admin-Key", "wrong-key-0123456789")]
    admin = await client.get("/api/v1/admin/jobs", headers=keys)
    reversed_keys = await client.get("/api/v1/admin/jobs", headers=list(reversed(keys)))
    async with http_client(customer_app) as customers:
        tokens = [("Authorization", f"Bearer {token(valid_claims(str(uuid.uuid4())))}")] * 2
        customer = await customers.get(ME, headers=tokens)

    for response in (admin, reversed_keys, customer):
        assert response.status_code == 400, response.text
        assert "sent 2 times" in response.json()["message"]
    assert user_count(customer_app) == 0


async def test_auth_is_checked_before_the_query(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/jobs?limit=0")

    assert response.status_code == 401


async def test_every_admin_route_needs_the_key(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/v1/openapi.json")).json()
    admin_operations = [
        (method, path)
        for path, ops in schema["paths"].items()
        if path.startswith("/api/v1/admin")
        for method in ops
    ]
    assert admin_operations
    for method, path in admin_operations:
        concrete = path.replace("{job_id}", str(uuid.uuid4()))
        response = await client.request(method.upper(), concrete)
        assert response.status_code == 401, (method, path)


async def test_guessing_the_key_is_slowed_down_even_for_the_right_key(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    wrong = [
        await client.get("/api/v1/admin/jobs", headers={"X-Admin-Key": f"guess-{n:04d}-0123456789"})
        for n in range(5)
    ]
    right_after = await client.get("/api/v1/admin/jobs", headers=admin)

    assert [response.status_code for response in wrong] == [403] * 5
    assert right_after.status_code == 429
    assert right_after.json()["data"]["code"] == "rate_limited"
    assert int(right_after.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("path", ["/metrics", "/v1/embeddings"])
async def test_a_customer_token_on_a_machine_endpoint_is_403_and_locks_nobody_out(
    client: httpx.AsyncClient, admin: dict[str, str], path: str
) -> None:
    customer = bearer(token(valid_claims(str(uuid.uuid4()))))
    expired = bearer(token({"sub": str(uuid.uuid4()), "exp": int(time.time()) - 3600}))
    refused = [
        await client.request(
            "GET" if path == "/metrics" else "POST",
            path,
            headers=headers,
            json=None if path == "/metrics" else {"input": "Strom", "model": "luna"},
        )
        for headers in [customer] * 5 + [expired] * 2
    ]
    right_after = await client.get("/api/v1/admin/jobs", headers=admin)

    assert [response.status_code for response in refused] == [403] * 7
    body = refused[0].json()
    assert "customer" in (body["error"]["message"] if path.startswith("/v1/") else body["message"])
    assert right_after.status_code == 200


MALFORMED = {"Content-Type": "application/json"}


def oversize_body(limit_kb: int) -> bytes:
    return json.dumps({"name": "x", "params": {"blob": "a" * (limit_kb * 1024 + 1)}}).encode()


async def test_without_a_key_a_malformed_body_is_401_not_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/admin/jobs", headers=MALFORMED, content=b"{not json")

    assert response.status_code == 401
    body = response.json()
    assert (body["status"], body["data"]["code"]) == ("error", "unauthorized")
    assert body["trace_id"] == response.headers["X-Trace-Id"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_behind_a_proxy_prefix_the_key_is_still_checked_first(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app, root_path="/luna")
    async with httpx.AsyncClient(transport=transport, base_url="http://luna.test") as client:
        response = await client.post("/luna/api/v1/admin/jobs", headers=MALFORMED, content=b"{not json")

    assert response.status_code == 401


async def test_with_a_wrong_key_an_oversize_body_is_403_not_413(build_app: Callable[..., FastAPI]) -> None:
    headers = {**MALFORMED, "X-Admin-Key": "wrong-key-0123456789"}
    async with http_client(build_app(LUNA_API__MAX_JSON_KB=1)) as client:
        response = await client.post("/api/v1/admin/jobs", headers=headers, content=oversize_body(1))

    assert response.status_code == 403
    assert response.json()["data"]["code"] == "forbidden"


async def test_with_the_key_a_malformed_body_is_400(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post("/api/v1/admin/jobs", headers={**admin, **MALFORMED}, content=b"{not json")

    assert response.status_code == 400
    assert response.json()["data"]["code"] == "malformed_json"


async def test_without_a_key_the_body_is_never_read(client: httpx.AsyncClient) -> None:
    read: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(b"{}")
        yield b"{}"

    response = await client.post("/api/v1/admin/jobs", headers=MALFORMED, content=body())

    assert response.status_code == 401
    assert read == []


async def test_every_admin_route_refuses_a_bad_body_without_a_key_as_401(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/v1/openapi.json")).json()
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/admin"):
            continue
        for method in operations:
            concrete = path.replace("{job_id}", str(uuid.uuid4()))
            response = await client.request(method.upper(), concrete, headers=MALFORMED, content=b"[")
            assert response.status_code == 401, (method, path)


async def test_admin_is_forbidden_when_no_key_is_configured(app_without_secrets: FastAPI) -> None:
    async with http_client(app_without_secrets) as client:
        response = await client.get("/api/v1/admin/jobs", headers={"X-Admin-Key": ADMIN_KEY})

    assert response.status_code == 403


# Customer JWT


async def test_valid_jwt_creates_the_user_once(customer_app: FastAPI) -> None:
    user_id = str(uuid.uuid4())
    async with http_client(customer_app) as client:
        first = await client.get(ME, headers=bearer(token(valid_claims(user_id))))
        second = await client.get(ME, headers=bearer(token(valid_claims(user_id))))

    assert first.status_code == second.status_code == 200
    assert first.json() == {"user_id": user_id}
    assert user_count(customer_app) == 1


@pytest.mark.parametrize(
    ("claims", "secret"),
    [
        pytest.param({"sub": str(uuid.uuid4()), "exp": int(time.time()) - 3600}, JWT_SECRET, id="expired"),
        pytest.param({"sub": "alice", "exp": int(time.time()) + 300}, JWT_SECRET, id="sub-not-a-uuid"),
        pytest.param({"sub": str(uuid.uuid4())}, JWT_SECRET, id="no-exp"),
        pytest.param({"exp": int(time.time()) + 300}, JWT_SECRET, id="no-sub"),
        pytest.param(
            valid_claims(str(uuid.uuid4())), "another-secret-0123456789abcdef-xyz", id="wrong-signature"
        ),
    ],
)
async def test_invalid_jwt_is_401_and_creates_no_user(
    customer_app: FastAPI, claims: dict[str, Any], secret: str
) -> None:
    async with http_client(customer_app) as client:
        response = await client.get(ME, headers=bearer(token(claims, secret)))

    assert response.status_code == 401
    assert response.json()["data"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert user_count(customer_app) == 0


@pytest.mark.parametrize(
    ("sent", "says"),
    [
        ("unit-admin-key-0123456789", "no JWT (three base64url parts joined by dots). The admin key goes in"),
        ("eyJhbGciOiJIUzI1NiJ9.t7e3.x", "no JWT"),  # a payload that is no UTF-8
        (None, "signature does not match this install's JWT secret"),
        (
            token({"sub": "0b7e3f52-9a1c-4c2e-8d3f-6a5b4c3d2e1f", "exp": "tomorrow"}),
            "claims are not valid: Expiration Time claim (exp) must be an integer",
        ),
    ],
)
async def test_a_refused_token_says_why_in_words_a_caller_can_act_on(
    customer_app: FastAPI, sent: str | None, says: str
) -> None:
    """The parser's own words came through: "Not enough segments", "'utf-8' codec can't decode …"."""
    wrong = token(valid_claims(str(uuid.uuid4())), "another-secret-0123456789abcdef-xyz")
    async with http_client(customer_app) as client:
        response = await client.get(ME, headers=bearer(wrong if sent is None else sent))

    assert response.status_code == 401 and says in response.json()["message"]
    assert "segments" not in response.json()["message"] and "codec" not in response.json()["message"]


async def test_token_expired_within_the_leeway_is_accepted(customer_app: FastAPI) -> None:
    claims = {"sub": str(uuid.uuid4()), "exp": int(time.time()) - 5}  # leeway is 30 s
    async with http_client(customer_app) as client:
        response = await client.get(ME, headers=bearer(token(claims)))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "header", ["Bearer not.a.jwt", "Bearer ", "Basic dXNlcjpwdw==", "Bearer " + "x" * 5000]
)
async def test_garbage_credentials_are_401(customer_app: FastAPI, header: str) -> None:
    async with http_client(customer_app) as client:
        response = await client.get(ME, headers={"Authorization": header})

    assert response.status_code == 401


async def test_no_credentials_is_401_saying_how_to_get_a_token(customer_app: FastAPI) -> None:
    async with http_client(customer_app) as client:
        response = await client.get(ME)

    assert response.status_code == 401
    message = response.json()["message"]
    assert "`luna token <user-id>`" in message
    # The test app allows the development header, so the message offers it too.
    assert "X-Dev-User" in message


async def test_without_development_access_the_401_names_no_operator_command(
    build_app: Callable[..., FastAPI],
) -> None:
    """A server's clients get tokens from its identity provider: `luna token` means nothing to them."""
    async with http_client(with_me_route(build_app(LUNA_AUTH__ALLOW_DEV_USER="false"))) as client:
        response = await client.get(ME)

    assert response.status_code == 401
    assert response.json()["message"] == (
        "This endpoint needs a customer's Bearer token (Authorization header)."
    )


async def test_jwt_is_refused_when_no_secret_is_configured(app_without_secrets: FastAPI) -> None:
    async with http_client(app_without_secrets) as client:
        response = await client.get(ME, headers=bearer(token(valid_claims(str(uuid.uuid4())))))

    assert response.status_code == 401


# X-Dev-User


async def test_dev_user_is_accepted_when_allowed(customer_app: FastAPI) -> None:
    user_id = str(uuid.uuid4())
    async with http_client(customer_app) as client:
        response = await client.get(ME, headers={"X-Dev-User": user_id})

    assert response.status_code == 200
    assert response.json() == {"user_id": user_id}
    assert user_count(customer_app) == 1


async def test_dev_user_is_refused_when_not_allowed(build_app: Callable[..., FastAPI]) -> None:
    app = with_me_route(build_app(LUNA_AUTH__ALLOW_DEV_USER="false"))
    async with http_client(app) as client:
        response = await client.get(ME, headers={"X-Dev-User": str(uuid.uuid4())})

    assert response.status_code == 401
    assert user_count(app) == 0


async def test_dev_user_must_be_a_uuid(customer_app: FastAPI) -> None:
    async with http_client(customer_app) as client:
        response = await client.get(ME, headers={"X-Dev-User": "bob"})

    assert response.status_code == 401


@pytest.mark.parametrize("placeholder", [str(uuid.UUID(int=0)), "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"])
async def test_the_nil_and_max_uuid_name_no_user_in_a_header_or_a_token(
    customer_app: FastAPI, placeholder: str
) -> None:
    """Every client that sent the nil UUID (a default left unset) shared one account."""
    async with http_client(customer_app) as client:
        by_header = await client.get(ME, headers={"X-Dev-User": placeholder})
        by_token = await client.get(ME, headers=bearer(token(valid_claims(placeholder))))

    assert (by_header.status_code, by_token.status_code) == (401, 401)
    assert "placeholder UUID" in by_header.json()["message"]
    assert user_count(customer_app) == 0
