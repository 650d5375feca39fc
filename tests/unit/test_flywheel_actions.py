"""The trigger engine's rules: which alert changes open which tickets, never twice, approved at once
only when safe, and which moves a ticket may make."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from luna.domain.errors import InvalidInput
from luna.domain.flywheel.actions import (
    ACTIVE,
    MAX_GAPS,
    NO_JOB,
    SAFE_KINDS,
    SYSTEM_ACTOR,
    TRANSITIONS,
    Action,
    ActionKey,
    ActionKind,
    ActionStatus,
    Team,
    actions_for,
    created_event,
    top_gaps,
    transition,
)
from luna.domain.flywheel.alerts import AlertChange
from luna.domain.flywheel.gaps import KnowledgeGap
from luna.domain.flywheel.kpi_values import ALL, Kpi, Window, topic_scope
from luna.domain.flywheel.thresholds import ACTIONS, EACH_TOPIC, Comparator, Severity, Threshold

NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)
WARNING, CRITICAL = Severity.WARNING, Severity.CRITICAL
EVERY_KIND = tuple(kind.value for kind in ActionKind)


def threshold(
    name: str = "usefulness_low", actions: Sequence[str] = EVERY_KIND, *, auto: bool = False
) -> Threshold:
    return Threshold(
        name=name,
        kpi=Kpi.USEFULNESS_RATE,
        comparator=Comparator.LT,
        warning=0.6,
        critical=0.45,
        window=Window.DAY,
        scope=EACH_TOPIC if name.startswith("topic") else ALL,
        description="Zu wenige Antworten werden als hilfreich bewertet.",
        actions=tuple(actions),
        auto=auto,
    )


def change(
    before: Severity | None, after: Severity | None, *, name: str = "usefulness_low", scope: str = ALL
) -> AlertChange:
    return AlertChange(
        name,
        scope,
        before,
        after,
        0.4,
        40,
        NOW,
        "Zu wenige Antworten werden als hilfreich bewertet.",
        Kpi.USEFULNESS_RATE,
    )


def gap(topic: str, questions: int, best: float | None = 0.2) -> KnowledgeGap:
    return KnowledgeGap(
        topic=topic,
        questions=questions,
        examples=(f"Wie geht {topic}?",),
        nearest_documents=("Netzentgelte 2026",),
        best_score=best,
        suggestion=f"Ein Dokument zu {topic} ergänzen.",
    )


def run(
    changes: Sequence[AlertChange],
    thresholds: Sequence[Threshold] = (threshold(),),
    open_keys: set[ActionKey] | None = None,
    gaps: Sequence[KnowledgeGap] = (),
) -> list[Action]:
    ids = itertools.count(1)
    return actions_for(changes, thresholds, open_keys or set(), gaps, now=NOW, new_id=lambda: f"a{next(ids)}")


def test_the_kinds_are_exactly_the_thresholds_files_actions() -> None:
    assert {kind.value for kind in ActionKind} == ACTIONS


def test_a_fired_alert_opens_one_ticket_per_suggested_kind_in_the_files_order() -> None:
    created = run([change(None, WARNING)])
    assert [action.kind.value for action in created] == list(EVERY_KIND)
    assert [action.action_id for action in created] == ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert {(action.threshold, action.scope, action.status) for action in created} == {
        ("usefulness_low", ALL, ActionStatus.OPEN)
    }
    assert all(action.created_at == action.updated_at == NOW and action.job_id is None for action in created)


def test_an_escalation_opens_tickets_too() -> None:
    assert [a.kind for a in run([change(WARNING, CRITICAL)], (threshold(actions=["reindex"]),))] == [
        ActionKind.REINDEX
    ]


@pytest.mark.parametrize(
    ("before", "after"), [(CRITICAL, WARNING), (WARNING, None), (CRITICAL, None)], ids=str
)
def test_calming_down_or_resolving_opens_nothing(before: Severity, after: Severity | None) -> None:
    assert run([change(before, after)]) == []


def test_a_change_of_a_threshold_no_longer_in_the_file_opens_nothing() -> None:
    assert run([change(None, WARNING, name="removed")]) == []


def test_a_threshold_without_actions_opens_nothing() -> None:
    assert run([change(None, WARNING)], (threshold(actions=()),)) == []


def test_an_active_ticket_of_the_same_kind_threshold_and_scope_is_not_duplicated() -> None:
    open_keys = {(ActionKind.KNOWLEDGE_GAP, "usefulness_low", ALL), (ActionKind.REINDEX, "other", ALL)}
    created = run([change(WARNING, CRITICAL)], (threshold(actions=["knowledge_gap", "reindex"]),), open_keys)
    assert [a.key for a in created] == [(ActionKind.REINDEX, "usefulness_low", ALL)]


def test_each_topic_scope_is_its_own_ticket_but_one_batch_never_repeats_a_key() -> None:
    topic = threshold("topic_down", ["knowledge_gap"])
    pv, wp = topic_scope("pv"), topic_scope("waermepumpe")
    created = run(
        [
            change(None, WARNING, name="topic_down", scope=pv),
            change(None, WARNING, name="topic_down", scope=wp),
            change(WARNING, CRITICAL, name="topic_down", scope=pv),
        ],
        (topic,),
    )
    assert [a.scope for a in created] == [pv, wp]
    assert (
        created[0].title == "Wissenslücke schließen: Zu wenige Antworten werden als hilfreich bewertet. (pv)"
    )


def test_auto_approves_only_the_safe_kinds_at_once() -> None:
    created = run([change(None, CRITICAL)], (threshold(auto=True),))
    approved = {a.kind for a in created if a.status is ActionStatus.APPROVED}
    assert approved == SAFE_KINDS == {ActionKind.REINDEX, ActionKind.LEARNING_RUN, ActionKind.EVALUATION_RUN}
    assert {a.kind for a in created if a.status is ActionStatus.OPEN} == {
        ActionKind.KNOWLEDGE_GAP,
        ActionKind.FINETUNE_DATASET,
        ActionKind.FINETUNE_RUN,
    }


def test_without_auto_every_ticket_waits_for_a_person() -> None:
    assert {a.status for a in run([change(None, CRITICAL)])} == {ActionStatus.OPEN}


def test_the_knowledge_team_owns_content_and_index_the_model_team_the_rest() -> None:
    owners = {a.kind: a.owner for a in run([change(None, WARNING)])}
    assert owners == {
        ActionKind.KNOWLEDGE_GAP: Team.WISSEN,
        ActionKind.REINDEX: Team.WISSEN,
        ActionKind.LEARNING_RUN: Team.MODELL,
        ActionKind.EVALUATION_RUN: Team.MODELL,
        ActionKind.FINETUNE_DATASET: Team.MODELL,
        ActionKind.FINETUNE_RUN: Team.MODELL,
    }


def test_details_name_the_alert_and_what_runs_and_are_json() -> None:
    by_kind = {a.kind: a for a in run([change(None, WARNING)])}
    reindex = by_kind[ActionKind.REINDEX].details
    assert reindex["alert"] == {
        "threshold": "usefulness_low",
        "scope": ALL,
        "severity": "warning",
        "kpi": "usefulness_rate",
        "value": 0.4,
        "samples": 40,
        "at": NOW.isoformat(),
        "description": "Zu wenige Antworten werden als hilfreich bewertet.",
    }
    assert reindex["job"] == "kb.reindex" and "Suchindex" in reindex["what"]
    assert by_kind[ActionKind.LEARNING_RUN].details["job"] == "learn.run"
    assert by_kind[ActionKind.EVALUATION_RUN].details["job"] == "eval.run"
    dataset, finetune = by_kind[ActionKind.FINETUNE_DATASET], by_kind[ActionKind.FINETUNE_RUN]
    assert dataset.details["job"] is None and dataset.details["manual"] == NO_JOB
    # A fine-tuning run is a job, but never starts on its own: it changes a model (issue #17).
    assert finetune.details["job"] == "finetune.run" and "manual" not in finetune.details
    assert finetune.status is ActionStatus.OPEN
    for action in by_kind.values():
        assert json.loads(json.dumps(action.details)) == action.details


def test_a_knowledge_gap_ticket_carries_the_largest_gaps() -> None:
    gaps = [gap(f"thema{n}", questions=n) for n in range(1, 8)]
    (ticket,) = run([change(None, WARNING)], (threshold(actions=["knowledge_gap"]),), gaps=gaps)
    listed = ticket.details["gaps"]
    assert [g["topic"] for g in listed] == ["thema7", "thema6", "thema5", "thema4", "thema3"]
    assert len(listed) == MAX_GAPS
    assert listed[0] == {
        "topic": "thema7",
        "questions": 7,
        "examples": ["Wie geht thema7?"],
        "nearest_documents": ["Netzentgelte 2026"],
        "best_score": 0.2,
        "suggestion": "Ein Dokument zu thema7 ergänzen.",
    }
    assert "hint" not in ticket.details


def test_a_knowledge_gap_ticket_without_an_analysis_says_where_to_look() -> None:
    (ticket,) = run([change(None, WARNING)], (threshold(actions=["knowledge_gap"]),))
    assert ticket.details["gaps"] == [] and "Lückenanalyse" in ticket.details["hint"]


def test_equal_gaps_rank_the_worse_covered_first() -> None:
    ranked = top_gaps([gap("b", 3, 0.4), gap("a", 3, None), gap("c", 3, 0.1)])
    assert [g.topic for g in ranked] == ["c", "b", "a"]


def test_the_creation_entry_names_the_alert_and_an_auto_approval() -> None:
    (manual,) = run([change(None, WARNING)], (threshold(actions=["reindex"]),))
    (auto,) = run([change(None, WARNING)], (threshold(actions=["reindex"], auto=True),))
    first = created_event(manual, "ignored while open")
    assert (first.from_status, first.to_status, first.actor, first.at) == (
        None,
        ActionStatus.OPEN,
        SYSTEM_ACTOR,
        NOW,
    )
    assert first.note == "Angelegt für den Alarm usefulness_low (all, warning)."
    assert created_event(auto, "Von Hand starten.").note == (
        "Angelegt für den Alarm usefulness_low (all, warning). Automatisch freigegeben: der "
        "Schwellenwert erlaubt es (auto: true). Von Hand starten."
    )


ALLOWED = {
    (ActionStatus.OPEN, ActionStatus.APPROVED),
    (ActionStatus.OPEN, ActionStatus.REJECTED),
    (ActionStatus.APPROVED, ActionStatus.RUNNING),
    (ActionStatus.APPROVED, ActionStatus.DONE),
    (ActionStatus.APPROVED, ActionStatus.FAILED),
    (ActionStatus.APPROVED, ActionStatus.REJECTED),
    (ActionStatus.RUNNING, ActionStatus.DONE),
    (ActionStatus.RUNNING, ActionStatus.FAILED),
    (ActionStatus.FAILED, ActionStatus.APPROVED),
}
EVERY_MOVE = list(itertools.product(ActionStatus, ActionStatus))


def ticket(status: ActionStatus) -> Action:
    (action,) = run([change(None, WARNING)], (threshold(actions=["reindex"]),))
    return replace(action, status=status)


def test_the_table_of_moves_is_the_specified_one() -> None:
    assert {(start, end) for start, ends in TRANSITIONS.items() for end in ends} == ALLOWED


@pytest.mark.parametrize(("start", "end"), sorted(ALLOWED), ids=lambda s: s.value)
def test_an_allowed_move_changes_the_ticket_and_writes_its_entry(
    start: ActionStatus, end: ActionStatus
) -> None:
    later = NOW + timedelta(minutes=5)
    moved, event = transition(ticket(start), end, "admin", "passt", later, job_id="job-1")
    assert (moved.status, moved.updated_at, moved.created_at, moved.job_id) == (end, later, NOW, "job-1")
    assert (event.action_id, event.at, event.actor, event.from_status, event.to_status, event.note) == (
        "a1",
        later,
        "admin",
        start,
        end,
        "passt",
    )


def test_a_move_without_a_job_keeps_the_recorded_one() -> None:
    running, _ = transition(
        ticket(ActionStatus.APPROVED), ActionStatus.RUNNING, "luna", None, NOW, job_id="j"
    )
    done, _ = transition(running, ActionStatus.DONE, "luna", None, NOW)
    assert done.job_id == "j"


@pytest.mark.parametrize(
    ("start", "end"), [move for move in EVERY_MOVE if move not in ALLOWED], ids=lambda s: s.value
)
def test_a_forbidden_move_is_refused_naming_the_allowed_ones(start: ActionStatus, end: ActionStatus) -> None:
    with pytest.raises(InvalidInput) as refused:
        transition(ticket(start), end, "admin", None, NOW)
    assert f"is {start.value} and cannot become {end.value}" in refused.value.message
    assert refused.value.details == {"action_id": "a1", "status": start.value, "to": end.value}


def test_closed_tickets_say_so() -> None:
    with pytest.raises(InvalidInput, match=r"allowed: none \(the ticket is closed\)"):
        transition(ticket(ActionStatus.DONE), ActionStatus.APPROVED, "admin", None, NOW)


def test_only_open_approved_and_running_tickets_block_a_new_one() -> None:
    assert {
        ActionStatus.OPEN,
        ActionStatus.APPROVED,
        ActionStatus.RUNNING,
    } == ACTIVE
