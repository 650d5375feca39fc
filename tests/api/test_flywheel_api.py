"""The flywheel's way in: service accounts, the session webhook, pseudonyms, redaction, audited reads."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from luna.domain.flywheel.actions import Action, ActionKind, ActionStatus, Team
from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio

SESSION: dict[str, Any] = {
    "session_id": "n8n-0001",
    "user_id": "kunde-4711@example.org",
    "consent": True,
    "source": "n8n",
    "turns": [
        {
            "question": "Ich bin Erika Mustermann, erika@example.org. Was kostet die Netznutzung?",
            "answer": "Für Haushalte 8,12 ct/kWh.",
            "asked_at": "2026-11-23T09:14:05Z",
            "cited_chunk_ids": ["c1"],
            "rating": 1,
            "note": "Rufen Sie mich an: 030 12345678",
            "latency_ms": 420,
        }
    ],
}


async def _account(client: httpx.AsyncClient, admin: dict[str, str], *scopes: str, name: str = "n8n") -> str:
    response = await client.post(
        "/api/v1/admin/service-accounts", headers=admin, json={"name": name, "scopes": list(scopes)}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["key"])


def _stored_rows(app: FastAPI) -> list[dict[str, Any]]:
    engine = app.state.container.database.engine
    with engine.connect() as connection:
        rows = (
            connection.execute(sa.text("SELECT * FROM flywheel_sessions ORDER BY revision")).mappings().all()
        )
    return [dict(row) for row in rows]


def _gap_ticket(app: FastAPI, examples: list[str]) -> None:
    """A knowledge-gap ticket whose examples are users' questions word for word."""
    at = datetime(2026, 11, 24, tzinfo=UTC)
    gap = {"topic": "netzentgelt", "questions": 3, "examples": examples}
    ticket = Action(
        action_id=str(uuid.uuid4()),
        kind=ActionKind.KNOWLEDGE_GAP,
        status=ActionStatus.OPEN,
        title="Wissenslücke: netzentgelt",
        details={"alert": {"severity": "warning"}, "gaps": [gap]},
        threshold="unanswered_rate",
        scope="all",
        owner=Team.WISSEN,
        created_at=at,
        updated_at=at,
    )
    with app.state.container.database.unit_of_work() as uow:
        uow.actions.add(ticket)
        uow.commit()


