"""Hostile job params through ``POST /api/v1/admin/jobs``: refused with 400 before anything is stored.

The probe queued ``kb.ingest_paths`` with ``/etc/passwd`` (its text then turned up in every customer's
search), walked ``/`` with ``{"paths": "/etc"}``, and ran ``kb.verify`` in repair mode with
``{"fix": "rm -rf"}``. The folder job now reads only inside ``ingest.import_dirs`` (default
``<data_dir>/import``), and every job's params are checked by type against its signature.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.domain.jobs import JobStatus
from luna.web.admin.pages_admin_jobs_parts import job_state
from luna.workers.knowledge import OUTSIDE_MESSAGE
from luna.workers.registry import load_jobs
from luna.workers.runner import JobContext, execute
from tests.api.conftest import http_client
from tests.unit.test_job_params import required

pytestmark = pytest.mark.anyio

JOBS = "/api/v1/admin/jobs"
INGEST = "kb.ingest_paths"
SECRET = "root:*:20228:0:99999:7:::"


@pytest.fixture
def app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return build_app(known_jobs=load_jobs())


@pytest.fixture
def imports(tmp_path: Path) -> Path:
    """``<data_dir>/import``, the default import folder, with one document in a sub-folder."""
    folder = tmp_path / "var" / "import"
    (folder / "merkblatt").mkdir(parents=True)
    (folder / "merkblatt" / "waermepumpe.md").write_text(
        "# Wärmepumpe\n\nEine Wärmepumpe nutzt Umweltwärme zum Heizen.\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside every import folder whose content must never reach the knowledge base."""
    path = tmp_path / "outside" / "shadow.md"
    path.parent.mkdir()
    path.write_text(f"# Geheim\n\n{SECRET}\n", encoding="utf-8")
    return path


async def post(client: httpx.AsyncClient, admin: dict[str, str], name: str, params: Any) -> httpx.Response:
    return await client.post(JOBS, headers=admin, json={"name": name, "params": params})


async def nothing_queued(client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI) -> bool:
    listed = (await client.get(JOBS, headers=admin)).json()["data"]
    container: Container = app.state.container
    return listed["total"] == 0 and container.job_queue.pending() == 0


def refused(response: httpx.Response, *fragments: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["data"]["code"] == "invalid_input"
    for fragment in fragments:
        assert fragment in body["message"], body["message"]
    assert SECRET not in response.text


@pytest.mark.parametrize(
    "paths",
    [
        ["/etc/passwd"],
        "/etc",
        ["/etc"],
        ["{imports}/../../outside/shadow.md"],
        ["{imports}/merkblatt/../../../outside"],
        ["{outside}"],
        [],
        ["{imports}/" + "x" * 5_000],
        ["{imports}/a\u0000b"],
        [""],
    ],
)
async def test_paths_outside_the_import_folders_are_400_and_nothing_is_queued(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    imports: Path,
    secret: Path,
    paths: str | list[str],
) -> None:
    def fill(path: str) -> str:
        return path.format(imports=imports, outside=secret.parent)

    given = fill(paths) if isinstance(paths, str) else [fill(path) for path in paths]

    response = await post(client, admin, INGEST, {"paths": given})

    refused(response)
    assert await nothing_queued(client, admin, app)


async def test_the_refusal_names_the_import_folders(
    client: httpx.AsyncClient, admin: dict[str, str], imports: Path
) -> None:
    response = await post(client, admin, INGEST, {"paths": ["/etc/passwd"]})

    refused(response, "outside the import folders (ingest.import_dirs", str(imports.resolve()))
    assert response.json()["data"]["details"]["import_dirs"] == [str(imports.resolve())]


async def test_a_symlink_in_the_import_folder_that_leads_out_is_refused(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], imports: Path, secret: Path
) -> None:
    (imports / "leak.md").symlink_to(secret)
    (imports / "outside").symlink_to(secret.parent, target_is_directory=True)

    to_file = await post(client, admin, INGEST, {"paths": [str(imports / "leak.md")]})
    to_folder = await post(client, admin, INGEST, {"paths": [str(imports / "outside")]})

    refused(to_file, "outside the import folders")
    refused(to_folder, "outside the import folders")
    assert await nothing_queued(client, admin, app)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"kind": "secret"}, "kind must be one of document, regulation, note"),
        ({"source": "shell"}, "source must be one of upload, crawler, api"),
        ({"tags": "netz"}, "tags must be a list of texts or null, not text"),
        ({"tags": ["x" * 65]}, "Tags may have at most 64 characters"),
        ({"colour": "red"}, "unknown params: colour"),
    ],
)
async def test_a_kind_source_or_tags_every_file_would_fail_on_are_400(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    imports: Path,
    params: dict[str, Any],
    fragment: str,
) -> None:
    response = await post(client, admin, INGEST, {"paths": [str(imports)], **params})

    refused(response, fragment)
    assert await nothing_queued(client, admin, app)


