"""Bodies of ``/api/v1/admin/finetune``: registered adapter versions, promotion, rollback and runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from luna.domain.finetune.registry import AdapterState, AdapterVersion

#: The figures an operator compares versions by; a version's full report is in its detail.
KEY_METRICS = (
    "win_rate_vs_base",
    "win_rate_vs_champion",
    "rouge_l",
    "bleu",
    "citation_validity",
    "refusal_correctness",
    "canary_leaks",
    "pii_leaks",
)


def _figure(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class AdapterOut(BaseModel):
    name: str
    version: int
    label: str = Field(description="`<name>@v<version>`")
    state: AdapterState = Field(description="candidate, champion (serves), archived or rolled_back")
    dataset: str = Field(description="`<dataset>@v<number>` it was trained on")
    base_model: str
    run_id: str = Field(
        description="The run folder that made it (`<name>-<date>-<time>-<hex>` or `job-<id>`)"
    )
    created_at: datetime
    promoted_at: datetime | None = Field(description="When it last became champion")
    gates_passed: bool = Field(description="Whether it passed every gate when it was registered")
    key_metrics: dict[str, float | None] = Field(
        description="win_rate_vs_base, win_rate_vs_champion, rouge_l, bleu, citation_validity, "
        "refusal_correctness, canary_leaks, pii_leaks (null: not measured)"
    )
    note: str | None

    @classmethod
    def from_adapter(cls, adapter: AdapterVersion) -> AdapterOut:
        return cls.model_validate(_fields(adapter))


class AdapterList(BaseModel):
    adapters: list[AdapterOut]


class GateCheckOut(BaseModel):
    gate: str
    value: float | None = Field(None, description="What was measured (null: not measured)")
    threshold: float | None = None
    passed: bool = False
    note: str | None = None


class AdapterDetailOut(AdapterOut):
    metrics: dict[str, Any] = Field(description="The whole evaluation and training report")
    gate_checks: list[GateCheckOut]
    model_card: str | None = Field(description="The version's model card (Markdown); null when missing")

    @classmethod
    def from_detail(cls, adapter: AdapterVersion, model_card: str | None) -> AdapterDetailOut:
        checks = adapter.gates.get("checks")
        gate_checks = [
            GateCheckOut.model_validate(check)
            for check in (checks if isinstance(checks, list) else [])
            if isinstance(check, Mapping)
        ]
        return cls.model_validate(
            {
                **_fields(adapter),
                "metrics": dict(adapter.metrics),
                "gate_checks": gate_checks,
                "model_card": model_card,
            }
        )


def _fields(adapter: AdapterVersion) -> dict[str, Any]:
    return {
        "name": adapter.name,
        "version": adapter.version,
        "label": adapter.label,
        "state": adapter.state,
        "dataset": adapter.dataset,
        "base_model": adapter.base_model,
        "run_id": adapter.run_id,
        "created_at": adapter.created_at,
        "promoted_at": adapter.promoted_at,
        "gates_passed": bool(adapter.gates.get("passed")),
        "key_metrics": {key: _figure(adapter.metrics.get(key)) for key in KEY_METRICS},
        "note": adapter.note,
    }


class PromoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = Field(False, strict=True, description="Promote although a gate failed (audited as forced)")


class RollbackOut(BaseModel):
    restored: int | None = Field(description="The version that serves again; null: the base model serves")


class FinetuneRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: str | None = Field(
        None,
        min_length=1,
        max_length=1_000,
        description=(
            "A LoRA template Luna ships (`config/finetune/`) or one in `<data_dir>/finetune/templates/`, "
            "by name (`lora`) or path; null: the configured template"
        ),
    )
    resume: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="A stopped run's ID to resume (`luna finetune status`)",
    )