async def test_a_key_is_shown_once_and_lists_show_only_its_hint(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    key = await _account(client, admin, "sessions:write")
    assert key.startswith("luna_sa_")
    listed = (await client.get("/api/v1/admin/service-accounts", headers=admin)).json()["data"]["accounts"]
    assert [a["name"] for a in listed] == ["n8n"]
    assert key not in json.dumps(listed) and listed[0]["key_hint"] == key[:12] + "…"
    again = await client.post(
        "/api/v1/admin/service-accounts", headers=admin, json={"name": "n8n", "scopes": ["kpi:read"]}
    )
    assert again.status_code == 409
    unknown = await client.post(
        "/api/v1/admin/service-accounts", headers=admin, json={"name": "x2", "scopes": ["root"]}
    )
    assert unknown.status_code == 400
    upper = await client.post(
        "/api/v1/admin/service-accounts", headers=admin, json={"name": "N8N", "scopes": ["kpi:read"]}
    )
    assert upper.status_code == 400  # a refused field is named in the shape every refusal has
    assert upper.json()["data"]["details"]["errors"][0]["field"] == "name"


async def test_sessions_are_pseudonymised_and_redacted_before_storage(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    key = await _account(client, admin, "sessions:write")
    response = await client.post("/api/v1/hooks/session", headers={"X-Service-Key": key}, json=SESSION)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "session_id": "n8n-0001",
        "outcome": "stored",
        "revision": 1,
        "redactions": 3,
    }
    rows = _stored_rows(app)
    assert len(rows) == 1
    everything = json.dumps(rows, default=str)
    for raw in ("kunde-4711", "Erika", "Mustermann", "erika@example.org", "12345678"):
        assert raw not in everything
    assert "[E-MAIL]" in everything and "[TELEFON]" in everything and "[NAME]" in everything
    assert rows[0]["user_ref"].startswith("k1:")


async def test_a_resend_changes_nothing_and_a_changed_one_is_the_next_revision(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    headers = {"X-Service-Key": await _account(client, admin, "sessions:write")}
    await client.post("/api/v1/hooks/session", headers=headers, json=SESSION)
    again = await client.post("/api/v1/hooks/session", headers=headers, json=SESSION)
    assert again.json()["data"]["outcome"] == "unchanged" and again.json()["data"]["revision"] == 1
    changed = copy.deepcopy(SESSION)
    changed["turns"][0]["rating"] = -1
    revised = await client.post("/api/v1/hooks/session", headers=headers, json=changed)
    assert revised.json()["data"]["outcome"] == "revised" and revised.json()["data"]["revision"] == 2
    rows = _stored_rows(app)
    assert [(r["revision"], bool(r["current"])) for r in rows] == [(1, False), (2, True)]


async def test_sessions_without_consent_are_counted_never_stored(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    headers = {"X-Service-Key": await _account(client, admin, "sessions:write", "kpi:read")}
    response = await client.post("/api/v1/hooks/session", headers=headers, json={**SESSION, "consent": False})
    assert response.json()["data"]["outcome"] == "not_stored_without_consent"
    assert _stored_rows(app) == []
    counts = (await client.get("/api/v1/flywheel/sessions", headers=headers)).json()["data"]
    assert counts == {"sessions": 0, "consentless_last_30_days": {"n8n": 1}}


async def test_a_session_resent_without_consent_takes_its_earlier_revisions_with_it(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """The withdrawal answered "not stored", while revision 1 stayed in the KPIs and the SFT data."""
    headers = {"X-Service-Key": await _account(client, admin, "sessions:write", "kpi:read")}
    await client.post("/api/v1/hooks/session", headers=headers, json=SESSION)
    other = {**SESSION, "session_id": "n8n-0002"}
    batch = [other, {**other, "consent": False}]

    withdrawn = await client.post(
        "/api/v1/hooks/session", headers=headers, json={**SESSION, "consent": False}
    )
    in_one_batch = await client.post("/api/v1/hooks/sessions", headers=headers, json={"sessions": batch})

    assert withdrawn.json()["data"]["outcome"] == "not_stored_without_consent"
    assert [r["outcome"] for r in in_one_batch.json()["data"]["results"]] == [
        "stored",
        "not_stored_without_consent",
    ]
    assert _stored_rows(app) == []
    counts = (await client.get("/api/v1/flywheel/sessions", headers=headers)).json()["data"]
    assert counts["sessions"] == 0
    # Luna's own conversations are source "luna": a webhook may neither revise nor erase them.
    own = await client.post("/api/v1/hooks/session", headers=headers, json={**SESSION, "source": "luna"})
    assert own.status_code == 400 and "source" in own.json()["message"]


async def test_keys_are_checked_for_presence_validity_scope_and_revocation(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    reader = await _account(client, admin, "kpi:read", name="grafana")
    assert (await client.post("/api/v1/hooks/session", json=SESSION)).status_code == 401
    assert (
        await client.post("/api/v1/hooks/session", headers={"X-Service-Key": "luna_sa_nope"}, json=SESSION)
    ).status_code == 401
    assert (
        await client.post("/api/v1/hooks/session", headers={"X-Service-Key": reader}, json=SESSION)
    ).status_code == 403
    writer = await _account(client, admin, "sessions:write")
    accounts = (await client.get("/api/v1/admin/service-accounts", headers=admin)).json()["data"]["accounts"]
    writer_id = next(a["account_id"] for a in accounts if a["name"] == "n8n")
    revoked = await client.delete(f"/api/v1/admin/service-accounts/{writer_id}", headers=admin)
    assert revoked.status_code == 200
    assert (
        await client.post("/api/v1/hooks/session", headers={"X-Service-Key": writer}, json=SESSION)
    ).status_code == 401
    # Revoking again answers as before and changes nothing: the first time stays, one audit entry.
    again = await client.delete(f"/api/v1/admin/service-accounts/{writer_id.upper()}", headers=admin)
    assert again.status_code == 200  # an ID is a UUID, in either case (it was a 404 in upper case)
    assert again.json()["data"]["revoked_at"] == revoked.json()["data"]["revoked_at"]
    audit = await client.get("/api/v1/admin/audit", headers=admin, params={"limit": 50})
    entries = audit.json()["data"]["entries"]
    assert [e["target"] for e in entries if e["action"] == "service_account.revoke"] == ["n8n"]
    listed = (await client.get("/api/v1/admin/service-accounts", headers=admin)).json()["data"]["accounts"]
    assert next(a for a in listed if a["name"] == "grafana")["last_used_at"] is not None


async def test_raw_reads_need_their_scope_and_a_reason_and_are_audited(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    writer = {"X-Service-Key": await _account(client, admin, "sessions:write")}
    await client.post("/api/v1/hooks/session", headers=writer, json=SESSION)
    reader = {"X-Service-Key": await _account(client, admin, "sessions:read-raw", name="data-team")}
    url = "/api/v1/flywheel/sessions/n8n/n8n-0001"
    assert (await client.get(url, headers=writer, params={"reason": "Prüfung"})).status_code == 403
    assert (await client.get(url, headers=reader)).status_code == 400
    for blank in ("   ", " \t  \n "):  # went into the audit log as the reason
        assert (await client.get(url, headers=reader, params={"reason": blank})).status_code == 400
    response = await client.get(url, headers=reader, params={"reason": "  Wissenslücke   prüfen "})
    assert response.status_code == 200
    assert response.json()["data"]["turns"][0]["note"] == "Rufen Sie mich an: [TELEFON]"
    assert (
        await client.get("/api/v1/flywheel/sessions/n8n/unknown", headers=reader, params={"reason": "x y z"})
    ).status_code == 404
    audit = (
        await client.get("/api/v1/admin/audit", headers=admin, params={"action": "sessions.read_raw"})
    ).json()
    entries = audit["data"]["entries"]
    assert len(entries) == 1
    assert entries[0]["actor"] == "service:data-team" and entries[0]["target"] == "n8n/n8n-0001"
    assert entries[0]["details"] == {"reason": "Wissenslücke prüfen"}


async def test_a_signed_body_is_accepted_and_a_forged_one_refused(build_app: Callable[..., FastAPI]) -> None:
    secret = "webhook-secret-0123456789"
    app = build_app(LUNA_FLYWHEEL__WEBHOOK_SECRET=secret)
    body = json.dumps(SESSION).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    async with http_client(app) as client:
        headers = {"Content-Type": "application/json"}
        good = await client.post(
            "/api/v1/hooks/session", headers={**headers, "X-Luna-Signature": signature}, content=body
        )
        assert good.status_code == 200, good.text
        forged = await client.post(
            "/api/v1/hooks/session",
            headers={**headers, "X-Luna-Signature": signature},
            content=body.replace(b"4711", b"4712"),
        )
        assert forged.status_code == 401


async def test_a_signature_is_refused_when_no_secret_is_configured(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/hooks/session", headers={"X-Luna-Signature": "sha256=00"}, json=SESSION
    )
    assert response.status_code == 403


async def test_bad_input_is_refused_and_stores_nothing(
    build_app: Callable[..., FastAPI], admin: dict[str, str]
) -> None:
    app = build_app(LUNA_FLYWHEEL__MAX_TURNS=2, LUNA_FLYWHEEL__MAX_TEXT_CHARS=500)
    async with http_client(app) as client:
        headers = {"X-Service-Key": await _account(client, admin, "sessions:write")}
        too_many = {**SESSION, "turns": SESSION["turns"] * 3}
        assert (await client.post("/api/v1/hooks/session", headers=headers, json=too_many)).status_code == 413
        long_turn = copy.deepcopy(SESSION)
        long_turn["turns"][0]["answer"] = "x" * 501
        assert (
            await client.post("/api/v1/hooks/session", headers=headers, json=long_turn)
        ).status_code == 413
        extra = {**SESSION, "password": "x"}
        assert (await client.post("/api/v1/hooks/session", headers=headers, json=extra)).status_code == 400
        naive = copy.deepcopy(SESSION)
        naive["turns"][0]["asked_at"] = "2026-11-23T09:14:05"
        assert (await client.post("/api/v1/hooks/session", headers=headers, json=naive)).status_code == 400
        malformed = await client.post(
            "/api/v1/hooks/session", headers={**headers, "Content-Type": "application/json"}, content=b"{nope"
        )
        assert malformed.status_code == 400
        batch = {"sessions": [SESSION, {**SESSION, "session_id": "n8n-0002", "turns": []}]}
        assert (await client.post("/api/v1/hooks/sessions", headers=headers, json=batch)).status_code == 400
        # A session is read back at /flywheel/sessions/{source}/{session_id}: an ID no such path can carry
        # would be stored for good and never read.
        for unreadable in ({"session_id": "x/y"}, {"session_id": ".."}, {"source": "../../etc"}):
            response = await client.post(
                "/api/v1/hooks/session", headers=headers, json={**SESSION, **unreadable}
            )
            assert response.status_code == 400 and response.json()["data"]["code"] == "invalid_input"
    assert _stored_rows(app) == []


def _with_time(field: str, value: str) -> dict[str, Any]:
    session = copy.deepcopy(SESSION)
    if field == "asked_at":
        session["turns"][0]["asked_at"] = value
    else:
        session[field] = value
    return session


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        # Both parse, but neither has a UTC time (the database's conversion raised OverflowError).
        ("asked_at", "0001-01-01T00:00:00+23:59", "is out of range"),
        ("asked_at", "9999-12-31T23:59:59-23:59", "is out of range"),
        ("started_at", "0001-01-01T00:00:00+23:59", "is out of range"),
        # The rule /events applies to ts: from 2000 on, not in the future.
        ("asked_at", "0001-01-01T00:00:00Z", "lies before 2000-01-01"),
        ("asked_at", "1999-12-31T23:59:59Z", "lies before 2000-01-01"),
        ("asked_at", "9999-12-31T23:59:59Z", "lies in the future"),
        ("started_at", "9999-12-31T00:00:00+00:00", "lies in the future"),
    ],
)
async def test_times_out_of_range_are_a_400_naming_the_field_and_store_nothing(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], field: str, value: str, problem: str
) -> None:
    headers = {"X-Service-Key": await _account(client, admin, "sessions:write")}
    session = _with_time(field, value)

    single = await client.post("/api/v1/hooks/session", headers=headers, json=session)
    batch = await client.post(
        "/api/v1/hooks/sessions", headers=headers, json={"sessions": [SESSION, session]}
    )

    for response in (single, batch):
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["status"] == "error" and body["data"]["code"] == "invalid_input"
        [error] = body["data"]["details"]["errors"]
        assert error["field"].endswith(field) and problem in error["problem"]
    assert _stored_rows(app) == []


async def test_times_with_any_offset_within_range_are_stored_as_sent(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    headers = {"X-Service-Key": await _account(client, admin, "sessions:write")}
    session = _with_time("asked_at", "2026-11-23T23:14:05-14:00")
    session["started_at"] = "2000-01-01T00:00:00Z"

    response = await client.post("/api/v1/hooks/session", headers=headers, json=session)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["outcome"] == "stored"
    reader = {"X-Service-Key": await _account(client, admin, "sessions:read-raw", name="data-team")}
    read = await client.get(
        "/api/v1/flywheel/sessions/n8n/n8n-0001", headers=reader, params={"reason": "Zeiten"}
    )
    stored = read.json()["data"]
    assert stored["turns"][0]["asked_at"] == "2026-11-23T23:14:05-14:00"
    assert stored["started_at"] == "2000-01-01T00:00:00Z"


async def test_a_batch_is_stored_in_one_go(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    headers = {"X-Service-Key": await _account(client, admin, "sessions:write")}
    batch = {
        "sessions": [{**SESSION, "session_id": f"s-{n}"} for n in range(5)] + [{**SESSION, "consent": False}]
    }
    response = await client.post("/api/v1/hooks/sessions", headers=headers, json=batch)
    outcomes = [r["outcome"] for r in response.json()["data"]["results"]]
    assert outcomes == ["stored"] * 5 + ["not_stored_without_consent"]
    assert len(_stored_rows(app)) == 5


async def test_kpis_are_read_with_the_kpi_scope_per_window_and_scope(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    writer = {"X-Service-Key": await _account(client, admin, "sessions:write")}
    reader = {"X-Service-Key": await _account(client, admin, "kpi:read", name="grafana")}
    await client.post("/api/v1/hooks/session", headers=writer, json=SESSION)
    app.state.container.services.kpis.compute(
        datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)
    )

    refused = await client.get("/api/v1/flywheel/kpis", headers=writer)
    assert refused.status_code == 403
    day = (await client.get("/api/v1/flywheel/kpis?window=day&scope=all", headers=reader)).json()["data"]
    usefulness = [v for v in day if v["kpi"] == "usefulness_rate"]
    assert [(v["bucket_start"][:10], v["value"], v["samples"]) for v in usefulness] == [
        ("2026-11-23", 1.0, 1)
    ]
    assert {v["window"] for v in day} == {"day"} and {v["scope"] for v in day} == {"all"}
    wrong = await client.get("/api/v1/flywheel/kpis?window=month", headers=reader)
    assert wrong.status_code == 400 and "window" in wrong.text


async def test_an_operator_erases_the_sessions_a_webhook_sent_for_one_of_its_users(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """Such a user is no Luna user: DELETE /admin/users/{id}/data answered 404, and nothing else
    reached their sessions."""
    key = await _account(client, admin, "sessions:write")
    hooks = {"X-Service-Key": key}
    other = {**SESSION, "session_id": "n8n-0002", "user_id": "kunde-42"}
    for session in (SESSION, {**SESSION, "session_id": "n8n-0003"}, other):
        assert (await client.post("/api/v1/hooks/session", headers=hooks, json=session)).status_code == 200
    user = quote(str(SESSION["user_id"]), safe="")
    turns = _stored_rows(app)[0]["turns"]
    theirs = json.loads(turns)[0]["question"] if isinstance(turns, str) else turns[0]["question"]  # redacted
    _gap_ticket(app, examples=[theirs, "Was kostet ein Smart Meter?"])

    erased = await client.delete(f"/api/v1/admin/users/external/{user}/sessions", headers=admin)
    again = await client.delete(f"/api/v1/admin/users/external/{user}/sessions", headers=admin)

    assert erased.status_code == 200, erased.text
    assert erased.json()["data"] == {"flywheel_sessions": 2, "flywheel_questions": 0, "ticket_examples": 1}
    with app.state.container.database.unit_of_work(read_only=True) as uow:
        [ticket] = uow.actions.list()
    assert ticket.details["gaps"][0]["examples"] == ["Was kostet ein Smart Meter?"]
    assert again.json()["data"]["flywheel_sessions"] == 0
    assert [row["session_id"] for row in _stored_rows(app)] == ["n8n-0002"]  # the other user's stays
    audit = await client.get("/api/v1/admin/audit", params={"action": "sessions.erase_user"}, headers=admin)
    [entry, _] = audit.json()["data"]["entries"]
    assert entry["actor"] == "admin" and "kunde" not in json.dumps(entry)  # counts only
    by_customer = await client.delete(
        f"/api/v1/admin/users/external/{user}/sessions", headers={"X-Dev-User": str(uuid.uuid4())}
    )
    assert by_customer.status_code == 403