async def test_a_folder_inside_the_import_folder_is_queued(
    client: httpx.AsyncClient, admin: dict[str, str], imports: Path
) -> None:
    params = {"paths": [str(imports / "merkblatt")], "kind": "regulation", "tags": ["netz"]}

    response = await post(client, admin, INGEST, params)

    assert response.status_code == 202, response.text
    assert response.json()["data"]["params"] == {**params}


async def test_configured_import_folders_replace_the_default(
    build_app: Callable[..., FastAPI], admin: dict[str, str], tmp_path: Path, imports: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gesetz.md").write_text("# EnWG\n\nParagraf eins.\n", encoding="utf-8")
    app = build_app(known_jobs=load_jobs(), LUNA_INGEST__IMPORT_DIRS=json.dumps([str(corpus)]))

    async with http_client(app) as client:
        inside = await post(client, admin, INGEST, {"paths": [str(corpus / "gesetz.md")]})
        default_folder = await post(client, admin, INGEST, {"paths": [str(imports)]})

    assert inside.status_code == 202, inside.text
    refused(default_folder, "outside the import folders")


async def test_the_job_does_not_read_a_file_a_symlink_leads_out_to(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], imports: Path, secret: Path
) -> None:
    """Checked at submission and again when the job runs: a symlink made after the check is not read."""
    queued = await post(client, admin, INGEST, {"paths": [str(imports / "merkblatt")]})
    assert queued.status_code == 202, queued.text
    (imports / "merkblatt" / "leak.md").symlink_to(secret)
    container: Container = app.state.container

    execute(container, queued.json()["data"]["job_id"])

    job = container.services.jobs.get(queued.json()["data"]["job_id"])
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.result is not None
    outcomes = {Path(f["path"]).name: (f["outcome"], f["message"]) for f in job.result["files"]}
    assert outcomes["waermepumpe.md"][0] == "ingested"
    assert outcomes["shadow.md"] == ("failed", OUTSIDE_MESSAGE)
    items = (await client.get("/api/v1/admin/items", headers=admin)).json()["data"]
    assert items["total"] == 1


async def test_the_jobs_result_names_the_files_of_other_formats_as_skipped(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], imports: Path
) -> None:
    (imports / "merkblatt" / "erzeuge.py").write_text("print('kein Dokument')\n", encoding="utf-8")
    queued = await post(client, admin, INGEST, {"paths": [str(imports)]})
    assert queued.status_code == 202, queued.text
    container: Container = app.state.container

    execute(container, queued.json()["data"]["job_id"])

    job = (await client.get(f"{JOBS}/{queued.json()['data']['job_id']}", headers=admin)).json()["data"]
    assert job["status"] == "succeeded", job
    assert (job["result"]["ingested"], job["result"]["skipped"]) == (1, 1)
    outcomes = {Path(f["path"]).name: (f["outcome"], f["message"]) for f in job["result"]["files"]}
    assert outcomes["erzeuge.py"] == (
        "skipped",
        "Format .py wird nicht eingelesen (nur PDF, DOCX, HTML, Markdown, Text, CSV/TSV, JSON, Gesetzes-XML)",
    )


