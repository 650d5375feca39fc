"""What a training run is asked to do and what it reports: plain values the service and trainers share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: One chat example: {"role", "content"} turns, the assistant's last when it is a training example.
ChatExample = Sequence[Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class BaseModelFiles:
    #: The Hugging Face folder training and evaluation load.
    hf_folder: Path
    #: The GGUF llama.cpp serves with the adapter; None when the base came as a folder.
    gguf: Path | None


@dataclass(frozen=True, slots=True)
class LoraShape:
    r: int
    alpha: int
    dropout: float
    target_modules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TrainRequest:
    base_model: Path
    output_dir: Path
    train: Sequence[ChatExample]
    val: Sequence[ChatExample]
    lora: LoraShape
    learning_rate: float
    epochs: float
    max_steps: int
    batch_size: int
    grad_accum: int
    max_length: int
    seed: int
    #: ``auto`` (bf16 on CUDA that supports it, else fp32), ``fp32`` or ``bf16``.
    precision: str
    save_every_steps: int
    #: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
    device: str = "auto"


@dataclass(frozen=True, slots=True)
class TrainOutcome:
    adapter_dir: Path
    steps: int
    #: ``None`` when the run went to its planned end, else why it stopped early (budget, cancel).
    stopped: str | None
    resumed_from_step: int
    metrics: Mapping[str, float] = field(default_factory=dict)
    #: Loss and learning rate per logged step, for tracking.
    history: Sequence[Mapping[str, Any]] = ()
    device: str = "cpu"
    precision: str = "fp32"
