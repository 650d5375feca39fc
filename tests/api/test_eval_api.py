"""The evaluation core through the admin API: start a run as a job, read it, compare two runs.

The job reads its sets and documents folder on the worker's machine, so only inside the folders the
operator chose (``bench/`` of a source checkout, ``<data_dir>/eval``, ``ingest.import_dirs``) and the
files of ``flywheel.evaluation_sets``: it read any path, so an admin-key holder learnt whether
``/etc/anything`` existed and read the question ids of any YAML file.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from luna.container import Container
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.ingest import IngestRequest
from luna.workers import evaluation
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
def golden(app: FastAPI) -> Path:
    """A set in ``<data_dir>/eval/golden``, where the datasets write theirs."""
    container: Container = app.state.container
    request = IngestRequest(data=TARIFFS.encode(), filename="netzentgelte.md", title="Netzentgelte")
    container.services.knowledge.ingest.ingest(request)
    path = container.settings.data_dir / "eval" / "golden" / "golden.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(GOLDEN, encoding="utf-8")
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A golden set outside every folder the job may read, as any YAML file on the worker's machine."""
    path = tmp_path / "outside" / "secret.yaml"
    path.parent.mkdir()
    path.write_text(GOLDEN.replace("n1", "geheim-1"), encoding="utf-8")
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
        ({"sets": ["{eval}/missing.yaml"]}, "cannot read"),
        ({"sets": ["/does/not/exist.yaml"]}, "is outside the folders eval.run reads"),
        ({"sets": "GOLDEN", "split": "all"}, "sets"),
        ({"split": "train"}, "split"),
        ({"name": "x" * 81}, "name"),
        ({"documents": "/does/not/exist"}, "documents"),
    ],
)
async def test_a_bad_run_is_refused_at_submission_and_nothing_is_queued(
    client: httpx.AsyncClient, admin: dict[str, str], golden: Path, params: dict[str, Any], problem: str
) -> None:
    filled = {
        k: [x.format(eval=golden.parent) for x in v] if isinstance(v, list) else v for k, v in params.items()
    }
    body = {"name": "eval.run", "params": {"sets": [str(golden)], **filled}}

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


async def refusal(client: httpx.AsyncClient, admin: dict[str, str], **params: Any) -> str:
    """The message of a submission refused with 400, after checking that nothing was queued."""
    refused = await client.post(JOBS, json={"name": "eval.run", "params": params}, headers=admin)
    assert refused.status_code == 400, refused.text
    assert (await client.get(JOBS, headers=admin)).json()["data"]["total"] == 0
    message: str = refused.json()["message"]
    assert "geheim" not in refused.text
    return message


async def test_a_path_outside_the_folders_is_refused_alike_whether_it_exists_or_not(
    client: httpx.AsyncClient, admin: dict[str, str], golden: Path, outside: Path
) -> None:
    there = await refusal(client, admin, sets=[str(outside)])
    missing = await refusal(client, admin, sets=[str(outside.with_name("nothing.yaml"))])
    folder = await refusal(client, admin, sets=[str(golden)], documents=str(outside.parent))
    no_folder = await refusal(client, admin, sets=[str(golden)], documents=str(outside.parent / "none"))

    assert "is outside the folders eval.run reads" in there
    assert there.replace("secret.yaml", "nothing.yaml") == missing
    assert folder.replace("outside'", "outside/none'") == no_folder
    for escape in (f"{golden.parent}/../../../outside/secret.yaml", "/etc/passwd", "/etc/hostname"):
        assert "is outside the folders" in await refusal(client, admin, sets=[escape])


async def test_a_symlink_in_the_folders_that_leads_out_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], golden: Path, outside: Path
) -> None:
    (golden.parent / "link.yaml").symlink_to(outside)
    (golden.parent / "linked").symlink_to(outside.parent, target_is_directory=True)

    to_file = await refusal(client, admin, sets=[str(golden.parent / "link.yaml")])
    to_folder = await refusal(client, admin, sets=[str(golden)], documents=str(golden.parent / "linked"))

    assert "sets: " in to_file and "is outside the folders" in to_file
    assert "documents: " in to_folder and "is outside the folders" in to_folder


