"""The trigger engine: alerts turned into action tickets, and the rules of a ticket's life.

An alert says *that* a KPI is bad; an action says *what to do about it* and who does it. Each firing
(or escalating) alert opens one ticket per action kind its threshold suggests, owned by a team: the
knowledge team ("wissen") fills gaps and rebuilds the index, the model team ("modell") runs learning,
evaluation and fine-tuning. The blueprint asks for "Tickets für Orion/Lumina zur Modell- bzw.
Wissensaktualisierung"; these are those tickets.

Three rules keep tickets trustworthy rather than noisy:

* only a change that fires or escalates opens tickets; a de-escalation or a resolution does not, and
  an alert that keeps firing opens nothing new (alerts report changes only);
* never a duplicate: while a ticket of the same kind, threshold and scope is open, approved or
  running, the alert adds nothing (an escalation while the warning's ticket is open is the same work);
* only safe kinds (reindex, learning run, evaluation run: they change no content and no model) may be
  approved at once, and only when the threshold says ``auto: true``. A knowledge gap needs a person to
  write content, a fine-tuning run changes the model: both always wait for a person.

Every move of a ticket goes through :func:`transition`, which knows the allowed moves and writes the
history entry, so the service cannot skip a step (reject a running job, or re-open a finished ticket).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from luna.domain.errors import InvalidInput
from luna.domain.flywheel.alerts import AlertChange
from luna.domain.flywheel.gaps import KnowledgeGap
from luna.domain.flywheel.kpi_values import ALL
from luna.domain.flywheel.thresholds import TOPIC_PREFIX, Threshold

#: Who writes the history entries the engine itself makes (creation, auto-approval, job outcomes).
SYSTEM_ACTOR: Final = "luna"
#: How many knowledge gaps a knowledge-gap ticket lists (the largest groups of questions first).
MAX_GAPS: Final = 5


class ActionKind(StrEnum):
    """What a ticket asks for; the same names as the thresholds file's ``actions``."""

    KNOWLEDGE_GAP = "knowledge_gap"
    REINDEX = "reindex"
    LEARNING_RUN = "learning_run"
    EVALUATION_RUN = "evaluation_run"
    FINETUNE_DATASET = "finetune_dataset"
    FINETUNE_RUN = "finetune_run"


class ActionStatus(StrEnum):
    """Where a ticket stands; ``open``, ``approved`` and ``running`` are still being worked on."""

    OPEN = "open"
    APPROVED = "approved"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"


class Team(StrEnum):
    """Who owns a ticket: the knowledge team (content, index) or the model team (learning, models)."""

    WISSEN = "wissen"
    MODELL = "modell"


#: Statuses that block a new ticket of the same kind, threshold and scope.
ACTIVE: Final = frozenset({ActionStatus.OPEN, ActionStatus.APPROVED, ActionStatus.RUNNING})
#: Kinds that change neither content nor a model, so a threshold may let them start on their own.
SAFE_KINDS: Final = frozenset({ActionKind.REINDEX, ActionKind.LEARNING_RUN, ActionKind.EVALUATION_RUN})
#: The job each runnable kind starts (a fine-tuning run needs a person's approval: it changes a model).
JOB_OF: Final[Mapping[ActionKind, str]] = {
    ActionKind.REINDEX: "kb.reindex",
    ActionKind.LEARNING_RUN: "learn.run",
    ActionKind.EVALUATION_RUN: "eval.run",
    ActionKind.FINETUNE_RUN: "finetune.run",
}
OWNER_OF: Final[Mapping[ActionKind, Team]] = {
    ActionKind.KNOWLEDGE_GAP: Team.WISSEN,
    ActionKind.REINDEX: Team.WISSEN,
    ActionKind.LEARNING_RUN: Team.MODELL,
    ActionKind.EVALUATION_RUN: Team.MODELL,
    ActionKind.FINETUNE_DATASET: Team.MODELL,
    ActionKind.FINETUNE_RUN: Team.MODELL,
}
#: Every allowed move. ``approved → done`` is a person closing a ticket without a job (content
#: written, an evaluation run by hand); ``failed → approved`` is approving again to retry.
TRANSITIONS: Final[Mapping[ActionStatus, frozenset[ActionStatus]]] = {
    ActionStatus.OPEN: frozenset({ActionStatus.APPROVED, ActionStatus.REJECTED}),
    ActionStatus.APPROVED: frozenset(
        {ActionStatus.RUNNING, ActionStatus.DONE, ActionStatus.FAILED, ActionStatus.REJECTED}
    ),
    ActionStatus.RUNNING: frozenset({ActionStatus.DONE, ActionStatus.FAILED}),
    ActionStatus.FAILED: frozenset({ActionStatus.APPROVED}),
    ActionStatus.DONE: frozenset(),
    ActionStatus.REJECTED: frozenset(),
}

