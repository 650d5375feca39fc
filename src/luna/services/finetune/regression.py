"""A candidate adapter on the evaluation core's regression sets: Luna's own answer path, end to end.

The test split shows whether the candidate learned its examples; the regression sets show whether
Luna as a whole still answers the golden questions (those of ``luna eval``, and those the datasets
capability writes to ``<data_dir>/eval/golden/``) once the adapter writes the answers. Each contender
— the candidate, and the champion it would replace (or the base model when there is none) — answers
every question through the real retrieval, the answer gate, the citation and the number checks, and
the evaluation core keeps both runs, so ``luna eval compare`` lists the questions that got worse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from luna.domain.answers import ChatMessage
from luna.domain.errors import LunaError
from luna.domain.evaluation import GoldenQuestion
from luna.domain.evaluation_runs import EvalRun, compare_runs
from luna.domain.finetune.config import EvaluationSection
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.chat import ChatModel
from luna.ports.finetune import AnswerGenerator
from luna.services.evaluation.evaluation import EvaluationService, read_golden_sets

#: Builds the evaluation core around a chat model (composition root: Luna's retrieval, gate, prompts).
EvaluationFor = Callable[[ChatModel], EvaluationService]


class ContenderChat:
    """A base model with or without a LoRA adapter as Luna's chat model (greedy, so runs repeat)."""

    def __init__(
        self,
        generator: AnswerGenerator,
        base_model: Path,
        adapter: Path | None,
        max_new_tokens: int,
        label: str,
    ) -> None:
        self._generator, self._base, self._adapter = generator, base_model, adapter
        self._max_new_tokens, self._label = max_new_tokens, label

    @property
    def model_name(self) -> str:
        return self._label

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        turns = [{"role": m.role, "content": m.content} for m in messages]
        yield self._generator.answers(self._base, self._adapter, [turns], self._max_new_tokens)[0]

    def warm_up(self) -> None:
        """Nothing to do: the generator loads the model on the first question."""

    def health(self) -> ComponentHealth:
        return ComponentHealth("chat", HealthStatus.UP, "finetune-evaluation", detail=self._label)


def regression_files(entries: Sequence[str], data_dir: Path) -> list[Path]:
    """The golden-set files the template names: files or folders (every ``*.yaml`` in it), relative to
    the data dir unless absolute; a folder that does not exist names no set."""
    files: list[Path] = []
    for entry in entries:
        path = _under(data_dir, entry)
        # An existing file counts whatever its name (one without a suffix was skipped and its gate
        # passed); a path with a suffix counts even when missing, so the gate says it is gone.
        files += (
            sorted(path.glob("*.yaml")) if path.is_dir() else [path] if path.suffix or path.is_file() else []
        )
    return files


def _under(data_dir: Path, entry: str) -> Path:
    return Path(entry) if Path(entry).is_absolute() else data_dir / entry


class RegressionEvaluation:
    def __init__(self, evaluation_for: EvaluationFor, data_dir: Path) -> None:
        self._evaluation_for, self._data_dir = evaluation_for, data_dir

    def run(
        self,
        generator: AnswerGenerator,
        base_model: Path,
        contenders: dict[str, Path | None],
        settings: EvaluationSection,
        label: str,
    ) -> dict[str, Any]:
        """``contenders``: ``candidate`` and its opponent (``champion`` or ``base``) → adapter folder.

        Returns the figures of both runs, their ids and the questions that got worse; ``error`` names
        what kept the sets from being asked (a missing file, a document the knowledge base lacks)."""
        files = regression_files(settings.regression_sets, self._data_dir)
        if not files:
            return {"sets": [], "note": "keine Regressionssätze"}
        documents = (
            _under(self._data_dir, settings.regression_documents) if settings.regression_documents else None
        )
        if documents is not None and not documents.is_dir():
            return {
                "sets": [str(f) for f in files],
                "error": f"evaluation.regression_documents: {documents} ist kein Ordner",
            }
        try:
            # the first questions in file order, so every run of a template asks the same ones
            questions = read_golden_sets(files)[: settings.regression_questions]
            runs = {
                kind: self._ask(
                    generator, base_model, adapter, settings, questions, documents, f"{kind} {label}"
                )
                for kind, adapter in contenders.items()
            }
        except LunaError as error:
            return {"sets": [str(f) for f in files], "error": error.message}
        opponent = next(kind for kind in runs if kind != "candidate")
        comparison = compare_runs(runs[opponent], runs["candidate"])
        return {
            "sets": [str(f) for f in files],
            "questions": len(questions),
            "opponent": opponent,
            "runs": {kind: run.run_id for kind, run in runs.items()},
            "score": correct_share(runs["candidate"]),
            "opponent_score": correct_share(runs[opponent]),
            "answer_holds_needle": runs["candidate"].figures.answer_holds_needle,
            "refusal_rate": runs["candidate"].figures.refusal_rate,
            "false_number_warnings": runs["candidate"].figures.false_number_warnings,
            "worse": [change.question_id for change in comparison.worse],
            "better": [change.question_id for change in comparison.better],
        }

    def _ask(
        self,
        generator: AnswerGenerator,
        base_model: Path,
        adapter: Path | None,
        settings: EvaluationSection,
        questions: Sequence[GoldenQuestion],
        documents: Path | None,
        name: str,
    ) -> EvalRun:
        chat = ContenderChat(generator, base_model, adapter, settings.max_new_tokens, name)
        return self._evaluation_for(chat).run(questions, split="all", name=name, documents_dir=documents)


def correct_share(run: EvalRun) -> float:
    """Share of questions Luna got right: an answerable one answered with its needle or figure in the
    first paragraph, an unanswerable one refused."""
    right = [o.answer_holds_needle if o.answerable else o.refused for o in run.outcomes]
    return sum(right) / len(right) if right else 0.0