async def test_the_teams_sets_the_import_folders_and_the_flywheels_sets_are_read(
    build_app: Callable[..., FastAPI], admin: dict[str, str], tmp_path: Path, outside: Path
) -> None:
    team = Path(__file__).resolve().parents[2] / "bench" / "questions_de.yaml"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "golden.yaml").write_text(GOLDEN, encoding="utf-8")
    app = build_app(
        known_jobs=load_jobs(),
        LUNA_INGEST__IMPORT_DIRS=json.dumps([str(corpus)]),
        LUNA_FLYWHEEL__EVALUATION_SETS=json.dumps([str(outside)]),
    )

    (outside.parent / "beside.yaml").write_text(GOLDEN, encoding="utf-8")

    async with http_client(app) as client:
        beside = await refusal(client, admin, sets=[str(outside.parent / "beside.yaml")])
        for params in (
            {"sets": [str(team)]},
            {"sets": [str(corpus / "golden.yaml")], "documents": str(corpus)},
            {"sets": [str(outside)]},
        ):
            queued = await client.post(JOBS, json={"name": "eval.run", "params": params}, headers=admin)
            assert queued.status_code == 202, queued.text

    assert "is outside the folders" in beside  # a set named in the settings allows that file alone


async def test_the_teams_folder_is_bench_of_a_source_checkout_and_never_of_the_working_directory(
    build_app: Callable[..., FastAPI], admin: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed (pip, the Docker image), the job fell back to ``bench`` of the working directory: a
    ``bench`` symlink to ``/`` there made the whole disk readable to it."""
    installed = tmp_path / "site-packages" / "luna" / "workers" / "evaluation.py"
    checkout = tmp_path / "repo" / "src" / "luna" / "workers" / "evaluation.py"
    for module in (installed, checkout):
        module.parent.mkdir(parents=True)
        module.touch()
    (tmp_path / "repo" / "bench").mkdir()
    (tmp_path / "bench").symlink_to("/")  # the working directory's, and beside site-packages
    (tmp_path / "pyproject.toml").touch()
    monkeypatch.chdir(tmp_path)

    monkeypatch.setattr(evaluation, "SOURCE_FILE", installed)
    assert evaluation.team_sets() is None
    async with http_client(build_app(known_jobs=load_jobs())) as client:
        for secret in ("/etc/passwd", str(tmp_path / "bench" / "etc" / "passwd")):
            assert "is outside the folders eval.run reads" in await refusal(client, admin, sets=[secret])

    monkeypatch.setattr(evaluation, "SOURCE_FILE", checkout)
    assert evaluation.team_sets() is None  # no pyproject.toml beside src/: not a checkout
    (tmp_path / "repo" / "pyproject.toml").touch()
    assert evaluation.team_sets() == tmp_path / "repo" / "bench"


async def test_a_set_named_in_the_settings_opens_that_file_and_nothing_below_it(
    build_app: Callable[..., FastAPI], admin: dict[str, str], tmp_path: Path, outside: Path
) -> None:
    """``flywheel.evaluation_sets`` were folder prefixes: an entry that is a folder opened all below it."""
    folder = tmp_path / "sets.yaml"
    (folder / "inner").mkdir(parents=True)
    (folder / "inner" / "secret.yaml").write_text(GOLDEN, encoding="utf-8")
    app = build_app(known_jobs=load_jobs(), LUNA_FLYWHEEL__EVALUATION_SETS=json.dumps([str(folder)]))

    async with http_client(app) as client:
        below = await refusal(client, admin, sets=[str(folder / "inner" / "secret.yaml")])

    assert "is outside the folders eval.run reads" in below


async def test_the_job_judges_its_paths_again_when_it_runs(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], golden: Path, outside: Path
) -> None:
    """Queued while the set lay inside; replaced by a symlink that leads out before the worker ran."""
    params = {"sets": [str(golden)], "split": "all"}
    submitted = await client.post(JOBS, json={"name": "eval.run", "params": params}, headers=admin)
    assert submitted.status_code == 202, submitted.text
    golden.unlink()
    golden.symlink_to(outside)
    job_id = submitted.json()["data"]["job_id"]

    execute(app.state.container, job_id)

    job = (await client.get(f"{JOBS}/{job_id}", headers=admin)).json()["data"]
    assert job["status"] == "failed" and "is outside the folders eval.run reads" in job["error"]
    assert "geheim" not in job["error"]


async def test_a_document_a_symlink_leads_out_to_is_not_read_by_the_job(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], tmp_path: Path
) -> None:
    """The documents folder lies inside, but its ``leak.md`` leads out: the job does not hash that file,
    so the set's document is looked for by title only, and no item has that title."""
    container: Container = app.state.container
    container.services.knowledge.ingest.ingest(
        IngestRequest(data=TARIFFS.encode(), filename="tarife.md", title="Tarifblatt")
    )
    leaked = tmp_path / "outside" / "tarife.md"
    leaked.parent.mkdir()
    leaked.write_text(TARIFFS, encoding="utf-8")
    folder = container.settings.data_dir / "eval"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "leak.md").symlink_to(leaked)
    (folder / "leak.yaml").write_text(GOLDEN.replace("netzentgelte.md", "leak.md"), encoding="utf-8")
    params = {"sets": [str(folder / "leak.yaml")], "split": "all", "documents": str(folder / "docs")}

    submitted = await client.post(JOBS, json={"name": "eval.run", "params": params}, headers=admin)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["data"]["job_id"]
    execute(container, job_id)

    job = (await client.get(f"{JOBS}/{job_id}", headers=admin)).json()["data"]
    assert job["status"] == "failed" and "'leak.md' is no file inside the documents folder" in job["error"]
    found = container.services.evaluation.resolve_documents(
        read_golden_sets([folder / "leak.yaml"]), folder / "docs"
    )
    assert list(found) == ["leak.md"]  # ``luna eval run`` reads the operator's files as they lie