async def test_a_folder_job_whose_file_fails_says_so_in_its_message_and_state(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], imports: Path
) -> None:
    """It read "2 von 2 Dateien verarbeitet" under a green "Erfolgreich" while a PDF had failed."""
    (imports / "merkblatt" / "kaputt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    queued = await post(client, admin, INGEST, {"paths": [str(imports)]})
    container: Container = app.state.container

    execute(container, queued.json()["data"]["job_id"])

    job = container.services.jobs.get(queued.json()["data"]["job_id"])
    assert job.status is JobStatus.SUCCEEDED and job.result is not None
    assert (job.result["ingested"], job.result["failed"]) == (1, 1)
    assert job.message == "1 fehlgeschlagen, 1 eingelesen (kaputt.pdf)"
    assert job_state(job) == ("Mit Fehlern", "warning")


async def test_a_symlink_out_to_a_file_of_another_format_is_outside_not_skipped(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    imports: Path,
    secret: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It was reported as "skipped: Format .png …" under its outside path, beside the refusal every
    other file a symlink leads out to gets; the first progress line read "1 Dateien gefunden"."""
    (secret.parent / "zaehler.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (imports / "merkblatt" / "foto.png").symlink_to(secret.parent / "zaehler.png")
    messages: list[str | None] = []
    original = JobContext.progress

    def recorded(self: JobContext, fraction: float, message: str | None = None) -> None:
        messages.append(message)
        original(self, fraction, message)

    monkeypatch.setattr(JobContext, "progress", recorded)
    queued = await post(client, admin, INGEST, {"paths": [str(imports)]})
    assert queued.status_code == 202, queued.text
    container: Container = app.state.container

    execute(container, queued.json()["data"]["job_id"])

    job = container.services.jobs.get(queued.json()["data"]["job_id"])
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert job.result is not None
    assert (job.result["ingested"], job.result["failed"], job.result["skipped"]) == (1, 1, 0)
    outcomes = {Path(f["path"]).name: (f["outcome"], f["message"]) for f in job.result["files"]}
    assert outcomes["zaehler.png"] == ("failed", OUTSIDE_MESSAGE)
    assert "foto.png" not in outcomes
    assert messages[0] == "1 Datei gefunden, 0 übersprungen"


async def test_kb_verify_repairs_only_when_fix_is_true(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for wrong in ("rm -rf", "true", 1, None):
        refused(await post(client, admin, "kb.verify", {"fix": wrong}), "fix must be true or false")
    assert await nothing_queued(client, admin, app)

    accepted = await post(client, admin, "kb.verify", {"fix": True})

    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["data"]["params"] == {"fix": True}


async def test_a_reindex_job_with_a_bad_scope_is_refused(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    not_an_id = await post(client, admin, "kb.reindex", {"item_ids": ["../x"]})
    unknown_key = await post(client, admin, "kb.reindex", {"where": {"colour": "red"}})
    unknown_item = await post(
        client, admin, "kb.reindex", {"item_ids": ["5b0f6c1e-7a2d-4c3b-9e1f-0a1b2c3d4e5f"]}
    )

    refused(not_an_id, "item_ids: every entry is an item ID")
    refused(unknown_key, "unknown: ['colour']")
    assert unknown_item.status_code == 404, unknown_item.text
    assert await nothing_queued(client, admin, app)


async def test_every_registered_job_refuses_a_wrongly_typed_or_unknown_param(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """An object where each param expects something else (``where`` takes one: its keys are checked)."""
    for name, function in sorted(load_jobs().items()):
        for param in list(inspect.signature(function).parameters)[2:]:
            response = await post(client, admin, name, {**required(function), param: {"$gt": ""}})
            assert response.status_code == 400 and response.json()["data"]["code"] == "invalid_input", (
                f"{name}.{param}: {response.text}"
            )
        unknown = await post(client, admin, name, {**required(function), "colour": "red"})
        assert unknown.status_code == 400 and "unknown params: colour" in unknown.json()["message"], name

    assert await nothing_queued(client, admin, app)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("datasets.merge", {"run_id": "not-a-run"}),
        ("datasets.partition", {"run_id": "not-a-run", "part": -1, "source": 10**30}),
    ],
)
async def test_the_steps_of_a_partitioned_dataset_run_are_not_queued_by_hand(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], name: str, params: dict[str, Any]
) -> None:
    """A merge queued before every partition was read would store a version of half the data."""
    refused(await post(client, admin, name, params), "steps of a partitioned run", "datasets.run")
    assert await nothing_queued(client, admin, app)
