"""Luna's prompt versions through the admin API (seed 003 phase 6): list, read, save, diff, activate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.domain.prompt_versions import MAX_PROMPT_CHARS, packaged_prompt_text, prompt_sha256

pytestmark = pytest.mark.anyio

BASE = "/api/v1/admin/prompts"
PACKAGED = packaged_prompt_text()
EDITED = PACKAGED.replace('context_heading: "Kontext:"', 'context_heading: "Quellen:"')


async def data(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


async def test_without_a_saved_version_the_packaged_file_is_version_0_and_active(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    listed = await data(await client.get(BASE, headers=admin))
    packaged = await data(await client.get(f"{BASE}/0", headers=admin))

    assert listed["active"] == 0
    assert [(v["version"], v["active"], v["author"], v["created_at"]) for v in listed["versions"]] == [
        (0, True, "luna", None)
    ]
    assert packaged["text"] == PACKAGED and packaged["sha256"] == prompt_sha256(PACKAGED)


async def test_a_saved_version_is_active_readable_and_diffable_and_version_0_comes_back(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    saved = await data(await client.post(BASE, json={"text": EDITED, "note": "Quellen"}, headers=admin), 201)
    listed = await data(await client.get(BASE, headers=admin))
    read = await data(await client.get(f"{BASE}/1", headers=admin))
    diff = await data(await client.get(f"{BASE}/diff", params={"from": 0, "to": 1}, headers=admin))
    same = await data(await client.get(f"{BASE}/diff", params={"from": 1, "to": 1}, headers=admin))

    assert (saved["version"], saved["active"], saved["author"], saved["note"]) == (
        1,
        True,
        "admin",
        "Quellen",
    )
    assert [(v["version"], v["active"]) for v in listed["versions"]] == [(1, True), (0, False)]
    assert listed["active"] == 1 and read["text"] == EDITED
    assert diff["changed"] and '+  context_heading: "Quellen:"' in diff["diff"]
    assert diff["diff"].startswith("--- v0\n+++ v1\n")
    assert same == {"from_version": 1, "to_version": 1, "changed": False, "diff": ""}
    container: Container = app.state.container
    assert container.prompts.active()[1].context_heading == "Quellen:"

    back = await data(await client.post(f"{BASE}/0/activate", headers=admin))
    again = await client.post(f"{BASE}/0/activate", headers=admin)

    assert (back["version"], back["active"]) == (0, True)
    assert again.status_code == 409
    version, prompts = container.prompts.active()
    assert version == 0 and prompts.context_heading == "Kontext:"
    forward = await data(await client.post(f"{BASE}/1/activate", headers=admin))
    assert forward["active"] and (await data(await client.get(BASE, headers=admin)))["active"] == 1
    with container.database.unit_of_work(read_only=True) as uow:
        actions = [
            (e.action, e.actor, e.target) for e in uow.audit.list(limit=10) if e.action.startswith("prompt.")
        ]
    assert actions == [
        ("prompt.activate", "admin", "prompt:v1"),
        ("prompt.activate", "admin", "prompt:v0"),
        ("prompt.save", "admin", "prompt:v1"),
    ]


async def test_an_invalid_text_is_400_with_every_problem_and_nothing_is_kept(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    broken = PACKAGED.replace("  answer: >-", "  antwort: >-").replace("{sentence}", "{satz}", 1)

    response = await client.post(BASE, json={"text": broken}, headers=admin)
    malformed = await client.post(BASE, json={"text": "persona: [\n"}, headers=admin)

    assert response.status_code == 400, response.text
    body = response.json()["data"]
    assert body["code"] == "invalid_input"
    found = [(p["key"], p["kind"]) for p in body["details"]["problems"]]
    assert ("no_context.answer", "missing") in found
    assert ("extractive.summary", "unknown_placeholder") in found
    assert "(no_context.answer): the text is missing" in response.json()["message"]
    assert (
        malformed.status_code == 400 and malformed.json()["data"]["details"]["problems"][0]["kind"] == "yaml"
    )
    assert (await data(await client.get(BASE, headers=admin)))["active"] == 0
    assert len((await data(await client.get(BASE, headers=admin)))["versions"]) == 1


#: Nine levels of nine aliases: 9**9 strings from a few hundred bytes ("billion laughs").
LAUGHS = 'l0: &l0 "lol"\n' + "".join(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 10))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LAUGHS, "line 1: malformed YAML: found &l0: anchors (&name) and aliases (*name) are not allowed"),
        (PACKAGED + LAUGHS, "aliases (*name) are not allowed"),
        ("a: " + "[" * 5000 + "]" * 5000, "line 1: malformed YAML: nested deeper than 32 levels"),
        ("a: " + "{b: " * 5000 + "}" * 5000, "nested deeper than 32 levels"),
    ],
)
async def test_yaml_aliases_and_deep_nesting_are_a_400_naming_the_line_and_nothing_is_kept(
    client: httpx.AsyncClient, admin: dict[str, str], text: str, message: str
) -> None:
    response = await client.post(BASE, json={"text": text}, headers=admin)

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == "error" and body["data"]["code"] == "invalid_input"
    assert message in body["message"]
    assert [p["kind"] for p in body["data"]["details"]["problems"]] == ["yaml"]
    listed = await data(await client.get(BASE, headers=admin))
    assert (listed["active"], [v["version"] for v in listed["versions"]]) == (0, [0])
    saved = await data(await client.post(BASE, json={"text": EDITED}, headers=admin), 201)
    assert (saved["version"], saved["active"]) == (1, True)


async def test_the_same_text_twice_is_a_conflict(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    unchanged = await client.post(BASE, json={"text": PACKAGED}, headers=admin)

    assert unchanged.status_code == 409
    assert unchanged.json()["data"]["details"] == {"active": 0}


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "x" * (MAX_PROMPT_CHARS + 1)},
        {"text": EDITED, "note": "n" * 501},
        {"text": EDITED, "author": "someone else"},
        {"note": "ohne Text"},
    ],
)
async def test_a_body_out_of_bounds_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.post(BASE, json=body, headers=admin)

    assert response.status_code == 400, response.text
    assert len((await data(await client.get(BASE, headers=admin)))["versions"]) == 1


async def test_unknown_versions_are_404(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert (await client.get(f"{BASE}/7", headers=admin)).status_code == 404
    assert (await client.post(f"{BASE}/7/activate", headers=admin)).status_code == 404
    assert (await client.get(f"{BASE}/diff", params={"from": 0, "to": 7}, headers=admin)).status_code == 404
    assert (await client.get(f"{BASE}/-1", headers=admin)).status_code == 400


async def test_only_the_operator_may_read_or_change_prompts(client: httpx.AsyncClient) -> None:
    assert (await client.get(BASE)).status_code == 401
    assert (await client.get(BASE, headers={"X-Admin-Key": "wrong-key-0123456789"})).status_code in (401, 403)
    assert (await client.post(BASE, json={"text": EDITED})).status_code == 401
    assert (await client.post(f"{BASE}/0/activate")).status_code == 401
