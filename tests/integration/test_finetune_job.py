"""The job ``finetune.run`` through the real job machinery (issue #17): queued, run by the in-process
worker, reporting progress; its params checked before anything is queued; cancelled while it trains,
with the way to resume in its result. And the flywheel ticket ``finetune_run``: never started on its
own, started by a person's approval, closed with the version and the gates once its job succeeded.

The base model is a two-layer Llama with SmolLM2's tokenizer and random weights (as in
``test_finetune_run.py``), so a run takes seconds; the configured template (``finetune.config_file``)
points at it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from luna.container import Container, build_container
from luna.domain.errors import InvalidInput, NotFound
from luna.domain.flywheel.actions import ActionKind, ActionStatus
from luna.domain.flywheel.alerts import AlertChange
from luna.domain.flywheel.kpi_values import ALL, Kpi, Window
from luna.domain.flywheel.thresholds import Comparator, Severity, Threshold
from luna.domain.jobs import Job, JobStatus
from luna.settings import Settings
from luna.workers.registry import PARAM_CHECKS, load_jobs
from luna.workers.runner import start_in_process, stop_in_process
from tests.integration.finetune_support import (
    DATASET,
    build_tiny_base,
    put_sft_splits,
    small_sft_splits,
    write_template,
)
from tests.integration.support import wait_for_job

pytestmark = pytest.mark.slow

JOB = "finetune.run"
#: A run of the tiny model takes seconds; a loaded two-core machine may need far longer.
RUN_SEC = 240.0
NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)
USEFULNESS = Threshold(
    name="usefulness_low",
    kpi=Kpi.USEFULNESS_RATE,
    comparator=Comparator.LT,
    warning=0.6,
    window=Window.DAY,
    description="Zu wenige Antworten werden als hilfreich bewertet.",
    actions=("finetune_run",),
    auto=True,  # even so: a fine-tuning run changes the model and waits for a person
)


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-layer Llama with random weights and SmolLM2's tokenizer: trains in seconds on the CPU."""
    return build_tiny_base(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture
def template(tmp_path: Path, tiny_base: Path) -> Path:
    """The configured template (``LUNA_FINETUNE__CONFIG_FILE``); a test may rewrite it."""
    return write_template(tmp_path / "lora.yaml", tiny_base)


@pytest.fixture
def container(make_settings: Callable[..., Settings], template: Path) -> Iterator[Container]:
    built = build_container(
        make_settings(LUNA_FINETUNE__TRACKING="false", LUNA_FINETUNE__CONFIG_FILE=str(template)), load_jobs
    )
    built.database.upgrade()
    put_sft_splits(built.blobs, DATASET, small_sft_splits())
    yield built
    stop_in_process(built)
    built.close()


def submit(container: Container, params: dict[str, Any]) -> Job:
    """Queue the job as the admin API does: its param check runs first."""
    load_jobs()  # registers the job's check (the container's fixture does so too, not every test's)
    check = PARAM_CHECKS[JOB]
    return container.services.jobs.submit(JOB, params, "admin", lambda checked: check(container, **checked))


def follow(container: Container, job_id: str) -> tuple[Job, list[str]]:
    """Poll the job until it has finished; its end state and every message it showed on the way."""
    deadline, messages = time.monotonic() + RUN_SEC, list[str]()
    while True:
        job = container.services.jobs.get(job_id)
        if job.message and (not messages or messages[-1] != job.message):
            messages.append(job.message)
        if job.status.is_finished:
            return job, messages
        assert time.monotonic() < deadline, f"job {job_id} did not finish within {RUN_SEC:g} s: {job}"
        time.sleep(0.02)


def test_the_job_reports_its_progress_and_its_result_names_the_version_and_the_gates(
    container: Container,
) -> None:
    start_in_process(container)
    job = submit(container, {})

    done, messages = follow(container, job.job_id)

    assert done.status is JobStatus.SUCCEEDED, done.error
    assert messages[0] == "Daten vorbereiten"
    assert any(m.startswith("Schritt ") for m in messages), messages
    # Progress is written at most every 0.5 s, so a short phase (the evaluation) may not show.
    assert messages[-1] == "fertig", messages
    result = done.result
    assert result is not None
    assert (result["name"], result["version"], result["dataset"]) == ("tiny", 1, f"{DATASET}@v1")
    assert result["gates"]["passed"] is True and result["promoted"] is True
    gates = {check["gate"] for check in result["gates"]["checks"]}
    assert {"win_rate_vs_base", "win_rate_vs_champion", "citation_validity", "canary_leaks"} <= gates
    champion = container.finetune.registry.champion("tiny")
    assert champion is not None and champion.version == 1 and champion.run_id == result["run_id"]
    with container.database.unit_of_work(read_only=True) as uow:
        promotions = [e for e in uow.audit.list(limit=20) if e.action == "finetune.promote"]
    assert [e.actor for e in promotions] == [f"job:{job.job_id}"]  # who promoted it is on record


def test_bad_params_are_refused_before_anything_is_queued(container: Container, tmp_path: Path) -> None:
    # A job names templates only where the operator keeps them (or the packaged ones).
    templates = container.settings.data_dir / "finetune" / "templates"
    templates.mkdir(parents=True)
    with pytest.raises(InvalidInput, match="resume must be a run ID"):
        submit(container, {"resume": "../../etc"})
    with pytest.raises(NotFound, match="fine-tuning template not found"):
        submit(container, {"config": str(templates / "missing.yaml")})
    with pytest.raises(InvalidInput, match="config must name a fine-tuning template"):
        submit(container, {"config": str(tmp_path / "missing.yaml")})
    bad = templates / "bad.yaml"
    bad.write_text("name: tiny\ndataset: {name: x}\ntraining:\n  learning_rate: -1\n", "utf-8")
    with pytest.raises(InvalidInput, match=r"line 4 \(training.learning_rate\)"):
        submit(container, {"config": str(bad)})

    assert container.services.jobs.list() == ([], 0)
    assert container.job_queue.pending() == 0


def test_a_cancelled_job_stops_after_a_checkpoint_and_says_how_to_resume(
    container: Container, template: Path, tiny_base: Path
) -> None:
    # far longer than the test waits
    write_template(template, tiny_base, training={"max_steps": 2_000, "save_every_steps": 1_000})
    start_in_process(container)
    job = submit(container, {})
    wait_for_job(
        container.services.jobs,
        job.job_id,
        lambda j: (j.message or "").startswith("Schritt ") or j.status.is_finished,
        within=RUN_SEC,
    )

    container.services.jobs.cancel(job.job_id)
    done, _ = follow(container, job.job_id)

    assert done.status is JobStatus.CANCELLED, done.error
    match = re.search(
        r"nach Schritt (\d+) gestoppt: abgebrochen; fortsetzen: luna finetune run --resume (\S+)$",
        done.message or "",
    )
    assert match is not None, done.message
    steps, run_id = int(match[1]), match[2]
    assert 0 < steps < 2_000
    checkpoints = container.settings.data_dir / "finetune" / "runs" / run_id / "checkpoints"
    assert (checkpoints / f"checkpoint-{steps}").is_dir()  # the resume starts from here
    assert container.finetune.registry.list("tiny") == []  # a stopped run registers nothing
    PARAM_CHECKS[JOB](container, resume=run_id)  # the job takes the run ID to resume


def fired(threshold: Threshold) -> AlertChange:
    return AlertChange(
        threshold.name, ALL, None, Severity.WARNING, 0.5, 40, NOW, threshold.description, threshold.kpi
    )


def test_a_finetune_ticket_waits_for_approval_then_runs_the_job_and_closes_with_the_version(
    container: Container,
) -> None:
    actions, jobs = container.services.actions, container.services.jobs
    (ticket,) = actions.create_for([fired(USEFULNESS)], [USEFULNESS])

    assert ticket.kind is ActionKind.FINETUNE_RUN and ticket.status is ActionStatus.OPEN
    assert ticket.job_id is None and ticket.details["job"] == JOB
    assert jobs.list(None, JOB, 10, 0)[1] == 0  # nothing trains before a person says so

    approved = actions.approve(ticket.action_id, "admin", "Datensatz geprüft")
    assert approved.action.status is ActionStatus.RUNNING and approved.action.job_id is not None
    queued = jobs.get(approved.action.job_id)
    assert (queued.name, queued.status, queued.created_by) == (JOB, JobStatus.QUEUED, "flywheel:admin")

    start_in_process(container)
    finished, _ = follow(container, queued.job_id)
    assert finished.status is JobStatus.SUCCEEDED, finished.error

    closed = actions.get(ticket.action_id)  # reading refreshes the running ticket from its job
    assert closed.action.status is ActionStatus.DONE
    assert closed.history[-1].note == (
        f"Job {JOB} erfolgreich beendet. tiny@v1: Gates bestanden, ist jetzt Champion."
    )


def test_a_finetune_ticket_approved_before_its_dataset_exists_fails_at_once_and_runs_once_approved_again(
    container: Container,
) -> None:
    """The approval queued a run that could only fail in the worker (the API and CLI refuse it before
    queueing): the ticket now fails at once with the reason, and may be approved again once the
    dataset is built."""
    actions, jobs = container.services.actions, container.services.jobs
    for key in container.blobs.list(f"datasets/{DATASET}/"):
        container.blobs.delete(key)
    (ticket,) = actions.create_for([fired(USEFULNESS)], [USEFULNESS])

    refused = actions.approve(ticket.action_id, "admin", "los")

    assert refused.action.status is ActionStatus.FAILED and refused.action.job_id is None
    assert refused.history[-1].note is not None
    assert f"Dataset {DATASET} has no version with fine-tuning files" in refused.history[-1].note
    assert jobs.list(None, JOB, 10, 0)[1] == 0
    put_sft_splits(container.blobs, DATASET, small_sft_splits())
    again = actions.approve(ticket.action_id, "admin", "Datensatz gebaut")
    assert again.action.status is ActionStatus.RUNNING and again.action.job_id is not None
    assert jobs.get(again.action.job_id).status is JobStatus.QUEUED
