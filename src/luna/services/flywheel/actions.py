"""Action tickets: alerts turned into work, approved by a person (or at once when safe), run as jobs.

The rules (which alert opens which ticket, which moves are allowed) are pure, in
:mod:`luna.domain.flywheel.actions`; this service stores the tickets and their history, starts the job
a runnable ticket stands for through :class:`JobService`, and follows that job to its end.

What runs, honestly:

* ``reindex`` → the ``kb.reindex`` job (a full rebuild); when one is already queued or running, the
  ticket follows that job instead of queueing a second one;
* ``learning_run`` → the ``learn.run`` job;
* ``evaluation_run`` → the ``eval.run`` job, but only with golden sets to ask (``evaluation_sets``,
  the setting ``flywheel.evaluation_sets``, which the job may read wherever they lie). None are set by
  default, so the ticket is approved with the note that ``luna eval run`` must be started by hand, and a
  person closes it afterwards;
* ``finetune_run`` → the ``finetune.run`` job (train, evaluate, register; promoted only when every gate
  passes); the ticket's closing note names the version and the gates' outcome;
* ``knowledge_gap``, ``finetune_dataset`` → no job: work for a person, who closes the ticket when it
  is done (a dataset is assembled by running its pipeline, ``luna datasets run``).

A job's state is the truth of a running ticket: :meth:`ActionService.refresh` (also run before every
read) moves running tickets to done or failed once their job has finished. New tickets are posted to
the alert receiver when one is configured; a receiver that is down is logged, the ticket stays.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

import structlog

from luna.domain.errors import Conflict, InvalidInput, LunaError, NotFound, Unavailable
from luna.domain.flywheel.actions import (
    JOB_OF,
    SYSTEM_ACTOR,
    Action,
    ActionKind,
    ActionRecord,
    ActionStatus,
    actions_for,
    created_event,
    transition,
    without_examples,
)
from luna.domain.flywheel.alerts import AlertChange
from luna.domain.flywheel.gaps import KnowledgeGap
from luna.domain.flywheel.thresholds import Threshold
from luna.domain.jobs import Job, JobStatus
from luna.ports.flywheel import AlertNotifier
from luna.ports.sql import Database, UnitOfWork
from luna.services.operations.jobs import JobService

log = structlog.stdlib.get_logger("luna.flywheel")

MAX_PAGE_SIZE: Final = 200
#: How many running tickets one refresh follows (far more than ever run at once).
_REFRESH_BATCH: Final = 1_000
#: More tickets than alerts could ever open: erasure reads them all.
_ALL_TICKETS: Final = 1_000_000
#: Why an approved evaluation ticket starts no job when no golden set is configured.
EVAL_BY_HAND: Final = (
    "Kein Golden Set konfiguriert: die Evaluation bitte von Hand starten "
    "(luna eval run SET.yaml …, docs/evaluation.md) und das Ticket danach abschließen."
)
#: Why an approved ticket without a job waits for a person.
BY_HAND: Final = "Kein Job: eine Person erledigt die Aufgabe und schließt das Ticket danach ab."


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _joined(*notes: str | None) -> str | None:
    present = [note for note in notes if note]
    return " ".join(present) if present else None


class ActionService:
    def __init__(
        self,
        database: Database,
        jobs: JobService,
        notifier: AlertNotifier | None,
        *,
        evaluation_sets: Sequence[str] = (),
        checks: Mapping[ActionKind, Callable[[], None]] | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """``checks[kind]`` raises (NotFound, InvalidInput) when the job of an approved ``kind`` ticket
        could only fail, as the API's and CLI's checks refuse it before queueing: the ticket then fails
        at once with that reason instead of a queued job failing in the worker."""
        self._database = database
        self._checks: Mapping[ActionKind, Callable[[], None]] = checks or {}
        self._jobs = jobs
        self._notifier = notifier
        self._evaluation_sets = tuple(evaluation_sets)
        self._clock = clock

    # -- creation ------------------------------------------------------------------------------------

    def create_for(
        self,
        changes: Sequence[AlertChange],
        thresholds: Sequence[Threshold],
        gaps: Sequence[KnowledgeGap] = (),
    ) -> builtins.list[Action]:
        """Open the tickets ``changes`` call for, start the ones approved at once, announce each.

        Returns the new tickets as they stand afterwards (an auto-approved reindex is ``running``).
        """
        if not any(change.fired or change.escalated for change in changes):
            return []
        now = self._clock()
        with self._database.unit_of_work() as uow:
            created = actions_for(changes, thresholds, uow.actions.open_keys(), gaps, now=now)
            for action in created:
                uow.actions.add(action)
                uow.actions.add_event(created_event(action, self._waits_for_person(action.kind)))
            uow.commit()
        final = [
            self._start(action, SYSTEM_ACTOR) if action.status is ActionStatus.APPROVED else action
            for action in created
        ]
        for action in final:
            log.info(
                "action_created",
                action_id=action.action_id,
                kind=action.kind.value,
                status=action.status.value,
                threshold=action.threshold,
                scope=action.scope,
            )
            self._announce(action)
        return final

    # -- decisions -----------------------------------------------------------------------------------

    def approve(self, action_id: str, actor: str, note: str | None = None) -> ActionRecord:
        """Approve an open (or retry a failed) ticket; a runnable one starts its job at once."""
        approved = self._move(
            action_id,
            ActionStatus.APPROVED,
            actor,
            note,
            addendum=lambda action: self._waits_for_person(action.kind),
        )
        self._start(approved, actor)
        return self.get(action_id)

    def reject(self, action_id: str, actor: str, note: str | None = None) -> ActionRecord:
        """Decline an open or approved ticket (a running job is not stopped here: cancel the job)."""
        self._move(action_id, ActionStatus.REJECTED, actor, note)
        return self.get(action_id)

    def complete(self, action_id: str, actor: str, note: str | None = None) -> ActionRecord:
        """A person closes an approved ticket whose work they did (content written, evaluation run)."""
        self._move(action_id, ActionStatus.DONE, actor, note)
        return self.get(action_id)

    # -- reading -------------------------------------------------------------------------------------

    def list(self, status: str | None = None, limit: int = 50) -> builtins.list[Action]:
        """Newest first; ``status`` filters (an unknown one is :class:`InvalidInput`)."""
        try:
            wanted = None if status is None else ActionStatus(status)
        except ValueError:
            known = ", ".join(s.value for s in ActionStatus)
            raise InvalidInput(f"unknown action status {status!r}; known: {known}") from None
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        self.refresh()
        with self._database.unit_of_work(read_only=True) as uow:
            return builtins.list(uow.actions.list(status=wanted, limit=limit))

    def get(self, action_id: str) -> ActionRecord:
        self.refresh()
        with self._database.unit_of_work(read_only=True) as uow:
            action = uow.actions.get(action_id)
            if action is None:
                raise NotFound(f"No action with id {action_id!r}.")
            return ActionRecord(action, tuple(uow.actions.events(action_id)))

    def refresh(self) -> int:
        """Move running tickets whose job has finished to done or failed; returns how many moved.

        Reads first and writes only when a job has finished, so the reads it precedes stay cheap.
        """
        with self._database.unit_of_work(read_only=True) as uow:
            running = uow.actions.list(status=ActionStatus.RUNNING, limit=_REFRESH_BATCH)
            finished = [
                (action, job)
                for action in running
                if (job := None if action.job_id is None else uow.jobs.get(action.job_id)) is None
                or job.status.is_finished
            ]
        if not finished:
            return 0
        now = self._clock()
        moved = 0
        with self._database.unit_of_work() as uow:
            for action, job in finished:
                to, note = _outcome(job)
                done, event = transition(action, to, SYSTEM_ACTOR, note, now)
                # Another process may have moved it first: then its entry is already written.
                if uow.actions.update(done, action.status):
                    uow.actions.add_event(event)
                    moved += 1
            uow.commit()
        return moved

    # -- steps ---------------------------------------------------------------------------------------

    def _move(
        self,
        action_id: str,
        to: ActionStatus,
        actor: str,
        note: str | None,
        *,
        addendum: Callable[[Action], str | None] = lambda action: None,
    ) -> Action:
        """One decision: the ticket moved and its history entry written, both or neither.

        ``addendum`` adds to the person's note what the engine knows about the ticket (that its work
        is for a person); :class:`Conflict` when another caller moved the ticket in between.
        """
        with self._database.unit_of_work() as uow:
            action = uow.actions.get(action_id)
            if action is None:
                raise NotFound(f"No action with id {action_id!r}.")
            moved, event = transition(action, to, actor, _joined(note, addendum(action)), self._clock())
            if not uow.actions.update(moved, action.status):
                raise Conflict(f"action {action_id!r} was changed meanwhile; look again and retry")
            uow.actions.add_event(event)
            uow.commit()
        return moved

    def _waits_for_person(self, kind: ActionKind) -> str | None:
        """Why an approved ticket of ``kind`` starts no job here (None: it starts one)."""
        if kind is ActionKind.EVALUATION_RUN and not self._evaluation_sets:
            return EVAL_BY_HAND
        return None if kind in JOB_OF else BY_HAND

    def _start(self, action: Action, actor: str) -> Action:
        """Start the approved ticket's job and mark it running (or failed, when it cannot start)."""
        if self._waits_for_person(action.kind) is not None:
            return action
        name = JOB_OF[action.kind]
        try:
            if (check := self._checks.get(action.kind)) is not None:
                check()
            job = self._jobs.submit(name, self._params(action.kind), f"flywheel:{actor}", exclusive=True)
        except Conflict as busy:
            running_id = busy.details.get("job_id")
            if isinstance(running_id, str):
                note = f"Ein Job {name} läuft bereits ({running_id}); das Ticket folgt ihm."
                return self._after_start(action, ActionStatus.RUNNING, note, running_id)
            return self._cannot_start(action, name, busy)
        except (InvalidInput, NotFound, Unavailable) as error:
            return self._cannot_start(action, name, error)
        return self._after_start(
            action, ActionStatus.RUNNING, f"Job {name} eingereiht ({job.job_id}).", job.job_id
        )

    def _cannot_start(self, action: Action, name: str, error: LunaError) -> Action:
        log.error("action_start_failed", action_id=action.action_id, job=name, error=error.message)
        note = f"Job {name} konnte nicht starten: {error.message}"
        return self._after_start(action, ActionStatus.FAILED, note, None)

    def _params(self, kind: ActionKind) -> dict[str, Any]:
        if kind is ActionKind.EVALUATION_RUN:
            return {"sets": builtins.list(self._evaluation_sets)}
        return {}

    def _after_start(self, action: Action, to: ActionStatus, note: str, job_id: str | None) -> Action:
        moved, event = transition(action, to, SYSTEM_ACTOR, note, self._clock(), job_id=job_id)
        with self._database.unit_of_work() as uow:
            if not uow.actions.update(moved, ActionStatus.APPROVED):
                # Rejected between approval and the job's start: the ticket's decision stands.
                log.warning("action_moved_while_starting", action_id=action.action_id, job_id=job_id)
                current = uow.actions.get(action.action_id)
                return moved if current is None else current
            uow.actions.add_event(event)
            uow.commit()
        return moved

    def _announce(self, action: Action) -> None:
        if self._notifier is None:
            return
        try:
            self._notifier.send(action_payload(action))
        except Unavailable as error:
            log.error("action_delivery_failed", action_id=action.action_id, error=error.message)


