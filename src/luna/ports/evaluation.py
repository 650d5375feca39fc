"""Kept evaluation runs: written once, never overwritten, read by the CLI, the admin API and gates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from luna.domain.evaluation_runs import EvalRun


class EvalRunRepository(Protocol):
    def add(self, run: EvalRun) -> None:
        """Keep ``run``; a run ID that exists already raises ``Conflict`` (a run is never replaced)."""
        ...

    def get(self, run_id: str) -> EvalRun | None: ...

    def list(self, *, limit: int) -> Sequence[EvalRun]:
        """The newest runs first."""
        ...
