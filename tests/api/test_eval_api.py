"""The evaluation core through the admin API: start a run as a job, read it, compare two runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.services.knowledge.ingest import IngestRequest
from luna.workers.registry import load_jobs
from luna.workers.runner import execute
from tests.api.conftest import http_client

pytestmark = pytest.mark.anyio

JOBS, RUNS, COMPARE = "/api/v1/admin/jobs", "/api/v1/admin/eval/runs", "/api/v1/admin/eval/compare"
TARIFFS = """# Netzentgelte

Haushalte zahlen 2026 einen Arbeitspreis von 8,12 ct/kWh und einen Grundpreis von 60 Euro im Jahr.
"""
GOLDEN = """
- id: n1
  question: "Was kostet die Netznutzung pro Kilowattstunde?"
  file: netzentgelte.md
  needles: ["8,12 ct/kWh"]
- id: u1
  question: "Wer gewann 1954 die Fußball-Weltmeisterschaft?"
  answerable: false
"""


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return build_app(known_jobs=load_jobs())


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as client:
        yield client


@pytest.fixture
def golden(app: FastAPI, tmp_path: Path) -> Path:
    container: Container = app.state.container
    request = IngestRequest(data=TARIFFS.encode(), filename="netzentgelte.md", title="Netzentgelte")
    container.services.knowledge.ingest.ingest(request)
    path = tmp_path / "golden.yaml"
    path.write_text(GOLDEN, encoding="utf-8")
    return path


async def run_job(app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], **params: Any) -> str:
    submitted = await client.post(JOBS, json={"name": "eval.run", "params": params}, headers=admin)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["data"]["job_id"]
    execute(app.state.container, job_id)
    job = (await client.get(f"{JOBS}/{job_id}", headers=admin)).json()["data"]
    assert job["status"] == "succeeded", job
    run_id: str = job["result"]["run_id"]
    return run_id


async def test_a_run_started_as_a_job_is_kept_listed_and_read_with_its_outcomes(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], golden: Path
) -> None:
    run_id = await run_job(app, client, admin, sets=[str(golden)], split="all", name="API-Lauf")

    listed = (await client.get(RUNS, headers=admin)).json()["data"]["runs"]
    read = (await client.get(f"{RUNS}/{run_id}", headers=admin)).json()["data"]

    assert [run["run_id"] for run in listed] == [run_id] and listed[0]["outcomes"] is None
    assert read["name"] == "API-Lauf" and read["figures"]["hit_at_1"] == 1.0
    assert read["figures"]["refusal_rate"] == 1.0
    assert {o["question_id"] for o in read["outcomes"]} == {"n1", "u1"}


async def test_two_runs_are_compared_question_by_question(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], golden: Path
) -> None:
    first = await run_job(app, client, admin, sets=[str(golden)], split="all")
    second = await run_job(app, client, admin, sets=[str(golden)], split="all")

    compared = await client.get(COMPARE, params={"before": first, "after": second}, headers=admin)

    data = compared.json()["data"]
    assert compared.status_code == 200
    assert (data["before"], data["after"], data["better"], data["worse"]) == (first, second, [], [])
    unknown = await client.get(COMPARE, params={"before": first, "after": "nope"}, headers=admin)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"sets": []}, "sets"),
        ({"sets": ["/does/not/exist.yaml"]}, "cannot read"),
        ({"sets": "GOLDEN", "split": "all"}, "sets"),
        ({"split": "train"}, "split"),
        ({"name": "x" * 81}, "name"),
        ({"documents": "/does/not/exist"}, "documents"),
    ],
)
async def test_a_bad_run_is_refused_at_submission_and_nothing_is_queued(
    client: httpx.AsyncClient, admin: dict[str, str], golden: Path, params: dict[str, Any], problem: str
) -> None:
    body = {"name": "eval.run", "params": {"sets": [str(golden)], **params}}

    refused = await client.post(JOBS, json=body, headers=admin)

    assert refused.status_code == 400 and problem in refused.json()["message"]
    assert (await client.get(JOBS, headers=admin)).json()["data"]["total"] == 0


async def test_an_unknown_run_is_a_404_and_customers_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    unknown = await client.get(f"{RUNS}/20200101T000000000Z-none", headers=admin)
    customer = await client.get(RUNS, headers={"X-Dev-User": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"})

    assert unknown.status_code == 404 and "luna eval list" in unknown.json()["message"]
    assert customer.status_code in (401, 403)