_TITLES: Final[Mapping[ActionKind, str]] = {
    ActionKind.KNOWLEDGE_GAP: "Wissenslücke schließen",
    ActionKind.REINDEX: "Suchindex neu aufbauen",
    ActionKind.LEARNING_RUN: "Lernlauf starten",
    ActionKind.EVALUATION_RUN: "Evaluation mit dem Golden Set",
    ActionKind.FINETUNE_DATASET: "Feintuning-Datensatz zusammenstellen",
    ActionKind.FINETUNE_RUN: "Feintuning-Lauf",
}
_WHAT: Final[Mapping[ActionKind, str]] = {
    ActionKind.KNOWLEDGE_GAP: (
        "Fehlende Inhalte ergänzen: Dokumente zu den unten genannten Themen hochladen, "
        "danach das Ticket abschließen."
    ),
    ActionKind.REINDEX: (
        "Baut den Suchindex vollständig aus SQL neu auf (Schattensammlung, dann Umschalten; "
        "die vorige Sammlung bleibt für ein Zurück)."
    ),
    ActionKind.LEARNING_RUN: (
        "Berechnet Beliebtheit und Qualität der Inhalte aus Ereignissen und Bewertungen neu."
    ),
    ActionKind.EVALUATION_RUN: "Stellt die Fragen des Golden Sets und hält den Lauf zum Vergleich fest.",
    ActionKind.FINETUNE_DATASET: "Einen Feintuning-Datensatz aus bewerteten Gesprächen zusammenstellen.",
    ActionKind.FINETUNE_RUN: (
        "Trainiert einen LoRA-Adapter mit dem geprüften Datensatz, bewertet ihn gegen Basis und Champion "
        "und setzt ihn nur ein, wenn alle Gates bestehen."
    ),
}
#: Why a ticket without a job (a fine-tuning dataset) is work for a person.
NO_JOB: Final = "Luna hat dafür noch keine Funktion: eine Person erledigt das und schließt das Ticket ab."
_NO_GAPS: Final = (
    "Noch keine Lückenanalyse vorhanden: die abgelehnten und mit 👎 bewerteten Fragen des Zeitraums "
    "ansehen (Daten-Schwungrad) und fehlende Dokumente ergänzen."
)

#: A ticket's identity for de-duplication: (kind, threshold, scope).
ActionKey = tuple[ActionKind, str, str]


@dataclass(frozen=True, slots=True)
class Action:
    """One ticket: what to do about an alert, who owns it, and where it stands."""

    action_id: str
    kind: ActionKind
    status: ActionStatus
    #: German, for operators and the external tracker.
    title: str
    #: JSON-ready: the alert that opened it, and what the ticket runs or asks for (gaps, job, manual).
    details: dict[str, Any]
    threshold: str
    scope: str
    owner: Team
    created_at: datetime
    updated_at: datetime
    #: The job started for it (the last one, after a retry); None while none was started.
    job_id: str | None = None

    @property
    def key(self) -> ActionKey:
        return (self.kind, self.threshold, self.scope)


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """One entry of a ticket's history; ``from_status`` None is its creation."""

    action_id: str
    at: datetime
    actor: str
    from_status: ActionStatus | None
    to_status: ActionStatus
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """A ticket with its history, oldest entry first."""

    action: Action
    history: tuple[ActionEvent, ...]


def _new_id() -> str:
    return str(uuid.uuid4())


def actions_for(
    changes: Sequence[AlertChange],
    thresholds: Sequence[Threshold],
    open_keys: Collection[ActionKey],
    gaps: Sequence[KnowledgeGap],
    *,
    now: datetime,
    new_id: Callable[[], str] = _new_id,
) -> list[Action]:
    """The tickets ``changes`` open, in change order and, per change, in the threshold's action order.

    ``open_keys`` are the keys of the active tickets (see :data:`ACTIVE`); a change whose threshold is
    no longer in ``thresholds`` opens nothing (it can only be a retirement, which resolves).
    """
    by_name = {threshold.name: threshold for threshold in thresholds}
    taken = set(open_keys)
    created: list[Action] = []
    for change in changes:
        threshold = by_name.get(change.threshold)
        if threshold is None or not (change.fired or change.escalated):
            continue
        for name in threshold.actions:
            kind = ActionKind(name)
            if (kind, change.threshold, change.scope) in taken:
                continue
            taken.add((kind, change.threshold, change.scope))
            created.append(_ticket(kind, change, threshold, gaps, now, new_id()))
    return created


