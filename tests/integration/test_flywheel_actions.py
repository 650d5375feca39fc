"""Action tickets on a real container: alerts open them, safe ones start their job at once, operators
approve and reject, and a ticket follows its job to the end. New tickets reach the alert receiver."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from luna.container import Container, build_container
from luna.domain.errors import InvalidInput, NotFound
from luna.domain.flywheel.actions import SYSTEM_ACTOR, ActionKind, ActionStatus
from luna.domain.flywheel.alerts import AlertChange
from luna.domain.flywheel.gaps import KnowledgeGap
from luna.domain.flywheel.kpi_values import ALL, Kpi, Window
from luna.domain.flywheel.thresholds import Comparator, Severity, Threshold
from luna.domain.jobs import JobStatus
from luna.services.flywheel.actions import BY_HAND, EVAL_BY_HAND, ActionService
from luna.settings import Settings
from luna.workers.registry import load_jobs
from luna.workers.runner import execute
from tests.integration.support import free_port
from tests.integration.webhook_receiver import Receiver, receiving

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)
CITATIONS = Threshold(
    name="citations_invalid",
    kpi=Kpi.CITATION_VALIDITY,
    comparator=Comparator.LT,
    warning=0.95,
    critical=0.9,
    window=Window.DAY,
    description="Antworten zitieren Quellenabschnitte, die es nicht mehr gibt.",
    actions=("reindex",),
    auto=True,
)
USEFULNESS = Threshold(
    name="usefulness_low",
    kpi=Kpi.USEFULNESS_RATE,
    comparator=Comparator.LT,
    warning=0.6,
    window=Window.DAY,
    description="Zu wenige Antworten werden als hilfreich bewertet.",
    actions=("knowledge_gap", "reindex", "evaluation_run", "finetune_run"),
)
THRESHOLDS = (CITATIONS, USEFULNESS)
GAP = KnowledgeGap(
    "balkonkraftwerk anmeldung",
    12,
    ("Wie melde ich ein Balkonkraftwerk an?",),
    ("Netzanschluss",),
    0.1,
    "Eine Anleitung zur Anmeldung von Balkonkraftwerken ergänzen.",
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from receiving("/hooks/luna")


@pytest.fixture
def build(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., Container]]:
    containers: list[Container] = []

    def make(**env: str) -> Container:
        container = build_container(make_settings(**env), load_jobs)
        container.database.upgrade()
        containers.append(container)
        return container

    yield make
    for container in containers:
        container.close()


@pytest.fixture
def container(build: Callable[..., Container], receiver: Receiver) -> Container:
    return build(LUNA_FLYWHEEL__ALERT_WEBHOOK_URL=receiver.url)


def actions_of(container: Container, evaluation_sets: tuple[str, ...] = ()) -> ActionService:
    return ActionService(
        container.database, container.services.jobs, container.alert_notifier, evaluation_sets=evaluation_sets
    )


def fired(
    threshold: Threshold, before: Severity | None = None, after: Severity = Severity.WARNING
) -> AlertChange:
    return AlertChange(threshold.name, ALL, before, after, 0.5, 40, NOW, threshold.description, threshold.kpi)


def test_a_safe_auto_ticket_queues_its_job_at_once_and_is_announced(
    container: Container, receiver: Receiver
) -> None:
    service = actions_of(container)
    (ticket,) = service.create_for([fired(CITATIONS)], THRESHOLDS)
    assert ticket.kind is ActionKind.REINDEX and ticket.status is ActionStatus.RUNNING
    assert ticket.job_id is not None
    job = container.services.jobs.get(ticket.job_id)
    assert (job.name, job.params, job.status, job.created_by) == (
        "kb.reindex",
        {},
        JobStatus.QUEUED,
        "flywheel:luna",
    )
    history = service.get(ticket.action_id).history
    assert [(e.actor, e.from_status, e.to_status) for e in history] == [
        (SYSTEM_ACTOR, None, ActionStatus.APPROVED),
        (SYSTEM_ACTOR, ActionStatus.APPROVED, ActionStatus.RUNNING),
    ]
    assert "auto: true" in (history[0].note or "") and ticket.job_id in (history[1].note or "")
    (body,) = receiver.bodies
    assert body["type"] == "flywheel_action"
    assert {k: body["action"][k] for k in ("action_id", "kind", "status", "owner", "job_id")} == {
        "action_id": ticket.action_id,
        "kind": "reindex",
        "status": "running",
        "owner": "wissen",
        "job_id": ticket.job_id,
    }
    assert body["action"]["details"]["alert"]["threshold"] == "citations_invalid"


def test_the_same_alert_again_opens_no_second_ticket_while_one_is_active(container: Container) -> None:
    service = actions_of(container)
    first = service.create_for([fired(USEFULNESS)], THRESHOLDS)
    assert service.create_for([fired(USEFULNESS, Severity.WARNING, Severity.CRITICAL)], THRESHOLDS) == []
    assert service.create_for([], THRESHOLDS) == []
    assert {a.action_id for a in service.list()} == {a.action_id for a in first}
    assert {a.status for a in first} == {ActionStatus.OPEN}


def test_approving_a_reindex_queues_the_job_and_the_ticket_follows_it_to_done(container: Container) -> None:
    service = actions_of(container)
    reindex = next(
        a for a in service.create_for([fired(USEFULNESS)], THRESHOLDS) if a.kind is ActionKind.REINDEX
    )
    record = service.approve(reindex.action_id, "admin", "Index ist alt")
    assert record.action.status is ActionStatus.RUNNING and record.action.job_id is not None
    assert [(e.actor, e.to_status, e.note) for e in record.history[1:]] == [
        ("admin", ActionStatus.APPROVED, "Index ist alt"),
        (SYSTEM_ACTOR, ActionStatus.RUNNING, f"Job kb.reindex eingereiht ({record.action.job_id})."),
    ]
    job = container.services.jobs.get(record.action.job_id)
    assert (job.name, job.status, job.created_by) == ("kb.reindex", JobStatus.QUEUED, "flywheel:admin")
    assert service.refresh() == 0
    container.services.jobs.succeed(record.action.job_id, {"points": 0})
    assert service.refresh() == 1
    done = service.get(reindex.action_id)
    assert done.action.status is ActionStatus.DONE
    assert done.history[-1].note == "Job kb.reindex erfolgreich beendet."
    assert [a.action_id for a in service.list("done")] == [reindex.action_id]


def test_a_ticket_follows_a_reindex_that_is_already_running(container: Container) -> None:
    service = actions_of(container)
    busy = container.services.jobs.submit("kb.reindex", {}, "admin")
    (ticket,) = service.create_for([fired(CITATIONS)], THRESHOLDS)
    assert ticket.status is ActionStatus.RUNNING and ticket.job_id == busy.job_id
    assert container.services.jobs.list(None, "kb.reindex", 10, 0)[1] == 1


def test_a_failed_job_fails_the_ticket_and_approving_again_retries(container: Container) -> None:
    service = actions_of(container)
    (ticket,) = service.create_for([fired(CITATIONS)], THRESHOLDS)
    assert ticket.job_id is not None
    container.services.jobs.fail(ticket.job_id, "RuntimeError: Vektorspeicher voll")
    failed = service.get(ticket.action_id)
    assert failed.action.status is ActionStatus.FAILED
    assert failed.history[-1].note == "Job kb.reindex ist fehlgeschlagen: RuntimeError: Vektorspeicher voll"
    retried = service.approve(ticket.action_id, "admin")
    assert retried.action.status is ActionStatus.RUNNING and retried.action.job_id != ticket.job_id


def test_a_job_that_cannot_be_queued_fails_the_ticket_with_the_reason(
    make_settings: Callable[..., Settings],
) -> None:
    no_jobs = build_container(make_settings())
    no_jobs.database.upgrade()
    try:
        (ticket,) = actions_of(no_jobs).create_for([fired(CITATIONS)], THRESHOLDS)
        assert ticket.status is ActionStatus.FAILED and ticket.job_id is None
        note = actions_of(no_jobs).get(ticket.action_id).history[-1].note or ""
        assert note.startswith("Job kb.reindex konnte nicht starten: unknown job 'kb.reindex'")
    finally:
        no_jobs.close()


def test_rejecting_closes_the_ticket_and_a_closed_ticket_cannot_be_approved(container: Container) -> None:
    service = actions_of(container)
    gap = next(
        a for a in service.create_for([fired(USEFULNESS)], THRESHOLDS) if a.kind is ActionKind.KNOWLEDGE_GAP
    )
    rejected = service.reject(gap.action_id, "admin", "Thema gehört nicht zu uns")
    assert rejected.action.status is ActionStatus.REJECTED
    assert (rejected.history[-1].actor, rejected.history[-1].note) == ("admin", "Thema gehört nicht zu uns")
    with pytest.raises(InvalidInput, match="is rejected and cannot become approved"):
        service.approve(gap.action_id, "admin")
    # A closed ticket no longer blocks: the alert firing again opens a new one.
    again = service.create_for([fired(USEFULNESS)], THRESHOLDS)
    assert [a.kind for a in again] == [ActionKind.KNOWLEDGE_GAP]


def test_tickets_without_a_job_wait_for_a_person_who_closes_them(container: Container) -> None:
    service = actions_of(container)
    created = {a.kind: a for a in service.create_for([fired(USEFULNESS)], THRESHOLDS, [GAP])}
    assert created[ActionKind.KNOWLEDGE_GAP].details["gaps"][0]["topic"] == "balkonkraftwerk anmeldung"
    for kind, note in [
        (ActionKind.KNOWLEDGE_GAP, BY_HAND),
        (ActionKind.EVALUATION_RUN, EVAL_BY_HAND),
    ]:
        approved = service.approve(created[kind].action_id, "admin", "ok")
        assert approved.action.status is ActionStatus.APPROVED and approved.action.job_id is None
        assert approved.history[-1].note == f"ok {note}"
    closed = service.complete(created[ActionKind.KNOWLEDGE_GAP].action_id, "admin", "Anleitung hochgeladen")
    assert closed.action.status is ActionStatus.DONE
    assert container.services.jobs.list(None, "eval.run", 10, 0)[1] == 0


def test_with_golden_sets_an_evaluation_ticket_queues_eval_run(container: Container) -> None:
    service = actions_of(container, evaluation_sets=("bench/golden.jsonl",))
    evaluation = next(
        a for a in service.create_for([fired(USEFULNESS)], THRESHOLDS) if a.kind is ActionKind.EVALUATION_RUN
    )
    record = service.approve(evaluation.action_id, "admin")
    assert record.action.status is ActionStatus.RUNNING and record.action.job_id is not None
    job = container.services.jobs.get(record.action.job_id)
    assert (job.name, job.params) == ("eval.run", {"sets": ["bench/golden.jsonl"]})


def test_the_sets_in_the_flywheels_settings_are_run_and_pass_the_jobs_own_check(
    build: Callable[..., Container], tmp_path: Path
) -> None:
    """``flywheel.evaluation_sets`` may lie outside the folders ``eval.run`` reads otherwise: naming a
    set there is the operator's choice, so the job started by an approved ticket reads it."""
    golden = tmp_path / "ops" / "flywheel.yaml"
    golden.parent.mkdir()
    golden.write_text(
        '- {id: u3, answerable: false, question: "Wer gewann 1954 die Weltmeisterschaft?"}\n'
        '- {id: u5, answerable: false, question: "Wie hoch ist die Kfz-Steuer?"}\n',
        encoding="utf-8",
    )
    container = build(LUNA_FLYWHEEL__EVALUATION_SETS=json.dumps([str(golden)]))
    service = container.services.actions
    evaluation = next(
        a for a in service.create_for([fired(USEFULNESS)], THRESHOLDS) if a.kind is ActionKind.EVALUATION_RUN
    )

    record = service.approve(evaluation.action_id, "admin")
    assert record.action.job_id is not None
    execute(container, record.action.job_id)

    job = container.services.jobs.get(record.action.job_id)
    assert (job.params, job.status) == ({"sets": [str(golden)]}, JobStatus.SUCCEEDED), job.error
    assert service.get(evaluation.action_id).action.status is ActionStatus.DONE


def test_unknown_tickets_and_statuses_are_refused(container: Container) -> None:
    service = actions_of(container)
    with pytest.raises(NotFound):
        service.get("none")
    with pytest.raises(NotFound):
        service.approve("none", "admin")
    with pytest.raises(InvalidInput, match="unknown action status 'waiting'"):
        service.list("waiting")
    with pytest.raises(InvalidInput, match="limit"):
        service.list(limit=0)


def test_a_receiver_that_is_down_does_not_fail_the_ticket(build: Callable[..., Container]) -> None:
    down = build(LUNA_FLYWHEEL__ALERT_WEBHOOK_URL=f"http://127.0.0.1:{free_port()}/hooks/luna")
    service = actions_of(down)
    (ticket,) = service.create_for([fired(CITATIONS)], THRESHOLDS)
    assert service.get(ticket.action_id).action.status is ActionStatus.RUNNING
