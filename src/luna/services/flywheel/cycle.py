"""The flywheel's hourly cycle: Luna's own sessions in, questions embedded and grouped into topics,
knowledge gaps found, KPIs recomputed, thresholds judged.

One job (``flywheel.hourly``) runs the steps in order, so the alerts always judge the KPIs the same
run just computed. The worker queues it once per clock hour (``flywheel.schedule_enabled``);
operators start it at any time (``luna flywheel run``, the job form), and an external scheduler can
too (``deploy/cron/luna-flywheel``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from luna.domain.flywheel.alerts import AlertChange
from luna.domain.flywheel.kpi_values import Window
from luna.domain.flywheel.kpis import bucket_start
from luna.domain.jobs import JobStatus
from luna.services.flywheel.actions import ActionService
from luna.services.flywheel.alerts import AlertService
from luna.services.flywheel.kpis import KpiService
from luna.services.flywheel.normalise import SessionNormaliser
from luna.services.flywheel.own_sessions import OwnSessions
from luna.services.operations.jobs import JobService

#: The job's name in the job system.
FLYWHEEL_JOB: Final = "flywheel.hourly"
#: The cycle with ``dry_run``: a job of its own, so the hourly schedule never takes it for the real one.
FLYWHEEL_DRY_RUN_JOB: Final = "flywheel.dry_run"
#: The job that embeds stored session questions into topics and gaps, alone (``luna data``).
VECTOR_INGEST_JOB: Final = "flywheel.vector_ingest"
#: Sessions the normalisation looks at when asked alone: the days before now.
VECTOR_INGEST_DAYS: Final = 8
#: Luna's own conversations are looked at this far back (a conversation may gain turns for days).
OWN_SESSIONS_LOOKBACK: Final = timedelta(days=7)

Progress = Callable[[float, str], None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CycleResult:
    own_conversations: int
    own_sessions_changed: int
    sessions: int
    turns: int
    kpi_values: int
    alerts_firing: int
    alert_changes: int
    topics: int
    knowledge_gaps: list[str]
    actions_opened: int

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class FlywheelCycle:
    def __init__(
        self,
        own_sessions: OwnSessions,
        normaliser: SessionNormaliser,
        kpis: KpiService,
        alerts: AlertService,
        actions: ActionService,
        *,
        collect_own: bool,
        clock: Callable[[], datetime] = _utc_now,
        on_alerts: Callable[[Sequence[AlertChange]], str | None] | None = None,
    ) -> None:
        """``on_alerts`` sees every alert change of a run (the fine-tuning fallback rolls back on it)."""
        self._own = own_sessions
        self._normaliser = normaliser
        self._kpis = kpis
        self._alerts = alerts
        self._actions = actions
        self._collect_own = collect_own
        self._clock = clock
        self._on_alerts = on_alerts

    def run(self, progress: Progress | None = None, *, dry_run: bool = False) -> CycleResult:
        """Collect, normalise, compute, judge; ``dry_run`` stores no alert change and sends nothing."""
        report = progress or (lambda fraction, message: None)
        now = self._clock()
        own_conversations = own_changed = 0
        if self._collect_own:
            report(0.05, "Eigene Gespräche werden übernommen")
            own = self._own.collect(now - OWN_SESSIONS_LOOKBACK, now + timedelta(microseconds=1))
            own_conversations = own.conversations
            own_changed = sum(1 for result in own.results if result.outcome.value in ("stored", "revised"))
        since = bucket_start(now, Window.WEEK) - timedelta(weeks=1)
        normalised = self._normaliser.run(
            since,
            now + timedelta(microseconds=1),
            lambda fraction, message: report(0.1 + 0.5 * fraction, message),
        )
        report(0.6, "Kennzahlen werden berechnet")
        kpis = self._kpis.compute(since)
        report(0.8, "Schwellenwerte werden geprüft")
        judged = self._alerts.evaluate(dry_run=dry_run)
        opened = []
        if not dry_run:
            self._actions.refresh()
            opened = self._actions.create_for(judged.changes, self._alerts.thresholds(), normalised.gaps)
            fallback = self._on_alerts(judged.changes) if self._on_alerts is not None else None
            if fallback:
                report(0.9, fallback)
        alarms = "1 Alarm" if judged.firing == 1 else f"{judged.firing} Alarme"
        report(1.0, f"{kpis.values} Kennzahlen, {alarms} aktiv")
        return CycleResult(
            own_conversations=own_conversations,
            own_sessions_changed=own_changed,
            sessions=kpis.sessions,
            turns=kpis.turns,
            kpi_values=kpis.values,
            alerts_firing=judged.firing,
            alert_changes=len(judged.changes),
            topics=len(normalised.topics),
            knowledge_gaps=[gap.topic for gap in normalised.gaps],
            actions_opened=len(opened),
        )


def hourly_run_due(jobs: JobService, now: datetime) -> bool:
    """Due when no cycle was queued in this clock hour and none is queued or running."""
    newest, _ = jobs.list(None, FLYWHEEL_JOB, 1, 0)
    if not newest:
        return True
    job = newest[0]
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        return False
    return job.created_at is None or job.created_at < bucket_start(now, Window.HOUR)