async def test_a_run_without_documents_says_the_title_did_not_match_and_how_to_name_the_folder(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """The document is in the knowledge base, titled from its heading, not its file name: the job said
    it was not ingested. It now says why it was not found, and the folder it names finds it."""
    container: Container = app.state.container
    container.services.knowledge.ingest.ingest(
        IngestRequest(data=TARIFFS.encode(), filename="netzentgelte.md", title="Netzentgelte 2026")
    )
    folder = container.settings.data_dir / "eval"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "netzentgelte.md").write_text(TARIFFS, encoding="utf-8")
    (folder / "golden.yaml").write_text(GOLDEN, encoding="utf-8")
    params = {"sets": [str(folder / "golden.yaml")], "split": "all"}

    submitted = await client.post(JOBS, json={"name": "eval.run", "params": params}, headers=admin)
    assert submitted.status_code == 202, submitted.text
    execute(container, submitted.json()["data"]["job_id"])
    job = (await client.get(f"{JOBS}/{submitted.json()['data']['job_id']}", headers=admin)).json()["data"]

    assert job["status"] == "failed"
    assert "No item has the title 'netzentgelte'" in job["error"]
    assert (
        "looked up by that title only" in job["error"] and "`documents` of the job eval.run" in job["error"]
    )
    assert await run_job(app, client, admin, **params, documents=str(folder / "docs"))


def test_the_documented_request_names_a_set_where_the_job_reads_in_the_docker_image() -> None:
    """docs/evaluation.md's example asked for ``/srv/golden/ours.yaml``, which the job refuses unless an
    operator made ``/srv/golden`` an import folder; ``<data_dir>/eval`` is read wherever Luna runs."""
    root = Path(__file__).resolve().parents[2]
    docs = (root / "docs" / "evaluation.md").read_text(encoding="utf-8")
    data_dir = re.search(r"LUNA_DATA_DIR=(\S+)", (root / "deploy" / "Dockerfile").read_text(encoding="utf-8"))
    sets = [path for found in re.findall(r'"sets":\[([^\]]*)\]', docs) for path in json.loads(f"[{found}]")]

    assert data_dir is not None and sets
    assert all(Path(path).is_relative_to(Path(data_dir.group(1)) / "eval") for path in sets), sets
