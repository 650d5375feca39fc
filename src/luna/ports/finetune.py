"""Fine-tuning's capabilities: the adapter registry, a LoRA trainer, answer generation with an adapter,
and experiment tracking. Training and generation sit behind ports because they bring torch,
transformers, PEFT and TRL: the service decides *what* is trained and judged, the adapters *how*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from luna.domain.finetune.registry import AdapterState, AdapterVersion
from luna.domain.finetune.reviews import ReviewVote
from luna.domain.finetune.training import BaseModelFiles, ChatExample, TrainOutcome, TrainRequest


class AdapterRepository(Protocol):
    def add(self, adapter: AdapterVersion) -> None:
        """Keep a new version; an existing (name, version) raises ``Conflict``."""
        ...

    def next_version(self, name: str) -> int:
        """1 for a new name, else the highest version + 1."""
        ...

    def get(self, name: str, version: int) -> AdapterVersion | None: ...

    def list(self, name: str | None = None, *, limit: int = 100) -> Sequence[AdapterVersion]:
        """Newest first (by name, then version descending)."""
        ...

    def champion(self, name: str) -> AdapterVersion | None: ...

    def set_state(
        self, name: str, version: int, state: AdapterState, *, promoted_at: datetime | None = None
    ) -> None:
        """Move a version to ``state``; ``promoted_at`` (when given) is recorded too."""
        ...


class ReviewRepository(Protocol):
    """People's blind votes on a version's review pairs; kept, never changed (a new vote replaces an
    earlier one of the same reviewer and pair only in the count)."""

    def add(self, vote: ReviewVote) -> None:
        """Keep a vote; an existing ``review_id`` raises ``Conflict``."""
        ...

    def for_version(self, name: str, version: int) -> Sequence[ReviewVote]:
        """Every vote on the version, oldest first."""
        ...


#: Called with (step, total steps, a short message) while training runs.
Progress = Callable[[int, int, str], None]
#: Asked between steps: a reason to stop now (cancel, budget), or None to go on.
StopReason = Callable[[], str | None]


class LoraTrainer(Protocol):
    def base(self, spec: str, cache_dir: Path) -> BaseModelFiles:
        """The template's ``base_model`` as a folder to train on (a GGUF converted once, cached)."""
        ...

    def check_base(self, spec: str) -> None:
        """Unavailable (its package is not installed) or InvalidInput (no such file or folder) unless
        ``base_model`` can be trained on; nothing is loaded."""
        ...

    def train(self, request: TrainRequest, progress: Progress, should_stop: StopReason) -> TrainOutcome:
        """Train a LoRA adapter into ``request.output_dir`` (resuming from its last checkpoint)."""
        ...

    def export_gguf(self, adapter_dir: Path, base_model: Path, target: Path) -> None:
        """Write the adapter as a llama.cpp LoRA GGUF for the base model it was trained on."""
        ...


class AnswerGenerator(Protocol):
    def answers(
        self, base_model: Path, adapter_dir: Path | None, prompts: Sequence[ChatExample], max_new_tokens: int
    ) -> list[str]:
        """Greedy answers of the base model (with the adapter when given) to each prompt's turns."""
        ...


class ExperimentTracker(Protocol):
    def start(self, run_name: str, params: Mapping[str, Any], tags: Mapping[str, str]) -> str:
        """Open a run; returns its ID."""
        ...

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None: ...

    def log_artifacts(self, folder: Path, artifact_path: str) -> None: ...

    def finish(self, status: str) -> None:
        """Close the run: ``FINISHED``, ``FAILED`` or ``KILLED``."""
        ...

    def set_alias(self, model_name: str, alias: str, run_id: str, version_tag: str) -> None:
        """Keep the registry's state in the tracker (``champion`` alias on the promoted version)."""
        ...

    def remove_alias(self, model_name: str, alias: str) -> None:
        """No version holds ``alias`` any more (a rollback to the base model)."""
        ...
