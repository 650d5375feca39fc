"""What a pipeline run leaves behind: the run, the immutable dataset version, its lineage and deliveries.

A version is content-addressed: its ``content_sha256`` is the hash of the Parquet bytes, so running a
pipeline again over unchanged inputs finds the version it made before instead of adding a new one.
Lineage edges name each input (a source with the hash of what was read, or another dataset's version),
so lineage can be read both ways: what made this version, and where a source went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from luna.domain.datasets.quality import GateFailure, read_gate_failure

RunStatus = Literal["running", "succeeded", "failed"]
DeliveryStatus = Literal["delivered", "failed", "rolled_back"]
InputKind = Literal["source", "dataset"]


@dataclass(frozen=True, slots=True)
class DatasetRun:
    """One execution of a pipeline file; ``report`` holds what each step did (counts and examples)."""

    run_id: str
    pipeline: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    job_id: str | None = None
    error: str | None = None
    version_id: str | None = None
    report: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """One input of a version: ``input_ref`` is a source's address (``file:…``, ``url:…``, ``luna:feedback``)
    or a dataset's name; ``input_version`` the SHA-256 of what was read or the input version's id."""

    version_id: str
    input_kind: InputKind
    input_ref: str
    input_version: str
    records: int


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """An immutable output of a run: Parquet at ``blob_key``, numbered per dataset from 1."""

    version_id: str
    dataset: str
    number: int
    content_sha256: str
    run_id: str
    record_type: str
    blob_key: str
    records: int
    created_at: datetime
    code_version: str
    #: Every quality figure of the dataset (completeness, validity, …, score, confidence).
    quality: dict[str, Any]
    #: The pipeline's steps with their parameters and the counts each changed, in order.
    steps: list[dict[str, Any]]
    #: The gates the version failed as stored (``key: German text``); empty when it may be distributed.
    gate_failures: tuple[str, ...] = ()

    @property
    def gates_passed(self) -> bool:
        return not self.gate_failures

    @property
    def failed_gates(self) -> tuple[GateFailure, ...]:
        """The failed gates as readers are shown them: each gate's key and its German text."""
        return tuple(read_gate_failure(failure) for failure in self.gate_failures)

    @property
    def gate_texts(self) -> list[str]:
        """Just the German texts, for a line that lists them (the CLI, messages)."""
        return [failure.message for failure in self.failed_gates]


@dataclass(frozen=True, slots=True)
class Delivery:
    """Which version of a dataset a consumer uses, and how the last hand-over went."""

    consumer: str
    dataset: str
    version_id: str
    status: DeliveryStatus
    attempts: int
    updated_at: datetime
    error: str | None = None
    #: What the consumer made of it (rows written, files, split sizes …).
    detail: dict[str, Any] = field(default_factory=dict)
