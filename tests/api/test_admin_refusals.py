"""Admin requests that did more, or said more, than they were asked (a read-only probe of the admin
API found each): an empty scope rebuilt everything, a body on a route that reads none was ignored while
the action ran, and refusals quoted a huge input back in full."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from luna.domain.prompt_versions import packaged_prompt_text
from luna.workers.registry import load_jobs

pytestmark = pytest.mark.anyio


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    """With the real job functions, whose params ``/admin/jobs`` checks."""
    return build_app(known_jobs=load_jobs())


async def _jobs(client: httpx.AsyncClient, admin: dict[str, str]) -> int:
    listed = await client.get("/api/v1/admin/jobs", headers=admin)
    total: int = listed.json()["data"]["total"]
    return total


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/admin/reindex", {"item_ids": []}, "item_ids"),
        ("/api/v1/admin/reindex", {"filter": {}}, "filter"),
        ("/api/v1/admin/reread", {"item_ids": []}, "item_ids"),
        ("/api/v1/admin/jobs", {"name": "kb.reindex", "params": {"item_ids": []}}, "item_ids"),
        ("/api/v1/admin/jobs", {"name": "kb.reread", "params": {"where": {}}}, "where"),
    ],
)
async def test_an_empty_scope_is_a_400_not_every_item(
    client: httpx.AsyncClient, admin: dict[str, str], path: str, body: dict[str, object], field: str
) -> None:
    """A client that found no items to reindex rebuilt the whole collection."""
    before = await _jobs(client, admin)
    refused = await client.post(path, json=body, headers=admin)

    assert refused.status_code == 400, refused.text
    assert refused.json()["message"].startswith(f"{field}: name at least one")
    assert await _jobs(client, admin) == before


@pytest.mark.parametrize("body", [b'{"dry_run": true}', b"garbage{{", b"[]"])
async def test_a_body_on_a_route_that_reads_none_is_a_400_and_nothing_happens(
    client: httpx.AsyncClient, admin: dict[str, str], body: bytes
) -> None:
    """``{"dry_run": true}`` sent to an activation activated; the same for a restore and a delete."""
    headers = {**admin, "Content-Type": "application/json"}
    saved = await client.post(
        "/api/v1/admin/prompts", json={"text": _edited_prompt(), "note": "zweite"}, headers=admin
    )
    assert saved.status_code == 201
    refused = await client.post("/api/v1/admin/prompts/0/activate", content=body, headers=headers)
    listed = await client.get("/api/v1/admin/prompts", headers=admin)

    assert refused.status_code == 400 and "reads no request body" in refused.json()["message"]
    assert listed.json()["data"]["active"] == 1


@pytest.mark.parametrize("body", [b"", b"{}", b" null "])
async def test_an_empty_body_still_passes_where_none_is_read(
    client: httpx.AsyncClient, admin: dict[str, str], body: bytes
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    activated = await client.post("/api/v1/admin/prompts/0/activate", content=body, headers=headers)

    assert activated.status_code in (200, 409), activated.text  # 409: version 0 is already active


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/admin/jobs/" + "x" * 60_000,
        "/api/v1/admin/item/" + "y" * 60_000,
        "/api/v1/admin/eval/runs/" + "z" * 8_000,
    ],
)
async def test_a_refusal_does_not_quote_a_huge_id_back(
    client: httpx.AsyncClient, admin: dict[str, str], path: str
) -> None:
    response = await client.get(path, headers=admin)

    assert response.status_code == 404 and len(response.content) < 1_000


async def test_thousands_of_unknown_job_params_get_a_short_answer(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    params = {f"k{i}": 1 for i in range(1_000)}  # more keys than that are refused before any check
    response = await client.post(
        "/api/v1/admin/jobs", json={"name": "kb.verify", "params": params}, headers=admin
    )

    assert response.status_code == 400 and len(response.content) < 3_000
    assert "and 980 more" in response.json()["message"]


async def test_a_prompt_note_is_stored_without_direction_overrides_or_terminal_codes(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """An RLO reversed the versions table; an ESC sequence recoloured a terminal that read the audit."""
    saved = await client.post(
        "/api/v1/admin/prompts",
        json={"text": _edited_prompt(), "note": "\u202eevil\x1b[31m rot"},
        headers=admin,
    )

    assert saved.status_code == 201 and saved.json()["data"]["note"] == "evil [31m rot"


def _edited_prompt() -> str:
    return packaged_prompt_text().replace('context_heading: "Kontext:"', 'context_heading: "Quellen:"')


async def test_a_pipeline_name_no_file_can_have_is_a_400_on_both_routes(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """``/admin/datasets/runs`` said 400 and ``/admin/jobs`` 404 for the same name."""
    name = "../../etc/passwd"
    direct = await client.post("/api/v1/admin/datasets/runs", json={"pipeline": name}, headers=admin)
    as_job = await client.post(
        "/api/v1/admin/jobs", json={"name": "datasets.run", "params": {"pipeline": name}}, headers=admin
    )

    assert (direct.status_code, as_job.status_code) == (400, 400)
    assert as_job.json()["data"]["details"]["errors"][0]["field"] == "pipeline"
