"""Hostile ``config`` and ``resume`` values for a fine-tuning run: 400 (or 404), nothing queued, no file
content in the answer.

The probe read ``/etc/shadow`` through ``{"config": "../../../../etc/shadow"}`` (the template's error
message quoted its lines as unknown keys), listed a secret file's key names the same way, and got a 500
for a name too long for the file system; ``{"resume": ".."}`` was queued to fail later. A job's
``config`` now names only a packaged template or one in ``<data_dir>/finetune/templates/``, and
``resume`` only a plain run ID whose run folder exists.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.settings.loader import default_config_dir
from luna.workers.registry import load_jobs
from tests.api.conftest import http_client, with_sft_version

pytestmark = pytest.mark.anyio

RUNS, JOBS = "/api/v1/admin/finetune/runs", "/api/v1/admin/jobs"
SECRET_KEYS = ("admin_api_key", "jwt_secret")
SHADOW = "root:*:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n"
PACKAGED = default_config_dir() / "finetune" / "lora.yaml"


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return with_sft_version(build_app(known_jobs=load_jobs()))


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """``<data_dir>/finetune/templates`` with the operator's own template ``mine.yaml``."""
    folder = tmp_path / "var" / "finetune" / "templates"
    folder.mkdir(parents=True)
    shutil.copy(PACKAGED, folder / "mine.yaml")
    return folder


@pytest.fixture
def secrets(tmp_path: Path) -> dict[str, Path]:
    """Files a run must never read: a secrets file and a shadow file, both outside the template folders."""
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "secrets.json").write_text('{"admin_api_key": "k", "jwt_secret": "s"}', encoding="utf-8")
    (folder / "shadow").write_text(SHADOW, encoding="utf-8")
    return {"secrets": folder / "secrets.json", "shadow": folder / "shadow"}


async def queued(client: httpx.AsyncClient, admin: dict[str, str]) -> int:
    total: int = (await client.get(JOBS, headers=admin)).json()["data"]["total"]
    return total


def leaks_nothing(response: httpx.Response) -> None:
    assert "root:" not in response.text and "daemon" not in response.text
    assert not any(key in response.text for key in SECRET_KEYS)


async def test_a_config_outside_the_template_folders_is_400_without_the_files_content(
    client: httpx.AsyncClient, admin: dict[str, str], secrets: dict[str, Path], templates: Path
) -> None:
    relative_shadow = "../../../../../../../../../../.." + str(secrets["shadow"])
    for config in (
        "../../../../etc/shadow",
        relative_shadow,
        str(secrets["shadow"]),
        str(secrets["secrets"]),
        str(templates / ".." / ".." / ".." / "x" / "secrets.json"),
        "/etc/passwd",
        "x" * 1_000,
        str(templates / ("y" * 300 + ".yaml")),
        "a\u0000b",
        "..",
        str(templates / "mine.txt"),
    ):
        response = await client.post(RUNS, json={"config": config}, headers=admin)

        assert response.status_code == 400, (config[:80], response.text)
        assert response.json()["data"]["code"] == "invalid_input"
        leaks_nothing(response)

    assert await queued(client, admin) == 0


async def test_a_template_symlinked_to_a_file_outside_is_400(
    client: httpx.AsyncClient, admin: dict[str, str], secrets: dict[str, Path], templates: Path
) -> None:
    (templates / "leak.yaml").symlink_to(secrets["secrets"])

    by_name = await client.post(RUNS, json={"config": "leak"}, headers=admin)
    by_path = await client.post(RUNS, json={"config": str(templates / "leak.yaml")}, headers=admin)

    for response in (by_name, by_path):
        assert response.status_code == 400, response.text
        assert "config must name a fine-tuning template" in response.json()["message"]
        leaks_nothing(response)
    assert await queued(client, admin) == 0


async def test_the_same_rules_hold_through_the_generic_jobs_route(
    client: httpx.AsyncClient, admin: dict[str, str], secrets: dict[str, Path]
) -> None:
    for params in (
        {"config": str(secrets["shadow"])},
        {"config": "x" * 5_000},
        {"config": ["lora"]},
        {"resume": ".."},
        {"resume": 7},
    ):
        response = await client.post(JOBS, json={"name": "finetune.run", "params": params}, headers=admin)

        assert response.status_code == 400, (params, response.text)
        leaks_nothing(response)
    assert await queued(client, admin) == 0


@pytest.mark.parametrize(
    "resume",
    ["..", "../etc", "..\\..\\x", "a\u0000b", "a/b", "Job-ABC", "-x", " run", "run\n"],
)
async def test_a_resume_that_is_no_run_id_is_400(
    client: httpx.AsyncClient, admin: dict[str, str], resume: str
) -> None:
    response = await client.post(RUNS, json={"resume": resume}, headers=admin)

    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert "resume must be a run ID" in message or "NUL" in message  # NUL: refused for any text
    assert await queued(client, admin) == 0


async def test_a_run_id_without_a_run_folder_is_404_and_with_one_is_queued(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    run_id = "luna-answers-20261102-080000-ab12"
    missing = await client.post(RUNS, json={"resume": run_id}, headers=admin)
    container: Container = app.state.container
    run_dir = container.settings.data_dir / "finetune" / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "config.json").write_text("{}", encoding="utf-8")

    found = await client.post(RUNS, json={"resume": run_id}, headers=admin)

    assert missing.status_code == 404, missing.text
    assert found.status_code == 202, found.text
    assert found.json()["data"]["params"] == {"config": None, "resume": run_id}


async def test_config_and_resume_together_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(RUNS, json={"config": "lora", "resume": "job-1"}, headers=admin)

    assert response.status_code == 400, response.text
    assert "not both" in response.json()["message"]


@pytest.mark.parametrize(
    "config",
    [
        "lora",
        "lora.yaml",
        str(PACKAGED),
        "mine",
        "mine.yaml",
        "{templates}/mine.yaml",
        "{templates}/../templates/mine.yaml",
    ],
)
async def test_packaged_and_own_templates_are_queued_by_name_or_path(
    client: httpx.AsyncClient, admin: dict[str, str], templates: Path, config: str
) -> None:
    given = config.format(templates=templates)

    response = await client.post(RUNS, json={"config": given}, headers=admin)

    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()["data"]
    assert job["params"] == {"config": given, "resume": None}


async def test_the_configured_template_may_be_named_wherever_it_lies(
    build_app: Callable[..., FastAPI], admin: dict[str, str], tmp_path: Path
) -> None:
    configured = tmp_path / "elsewhere" / "prod.yaml"
    configured.parent.mkdir()
    shutil.copy(PACKAGED, configured)
    shutil.copy(PACKAGED, configured.parent / "sibling.yaml")
    app = with_sft_version(build_app(known_jobs=load_jobs(), LUNA_FINETUNE__CONFIG_FILE=str(configured)))

    async with http_client(app) as client:
        itself = await client.post(RUNS, json={"config": str(configured)}, headers=admin)
        sibling = await client.post(
            RUNS, json={"config": str(configured.parent / "sibling.yaml")}, headers=admin
        )

    assert itself.status_code == 202, itself.text
    assert sibling.status_code == 400, sibling.text
