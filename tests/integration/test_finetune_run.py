"""Fine-tuning end to end on a tiny model (issue #17): data → train → evaluate → register → promote,
rollback, the time budget, resume after a stop, and what the run records in MLflow.

The base model is a two-layer Llama with SmolLM2's tokenizer and random weights, so training takes
seconds; that llama.cpp serves a trained adapter is shown with SmolLM2 itself in
``test_finetune_serving.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from luna.container import Container, build_container
from luna.domain.errors import Conflict, InvalidInput
from luna.domain.finetune.registry import AdapterState
from luna.domain.prompt_versions import packaged_prompt_text
from luna.settings import Settings
from tests.integration.finetune_support import (
    DATASET,
    build_tiny_base,
    put_sft_splits,
    sft_example,
    write_template,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("tiny-llama"))


def _template(folder: Path, base: Path, **changes: Any) -> Path:
    """A template that trains four steps and judges three test examples (next free file in ``folder``)."""
    return write_template(
        folder,
        base,
        training={"max_steps": 4},
        evaluation={"test_examples": 3, "max_new_tokens": 6},
        **changes,
    )


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    c = build_container(make_settings(LUNA_FINETUNE__TRACKING="false"))
    c.database.upgrade()
    splits = {
        "train": [sft_example(i) for i in range(8)] + [sft_example(99, consent="no")],
        "val": [sft_example(i) for i in range(8, 10)],
        "test": [sft_example(i) for i in range(10, 13)] + [sft_example(3)],
    }
    put_sft_splits(c.blobs, DATASET, splits)
    yield c
    c.close()


def _quiet(fraction: float, message: str) -> None:
    assert 0.0 <= fraction <= 1.0 and message


def test_a_run_trains_evaluates_registers_and_promotes_an_adapter_that_passes_its_gates(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    result = container.finetune.service.run("test", _quiet, config_file=_template(tmp_path, tiny_base))

    assert (result["name"], result["version"], result["promoted"]) == ("tiny", 1, True)
    assert result["dataset"] == f"{DATASET}@v1"
    assert result["data"]["dropped_without_consent"] == 1  # the example without consent is not trained on
    assert result["data"]["dropped_as_leak"] == 1  # the test copy of a training question is not held out
    assert result["metrics"]["canary_leaks"] == 0 and result["metrics"]["steps"] == 4
    for figure in (
        "bleu",
        "rouge_l",
        "citation_validity",
        "refusal_correctness",
        "win_rate_vs_base",
        "tokens_per_second",
    ):
        assert isinstance(result["metrics"][figure], float), figure
    assert result["targets"]["bleu"]["target"] == 35.0
    assert result["metrics"]["judge"] == "reference"  # no chat model served elsewhere is configured
    champion = container.finetune.registry.champion("tiny")
    assert champion is not None and champion.version == 1 and champion.gates["passed"] is True
    files = container.blobs.list("models/finetune/tiny/v1/")
    assert {
        "models/finetune/tiny/v1/adapter/adapter_model.safetensors",
        "models/finetune/tiny/v1/model_card.md",
    } <= set(files)
    card = container.blobs.get("models/finetune/tiny/v1/model_card.md").decode()
    assert "ADAPTER ./adapter.gguf" in card and "--lora-modules" in card


def test_a_candidate_waits_for_promotion_and_rollback_restores_the_previous_champion(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    service, registry = container.finetune.service, container.finetune.registry
    service.run("test", _quiet, config_file=_template(tmp_path, tiny_base))
    second = service.run("test", _quiet, config_file=_template(tmp_path, tiny_base, promote="manual"))

    assert second["promoted"] is False and second["metrics"]["win_rate_vs_champion"] is not None
    assert registry.get("tiny", 2).state is AdapterState.CANDIDATE
    registry.promote("tiny", 2, "operator")
    assert [(v.version, v.state) for v in registry.list("tiny")] == [
        (2, AdapterState.CHAMPION),
        (1, AdapterState.ARCHIVED),
    ]
    with pytest.raises(Conflict):
        registry.promote("tiny", 2, "operator")

    restored = registry.rollback("tiny", "operator")
    assert restored is not None and restored.version == 1
    assert registry.champion("tiny") == registry.get("tiny", 1)
    assert registry.get("tiny", 2).state is AdapterState.ROLLED_BACK
    assert registry.rollback("tiny", "operator") is None  # nothing promoted before v1: the base model serves
    with pytest.raises(Conflict):
        registry.rollback("tiny", "operator")


def test_a_version_that_failed_its_gates_is_promoted_only_with_force(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    strict = {
        "min_win_rate_vs_base": 1.0,
        "min_citation_validity": 1.0,
        "min_refusal_correctness": 1.0,
        "min_win_rate_vs_champion": 1.0,
    }
    result = container.finetune.service.run(
        "test", _quiet, config_file=_template(tmp_path, tiny_base, gates=strict)
    )

    assert result["gates"]["passed"] is False and result["promoted"] is False
    with pytest.raises(Conflict, match="failed its gates"):
        container.finetune.registry.promote("tiny", 1, "operator")
    assert (
        container.finetune.registry.promote("tiny", 1, "operator", force=True).state is AdapterState.CHAMPION
    )


def test_a_cancelled_run_stops_after_a_checkpoint_and_resumes_from_it(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    asked = iter([False, False, True])  # before training, after step 1, after step 2
    stopped = container.finetune.service.run(
        "test", _quiet, lambda: next(asked, True), config_file=_template(tmp_path, tiny_base)
    )

    assert stopped["stopped"] == "abgebrochen" and stopped["steps"] == 2
    assert stopped["resume"] == f"luna finetune run --resume {stopped['run_id']}"
    assert container.finetune.registry.list("tiny") == []  # a stopped run registers nothing

    resumed = container.finetune.service.run("test", _quiet, resume=stopped["run_id"])
    assert resumed["metrics"]["resumed_from_step"] == 2 and resumed["metrics"]["steps"] == 4
    assert resumed["version"] == 1


def test_a_run_cancelled_before_training_trains_nothing(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    result = container.finetune.service.run(
        "test", _quiet, lambda: True, config_file=_template(tmp_path, tiny_base)
    )

    assert (result["stopped"], result["steps"]) == ("abgebrochen", 0)
    run = container.settings.data_dir / "finetune" / "runs" / result["run_id"]
    assert (run / "data.json").is_file() and not (run / "checkpoints").exists()


def test_the_time_budget_stops_a_run_and_leaves_an_audited_alert(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    result = container.finetune.service.run(
        "test", _quiet, config_file=_template(tmp_path, tiny_base, budgets={"max_minutes": 0.0001})
    )

    assert "Zeitbudget" in result["stopped"] and "gestoppt" in result["alert"]
    with container.database.unit_of_work(read_only=True) as uow:
        actions = [e.action for e in uow.audit.list(limit=20)]
    assert "finetune.stopped" in actions


def test_a_budget_that_runs_out_on_the_last_step_still_finishes_the_run(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    template = write_template(tmp_path, tiny_base, training={"max_steps": 1}, budgets={"max_minutes": 0.0001})
    result = container.finetune.service.run("test", _quiet, config_file=template)

    assert "stopped" not in result and result["version"] == 1 and result["metrics"]["steps"] == 1


def test_a_long_context_is_shortened_so_the_answer_is_trained_on(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    """TRL cuts a too-long example at its end, where the answer is, and then drops it: the context
    is shortened instead, so every example is trained on."""
    passage = "Der Netzbetreiber stellt die Entgelte für die Nutzung des Netzes in Rechnung. " * 40
    long_examples = []
    for i in range(4):
        example = sft_example(i)
        example["messages"][1]["content"] = (
            f"Kontext:\n[chunk c{i}] {passage}\n\nFrage: Was kostet Tarif {i}?"
        )
        long_examples.append(example)
    put_sft_splits(container.blobs, "long-qa", {"train": long_examples, "test": [sft_example(20)]})

    result = container.finetune.service.run(
        "test", _quiet, config_file=_template(tmp_path, tiny_base, dataset={"name": "long-qa"})
    )

    assert (
        result["metrics"]["examples_context_shortened"] == 4 and result["metrics"]["examples_too_long"] == 0
    )
    assert result["metrics"]["steps"] == 4


def test_a_template_with_a_wrong_value_is_refused_naming_the_key(
    container: Container, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: tiny\ndataset: {name: x}\ntraining:\n  learning_rate: -1\n", "utf-8")
    with pytest.raises(InvalidInput, match=r"line 4 \(training.learning_rate\)"):
        container.finetune.service.config(bad)
    seed = tmp_path / "seed.yaml"  # numpy's seeds end at 2**32 - 1: the run failed in numpy
    seed.write_text("name: tiny\ndataset: {name: x}\ntraining:\n  seed: 99999999999999999999\n", "utf-8")
    with pytest.raises(InvalidInput, match=r"line 4 \(training.seed\)"):
        container.finetune.service.config(seed)
    version = tmp_path / "version.yaml"  # dataset versions count from 1
    version.write_text("name: tiny\ndataset: {name: x, version: 0}\n", "utf-8")
    with pytest.raises(InvalidInput, match=r"dataset.version"):
        container.finetune.service.config(version)


def test_a_max_length_no_example_fits_in_is_said_so(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    """Every example too long ended in torch's "num_samples should be a positive integer value"."""
    template = write_template(tmp_path, tiny_base, training={"max_steps": 4, "max_length": 16})

    with pytest.raises(InvalidInput, match=r"No training example fits in training\.max_length = 16"):
        container.finetune.service.run("test", _quiet, config_file=template)