def _ticket(
    kind: ActionKind,
    change: AlertChange,
    threshold: Threshold,
    gaps: Sequence[KnowledgeGap],
    now: datetime,
    action_id: str,
) -> Action:
    approved = threshold.auto and kind in SAFE_KINDS
    return Action(
        action_id=action_id,
        kind=kind,
        status=ActionStatus.APPROVED if approved else ActionStatus.OPEN,
        title=_title(kind, change),
        details=_details(kind, change, gaps),
        threshold=change.threshold,
        scope=change.scope,
        owner=OWNER_OF[kind],
        created_at=now,
        updated_at=now,
    )


def _title(kind: ActionKind, change: AlertChange) -> str:
    where = "" if change.scope == ALL else f" ({change.scope.removeprefix(TOPIC_PREFIX)})"
    return f"{_TITLES[kind]}: {change.description}{where}"


def _details(kind: ActionKind, change: AlertChange, gaps: Sequence[KnowledgeGap]) -> dict[str, Any]:
    details: dict[str, Any] = {
        "alert": {
            "threshold": change.threshold,
            "scope": change.scope,
            "severity": None if change.after is None else change.after.value,
            "kpi": None if change.kpi is None else change.kpi.value,
            "value": change.value,
            "samples": change.samples,
            "at": change.at.isoformat(),
            "description": change.description,
        },
        "what": _WHAT[kind],
        "job": JOB_OF.get(kind),
    }
    if kind not in JOB_OF and kind is not ActionKind.KNOWLEDGE_GAP:
        details["manual"] = NO_JOB
    if kind is ActionKind.KNOWLEDGE_GAP:
        details["gaps"] = [_gap(gap) for gap in top_gaps(gaps)]
        if not gaps:
            details["hint"] = _NO_GAPS
    return details


def top_gaps(gaps: Sequence[KnowledgeGap]) -> list[KnowledgeGap]:
    """The :data:`MAX_GAPS` gaps with the most questions (the lowest best score breaks ties)."""
    ranked = sorted(
        gaps, key=lambda gap: (-gap.questions, 2.0 if gap.best_score is None else gap.best_score, gap.topic)
    )
    return ranked[:MAX_GAPS]


def _gap(gap: KnowledgeGap) -> dict[str, Any]:
    return {
        "topic": gap.topic,
        "questions": gap.questions,
        "examples": list(gap.examples),
        "nearest_documents": list(gap.nearest_documents),
        "best_score": gap.best_score,
        "suggestion": gap.suggestion,
    }


def without_examples(details: Mapping[str, Any], questions: Collection[str]) -> dict[str, Any] | None:
    """A ticket's details with ``questions`` taken out of its gaps' example questions (an erased user's:
    the examples are questions word for word); None when none of them was there."""
    gaps = details.get("gaps")
    if not isinstance(gaps, list):
        return None
    kept_gaps, changed = [], False
    for gap in gaps:
        examples = gap.get("examples") if isinstance(gap, dict) else None
        if isinstance(examples, list) and any(example in questions for example in examples):
            gap = {**gap, "examples": [example for example in examples if example not in questions]}
            changed = True
        kept_gaps.append(gap)
    return {**details, "gaps": kept_gaps} if changed else None


def created_event(action: Action, approved_note: str | None = None) -> ActionEvent:
    """The first history entry of a new ticket: which alert opened it, and why it is approved already
    (``approved_note`` adds what an approved ticket does next, e.g. that a person must start it)."""
    alert = action.details["alert"]
    note = f"Angelegt für den Alarm {action.threshold} ({action.scope}, {alert['severity']})."
    if action.status is ActionStatus.APPROVED:
        note += " Automatisch freigegeben: der Schwellenwert erlaubt es (auto: true)."
        if approved_note:
            note += f" {approved_note}"
    return ActionEvent(action.action_id, action.created_at, SYSTEM_ACTOR, None, action.status, note)


def transition(
    action: Action,
    to: ActionStatus,
    actor: str,
    note: str | None,
    now: datetime,
    *,
    job_id: str | None = None,
) -> tuple[Action, ActionEvent]:
    """``action`` moved to ``to`` and the history entry for it; a move :data:`TRANSITIONS` does not allow
    raises :class:`InvalidInput` naming the allowed ones. ``job_id`` records the job a move started."""
    if to not in TRANSITIONS[action.status]:
        allowed = ", ".join(sorted(TRANSITIONS[action.status])) or "none (the ticket is closed)"
        raise InvalidInput(
            f"action {action.action_id} is {action.status.value} and cannot become {to.value}; "
            f"allowed: {allowed}",
            details={"action_id": action.action_id, "status": action.status.value, "to": to.value},
        )
    moved = replace(action, status=to, updated_at=now, job_id=action.job_id if job_id is None else job_id)
    return moved, ActionEvent(action.action_id, now, actor, action.status, to, note)
