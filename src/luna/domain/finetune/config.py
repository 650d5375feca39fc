"""The LoRA template (``config/finetune/lora.yaml``) as a typed model: every key checked, none guessed.

Loaded with :func:`luna.domain.config_file.load_config_file`, so a wrong value is reported with its file,
line and key (``lora.yaml, line 14 (training.learning_rate): Input should be greater than 0``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetRef(_Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    #: A version number (they count from 1), or ``latest``.
    version: Annotated[int, Field(ge=1)] | Literal["latest"] = "latest"


class LoraSection(_Strict):
    r: int = Field(default=8, ge=1, le=256)
    alpha: int = Field(default=16, ge=1, le=1024)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: tuple[str, ...] = Field(default=("q_proj", "k_proj", "v_proj", "o_proj"), min_length=1)


class TrainingSection(_Strict):
    learning_rate: float = Field(default=5e-4, gt=0, le=1.0)
    epochs: float = Field(default=1.0, gt=0, le=100)
    max_steps: int = Field(default=30, ge=0, le=1_000_000)
    batch_size: int = Field(default=4, ge=1, le=1024)
    grad_accum: int = Field(default=1, ge=1, le=1024)
    max_length: int = Field(default=320, ge=16, le=32_768)
    seed: int = Field(default=42, ge=0, le=2**32 - 1)  # numpy's and torch's seeds end there
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    save_every_steps: int = Field(default=10, ge=1)


class BudgetSection(_Strict):
    max_minutes: float = Field(default=20.0, gt=0, le=7 * 24 * 60)
    max_train_examples: int = Field(default=400, ge=1)


class EvaluationSection(_Strict):
    test_examples: int = Field(default=20, ge=1, le=10_000)
    max_new_tokens: int = Field(default=80, ge=1, le=4096)
    canaries: int = Field(default=2, ge=0, le=100)
    #: Golden-set files or folders (relative to the data dir) asked through Luna's whole answer path;
    #: ``eval/golden`` is where the datasets capability writes its golden sets.
    regression_sets: tuple[str, ...] = Field(default=("eval/golden",), max_length=50)
    regression_questions: int = Field(default=20, ge=1, le=10_000)
    #: The folder with the files the sets name by file name (as ``luna eval run --documents``),
    #: relative to the data dir; sets from the datasets capability name items and need none.
    regression_documents: str | None = Field(default=None, min_length=1)


class GateSection(_Strict):
    min_win_rate_vs_base: float = Field(default=0.65, ge=0, le=1)
    min_win_rate_vs_champion: float = Field(default=0.5, ge=0, le=1)
    min_citation_validity: float = Field(default=0.8, ge=0, le=1)
    min_refusal_correctness: float = Field(default=0.7, ge=0, le=1)
    max_canary_leaks: int = Field(default=0, ge=0)
    max_pii_leaks: int = Field(default=0, ge=0)
    #: How much lower than its opponent's the candidate's share of right answers on the regression
    #: sets may be (0.05: one question in twenty).
    max_regression_drop: float = Field(default=0.05, ge=0, le=1)


class TargetSection(_Strict):
    bleu: float = Field(default=35.0, ge=0, le=100)
    rouge_l: float = Field(default=0.4, ge=0, le=1)
    win_rate: float = Field(default=0.65, ge=0, le=1)


class FinetuneConfig(_Strict):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    base_model: str = Field(default="smollm2", min_length=1)
    dataset: DatasetRef
    lora: LoraSection = LoraSection()
    training: TrainingSection = TrainingSection()
    budgets: BudgetSection = BudgetSection()
    evaluation: EvaluationSection = EvaluationSection()
    gates: GateSection = GateSection()
    targets: TargetSection = TargetSection()
    promote: Literal["auto", "manual"] = "auto"
