"""The adapter registry: which fine-tuned version serves, promotion and rollback, audited.

Files of a version lie in the blob store under ``models/finetune/<name>/v<version>/`` (the PEFT adapter,
``adapter.gguf`` for llama.cpp, the template, metrics, gate results and a model card); states live in
SQL. The chat backend asks :meth:`AdapterRegistry.serving_gguf` which adapter file to load, a local copy
of the champion's, so every API process serves the same version after a promotion or a rollback.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from luna.domain.errors import Conflict, NotFound
from luna.domain.finetune.registry import AdapterState, AdapterVersion, previous_champion
from luna.domain.finetune.reviews import champion_threshold, human_win_rate
from luna.domain.scores import AuditEntry
from luna.ports.blobs import BlobStore
from luna.ports.finetune import ExperimentTracker
from luna.ports.sql import Database, UnitOfWork

GGUF_FILE = "adapter.gguf"
#: Test questions with the candidate's and its opponent's answers, for the human review panel.
REVIEW_FILE = "review.json"


def blob_prefix(name: str, version: int) -> str:
    return f"models/finetune/{name}/v{version}"


class AdapterRegistry:
    def __init__(
        self,
        database: Database,
        blobs: BlobStore,
        cache_dir: Path,
        tracker: Callable[[], ExperimentTracker],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = database
        self._blobs = blobs
        self._cache = cache_dir
        self._tracker = tracker
        self._clock = clock

    def list(self, name: str | None = None) -> builtins.list[AdapterVersion]:
        with self._db.unit_of_work(read_only=True) as uow:
            return list(uow.finetune_adapters.list(name))

    def get(self, name: str, version: int) -> AdapterVersion:
        with self._db.unit_of_work(read_only=True) as uow:
            found = uow.finetune_adapters.get(name, version)
        if found is None:
            raise NotFound(f"No adapter {name}@v{version}.")
        return found

    def champion(self, name: str) -> AdapterVersion | None:
        with self._db.unit_of_work(read_only=True) as uow:
            return uow.finetune_adapters.champion(name)

    def promote(self, name: str, version: int, actor: str, *, force: bool = False) -> AdapterVersion:
        """Make a version the champion; one that failed its gates, or whose human reviewers' win-rate is
        below its champion gate's threshold, only with ``force`` (audited, with the human win-rate)."""
        now = self._clock()
        with self._db.unit_of_work() as uow:
            target = uow.finetune_adapters.get(name, version)
            if target is None:
                raise NotFound(f"No adapter {name}@v{version}.")
            if target.state is AdapterState.CHAMPION:
                raise Conflict(f"{target.label} is the champion already")
            if not target.gates.get("passed") and not force:
                raise Conflict(f"{target.label} failed its gates; promote it with force to override")
            human = human_win_rate(uow.finetune_reviews.for_version(name, version))
            _check_human_review(target, human, force)
            current = uow.finetune_adapters.champion(name)
            if current is not None:
                uow.finetune_adapters.set_state(name, current.version, AdapterState.ARCHIVED)
            uow.finetune_adapters.set_state(name, version, AdapterState.CHAMPION, promoted_at=now)
            self._audit(
                uow,
                actor,
                "finetune.promote",
                target,
                {
                    "replaced": None if current is None else current.version,
                    "force": force,
                    "human_win_rate": human,
                },
            )
            uow.commit()
        self._alias(self.get(name, version))
        return self.get(name, version)

    def rollback(self, name: str, actor: str, *, reason: str | None = None) -> AdapterVersion | None:
        """Retire the champion and restore the one promoted before it; None: the base model serves."""
        with self._db.unit_of_work() as uow:
            current = uow.finetune_adapters.champion(name)
            if current is None and not uow.finetune_adapters.list(name):
                raise NotFound(f"No adapter named {name!r}.")
            if current is None:
                raise Conflict(f"{name} has no champion to roll back")
            restored = previous_champion(uow.finetune_adapters.list(name), current)
            uow.finetune_adapters.set_state(name, current.version, AdapterState.ROLLED_BACK)
            if restored is not None:
                # Its promotion time stays: the next rollback goes further back, not forth again.
                uow.finetune_adapters.set_state(name, restored.version, AdapterState.CHAMPION)
            details: dict[str, object] = {
                "restored": None if restored is None else restored.version,
                "reason": reason,
            }
            self._audit(uow, actor, "finetune.rollback", current, details)
            uow.commit()
        if restored is not None:
            self._alias(self.get(name, restored.version))
        else:
            self._tracker().remove_alias(name, "champion")
        return None if restored is None else self.get(name, restored.version)

    def serving_gguf(self, name: str) -> Path | None:
        """A local copy of the champion's llama.cpp adapter; None when there is no champion (or no file)."""
        champion = self.champion(name)
        if champion is None:
            return None
        key = f"{champion.blob_prefix}/{GGUF_FILE}"
        local = self._cache / name / f"v{champion.version}" / GGUF_FILE
        if not local.is_file():
            if not self._blobs.exists(key):
                return None
            local.parent.mkdir(parents=True, exist_ok=True)
            partial = local.with_name(local.name + f".{uuid.uuid4().hex}.partial")
            partial.write_bytes(self._blobs.get(key))
            partial.replace(local)
        return local

    def _alias(self, adapter: AdapterVersion) -> None:
        """Keep MLflow's ``champion`` alias in step (best effort: the registry in SQL is the record)."""
        run_id = str(adapter.metrics.get("mlflow_run_id") or "")
        if run_id:
            self._tracker().set_alias(adapter.name, "champion", run_id, f"v{adapter.version}")

    def _audit(
        self, uow: UnitOfWork, actor: str, action: str, target: AdapterVersion, details: dict[str, object]
    ) -> None:
        entry = AuditEntry(
            str(uuid.uuid4()), self._clock(), actor, action, f"adapter:{target.label}", dict(details)
        )
        uow.audit.add(entry)


def _check_human_review(target: AdapterVersion, human: float | None, force: bool) -> None:
    """People's blind votes count like the judge's: below the stored ``win_rate_vs_champion`` threshold
    a version is promoted only with ``force``. Without votes (or without that gate) nothing is checked."""
    threshold = champion_threshold(target.gates)
    if force or human is None or threshold is None or human >= threshold:
        return
    raise Conflict(
        f"{target.label}: the human reviewers' win-rate {human:.2f} is below the gate's {threshold:.2f}; "
        "promote it with force to override",
        details={"human_win_rate": human, "threshold": threshold},
    )