def test_a_layer_the_base_model_lacks_is_named_with_the_layers_it_has(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    """PEFT's own refusal was a long dump of its internals."""
    template = _template(tmp_path, tiny_base, lora={"target_modules": ["q_proj", "query_key_value"]})

    with pytest.raises(
        InvalidInput, match=r"does not have: query_key_value\. Its linear layers are: .*q_proj"
    ):
        container.finetune.service.run("test", _quiet, config_file=template)


def test_runs_are_tracked_in_mlflow_with_the_champion_alias(
    make_settings: Callable[..., Settings], tiny_base: Path, tmp_path: Path
) -> None:
    mlflow = pytest.importorskip("mlflow")
    c = build_container(make_settings())
    try:
        c.database.upgrade()
        put_sft_splits(
            c.blobs, DATASET, {"train": [sft_example(i) for i in range(6)], "test": [sft_example(20)]}
        )
        # A prompt version is active: the run records it (seed 003: versioned models and prompts).
        c.prompts.service.save(packaged_prompt_text() + "\n# Fassung 1\n", "test", "Fassung 1")
        result = c.finetune.service.run("test", _quiet, config_file=_template(tmp_path, tiny_base))
        assert result["metrics"]["prompt_version"] == 1
        client = mlflow.MlflowClient(
            tracking_uri=f"sqlite:///{(c.settings.data_dir / 'mlflow' / 'mlflow.db').resolve()}"
        )
        run = client.get_run(result["metrics"]["mlflow_run_id"])
        assert run.info.run_name.startswith("luna-finetune-") and run.info.status == "FINISHED"
        assert run.data.params["lora.r"] == "4" and run.data.tags["dataset"] == f"{DATASET}@v1"
        assert run.data.tags["prompt_version"] == "1"
        assert "loss" in run.data.metrics and "rouge_l" in run.data.metrics
        assert client.get_model_version_by_alias("tiny", "champion").tags["luna_version"] == "v1"
        c.finetune.registry.rollback("tiny", "test")  # back to the base model: no version is champion
        with pytest.raises(mlflow.exceptions.MlflowException):
            client.get_model_version_by_alias("tiny", "champion")
    finally:
        c.close()


def test_a_run_started_again_under_the_same_name_continues_where_it_stopped(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    """A job re-queued after its worker died passes the same run name and resumes its checkpoint."""
    asked = iter([False, False, True])  # before training, after step 1, after step 2
    template = _template(tmp_path, tiny_base)
    first = container.finetune.service.run(
        "test", _quiet, lambda: next(asked, True), config_file=template, run_name="job-42"
    )
    again = container.finetune.service.run("test", _quiet, config_file=template, run_name="job-42")

    assert first["run_id"] == again["run_id"] == "job-42" and first["steps"] == 2
    assert again["metrics"]["resumed_from_step"] == 2 and again["metrics"]["steps"] == 4