def forget_ticket_examples(uow: UnitOfWork, questions: Collection[str]) -> int:
    """Take an erased user's questions out of every ticket's example questions (open or closed: the
    examples are their words); how many tickets changed. The external tracker keeps what it was sent."""
    changed = 0
    for action in uow.actions.list(limit=_ALL_TICKETS) if questions else ():
        details = without_examples(action.details, questions)
        if details is not None and uow.actions.update(replace(action, details=details), action.status):
            changed += 1
    return changed


def _outcome(job: Job | None) -> tuple[ActionStatus, str]:
    if job is None:
        return ActionStatus.FAILED, "Der Job des Tickets ist nicht mehr vorhanden."
    if job.status is JobStatus.SUCCEEDED:
        return ActionStatus.DONE, f"Job {job.name} erfolgreich beendet.{_finetune_summary(job)}"
    if job.status is JobStatus.CANCELLED:
        return ActionStatus.FAILED, f"Job {job.name} wurde abgebrochen."
    return ActionStatus.FAILED, f"Job {job.name} ist fehlgeschlagen: {job.error or 'ohne Meldung'}"


def _finetune_summary(job: Job) -> str:
    """A fine-tuning run's outcome in the ticket: which version, whether it passed and serves."""
    result = job.result or {}
    if job.name != JOB_OF[ActionKind.FINETUNE_RUN] or not isinstance(result, dict):
        return ""
    if result.get("stopped"):
        return f" Gestoppt: {result['stopped']} (fortsetzen: {result.get('resume')})."
    gates = "bestanden" if (result.get("gates") or {}).get("passed") else "nicht bestanden"
    serves = "ist jetzt Champion" if result.get("promoted") else "bleibt Kandidat"
    return f" {result.get('name')}@v{result.get('version')}: Gates {gates}, {serves}."


def action_payload(action: Action) -> dict[str, Any]:
    """The JSON a new ticket is posted as (an external tracker opens its own ticket from it)."""
    return {
        "source": "luna",
        "type": "flywheel_action",
        "action": {
            "action_id": action.action_id,
            "kind": action.kind.value,
            "title": action.title,
            "status": action.status.value,
            "owner": action.owner.value,
            "threshold": action.threshold,
            "scope": action.scope,
            "job_id": action.job_id,
            "created_at": action.created_at.isoformat(),
            "details": action.details,
        },
    }
