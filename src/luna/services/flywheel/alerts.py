"""Thresholds judged against the newest KPIs: alert states in SQL, changes logged and sent on.

The thresholds file is read once per process and checked completely (errors name the line), so a
mistake stops ``luna serve`` at start instead of silently never alerting. Evaluation is
de-duplicated by the stored states: judging the same KPIs twice changes nothing and sends nothing.
A receiver that cannot be reached is logged; the alert stays in SQL and in the dashboard.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import structlog

from luna.domain.errors import InvalidInput, Unavailable
from luna.domain.flywheel.alerts import (
    AlertChange,
    AlertState,
    alertmanager_payload,
    evaluate,
    generic_payload,
)
from luna.domain.flywheel.thresholds import Threshold, ThresholdError, load_thresholds
from luna.ports.flywheel import AlertNotifier
from luna.ports.sql import Database

log = structlog.stdlib.get_logger("luna.flywheel")

#: Changes listed by the dashboard and ``luna alerts``.
HISTORY_LIMIT: Final = 200


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Judgement:
    states: list[AlertState]
    changes: list[AlertChange]
    #: Whether the changes reached the receiver (None: none configured, or nothing to send).
    delivered: bool | None

    @property
    def firing(self) -> int:
        return sum(1 for state in self.states if state.firing)


class AlertService:
    def __init__(
        self,
        database: Database,
        thresholds_file: Path,
        notifier: AlertNotifier | None,
        *,
        payload_format: Literal["alertmanager", "generic"],
        external_url: str,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._database = database
        self._file = thresholds_file
        self._notifier = notifier
        self._format = payload_format
        self._external_url = external_url
        self._clock = clock
        self._thresholds: tuple[Threshold, ...] | None = None
        self._lock = threading.Lock()

    def thresholds(self) -> tuple[Threshold, ...]:
        """The thresholds file, read and checked once; ``InvalidInput`` names every line at fault."""
        with self._lock:
            if self._thresholds is None:
                self._thresholds = read_thresholds(self._file)
            return self._thresholds

    def evaluate(self, *, dry_run: bool = False) -> Judgement:
        thresholds = self.thresholds()
        now = self._clock()
        with self._database.unit_of_work() as uow:
            previous = uow.alerts.states()
            states, changes = evaluate(thresholds, uow.kpis.latest(), previous, now)
            if dry_run:
                return Judgement(sorted(states.values(), key=_order), changes, None)
            uow.alerts.put_states(states.values())
            uow.alerts.add_changes(changes)
            uow.commit()
        for change in changes:
            log.warning(
                "alert_changed",
                threshold=change.threshold,
                scope=change.scope,
                before=_name(change.before),
                after=_name(change.after),
                value=change.value,
                samples=change.samples,
            )
        return Judgement(sorted(states.values(), key=_order), changes, self._deliver(changes))

    def states(self) -> list[AlertState]:
        with self._database.unit_of_work(read_only=True) as uow:
            return sorted(uow.alerts.states().values(), key=_order)

    def history(self, limit: int = HISTORY_LIMIT) -> list[AlertChange]:
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.alerts.changes(limit=limit))

    def _deliver(self, changes: list[AlertChange]) -> bool | None:
        if self._notifier is None or not changes:
            return None
        payload: dict[str, Any] = (
            alertmanager_payload(changes, external_url=self._external_url)
            if self._format == "alertmanager"
            else generic_payload(changes)
        )
        try:
            self._notifier.send(payload)
        except Unavailable as error:
            log.error("alert_delivery_failed", error=error.message, changes=len(changes))
            return False
        return True


def read_thresholds(path: Path) -> tuple[Threshold, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"The thresholds file {path} cannot be read: {error.strerror}.") from error
    try:
        return load_thresholds(text, source=str(path))
    except ThresholdError as error:
        raise InvalidInput(str(error)) from error


def _order(state: AlertState) -> tuple[int, str, str]:
    return (0 if state.firing else 1, state.threshold, state.scope)


def _name(severity: object) -> str | None:
    return None if severity is None else str(severity)
