"""What a snapshot restore must never roll back: erasures, consent changes, the audit log, live jobs.

Restoring a snapshot replaces the whole SQL database with the state at the snapshot's time. Without care
that would resurrect a customer's erased events, ratings and conversations, undo a consent withdrawal,
delete the audit entries of both (and of the restore itself), and make running jobs vanish. So before
the SQL part is replaced, :func:`capture` reads everything of that kind written since the snapshot was
taken; afterwards :func:`reapply` writes it back in time order: each erasure runs again (so data the
snapshot holds of that user is deleted again), consent records come back (a record older than a later
erasure is deleted again by it, as it was), audit entries and job rows that the dump lacks are added,
and the restore itself is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from luna.domain.events import Consent
from luna.domain.jobs import Job
from luna.domain.scores import AuditEntry
from luna.ports.sql import UnitOfWork
from luna.services.learning.privacy import ERASE_ACTION

RESTORE_ACTION: Final = "snapshot.restore"
DELETE_ACTION: Final = "snapshot.delete"
#: More jobs than this created since a snapshot are not expected; the newest are kept.
_MAX_JOBS: Final = 10_000
_MAX_AUDIT: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class PrivacyLedger:
    since: datetime
    audit: list[AuditEntry]
    consent: list[Consent]
    jobs: list[Job]

    @property
    def erased_users(self) -> list[str]:
        return [_erased_user(entry) for entry in self.audit if _is_erasure(entry)]


def capture(uow: UnitOfWork, since: datetime) -> PrivacyLedger:
    """Everything of the kinds above written at or after ``since`` (read before the restore)."""
    audit = sorted(uow.audit.list(limit=_MAX_AUDIT, since=since), key=lambda entry: entry.ts)
    jobs = [
        job
        for job in uow.jobs.list(limit=_MAX_JOBS)
        if job.created_at is not None and job.created_at >= since
    ]
    return PrivacyLedger(since, audit, uow.consent.records_since(since), jobs)


def reapply(uow: UnitOfWork, ledger: PrivacyLedger, actor: str, snapshot_id: str) -> AuditEntry:
    """Write the ledger back over the restored database (one unit of work; the caller commits)."""
    known_audit = {entry.audit_id for entry in uow.audit.list(limit=_MAX_AUDIT, since=ledger.since)}
    known_consent = {(c.user_id, c.scope, c.ts) for c in uow.consent.records_since(ledger.since)}
    timeline: list[tuple[datetime, int, AuditEntry | Consent]] = [
        *((entry.ts, 0, entry) for entry in ledger.audit),
        *((record.ts, 1, record) for record in ledger.consent),
    ]
    for _, _, change in sorted(timeline, key=lambda row: (row[0], row[1])):
        if isinstance(change, AuditEntry):
            if _is_erasure(change):
                _erase(uow, _erased_user(change), change.details.get("session_ref"))
            if change.audit_id not in known_audit:
                uow.audit.add(change)
        elif (change.user_id, change.scope, change.ts) not in known_consent:
            uow.users.get_or_create(change.user_id)
            uow.consent.record(change)
    for job in ledger.jobs:
        if uow.jobs.get(job.job_id) is None:
            uow.jobs.add(job)
    entry = AuditEntry(
        audit_id=str(uuid.uuid4()),
        ts=datetime.now(UTC),
        actor=actor,
        action=RESTORE_ACTION,
        target=f"snapshot:{snapshot_id}",
        details={
            "erasures_reapplied": len(ledger.erased_users),
            "consent_records_kept": len(ledger.consent),
            "audit_entries_kept": len(ledger.audit),
            "jobs_kept": len(ledger.jobs),
        },
    )
    uow.audit.add(entry)
    return entry


def snapshot_deleted(actor: str, snapshot_id: str) -> AuditEntry:
    """The audit line of a deleted snapshot (a destructive act, like every restore)."""
    return AuditEntry(str(uuid.uuid4()), datetime.now(UTC), actor, DELETE_ACTION, f"snapshot:{snapshot_id}")


def _is_erasure(entry: AuditEntry) -> bool:
    return entry.action == ERASE_ACTION and (entry.target or "").startswith("user:")


def _erased_user(entry: AuditEntry) -> str:
    return (entry.target or "").removeprefix("user:")


def _erase(uow: UnitOfWork, user_id: str, session_ref: object) -> None:
    """``session_ref`` is the user's flywheel pseudonym the erasure recorded (sessions hold no user ID)."""
    uow.events.delete_for_user(user_id)
    uow.feedback.delete_for_user(user_id)
    uow.consent.delete_for_user(user_id)
    uow.conversations.delete_for_user(user_id)
    if isinstance(session_ref, str):
        uow.sessions.delete_for_user(session_ref)
