"""The safe fallback when answers get worse: a KPI threshold that turns critical while a fine-tuned
adapter serves rolls that adapter back (issue #17, seed 004 "Rollback und sichere Fallbacks").

The flywheel's hourly cycle judges the KPI thresholds and hands every change to this hook. Only a
change *into* critical of a threshold named in ``finetune.rollback_on_alerts`` counts, and only for a
champion promoted before the alert: a champion promoted after it has not caused it. The rollback is
the registry's (the previous champion, or the base model), audited with the threshold as the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from luna.domain.flywheel.alerts import AlertChange
from luna.domain.flywheel.thresholds import Severity
from luna.services.finetune.registry import AdapterRegistry

log = logging.getLogger(__name__)


class KpiFallback:
    def __init__(self, registry: AdapterRegistry, adapter: str | None, thresholds: Sequence[str]) -> None:
        self._registry = registry
        self._adapter = adapter
        self._thresholds = frozenset(thresholds)

    def __call__(self, changes: Sequence[AlertChange]) -> str | None:
        """Roll back when a watched threshold became critical; returns what was done, for the report."""
        critical = [
            c
            for c in changes
            if c.threshold in self._thresholds
            and c.after is Severity.CRITICAL
            and c.before is not Severity.CRITICAL
        ]
        if self._adapter is None or not critical:
            return None
        champion = self._registry.champion(self._adapter)
        first = min(critical, key=lambda c: c.at)
        if champion is None or champion.promoted_at is None or champion.promoted_at > first.at:
            return None
        restored = self._registry.rollback(
            self._adapter, "flywheel", reason=f"{first.threshold} kritisch ({first.value:g})"
        )
        done = f"{champion.label} zurückgerollt ({first.threshold} kritisch); es antwortet " + (
            restored.label if restored is not None else "das Basismodell"
        )
        log.warning("finetune.kpi_rollback", extra={"adapter": champion.label, "threshold": first.threshold})
        return done
