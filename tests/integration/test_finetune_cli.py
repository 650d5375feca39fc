"""`luna finetune …` from the shell (issue #17): train a tiny adapter, see it listed as champion, read its
evaluation, keep a second run as a candidate, promote it, roll back, see the runs; a wrong version, a
wrong template value or an unknown run to resume is one clear red line and exit code 2.

The base model is a two-layer Llama with SmolLM2's tokenizer and random weights (as in
``test_finetune_run.py``), so a run takes seconds; the dataset's SFT files are written straight into
the blob store, as a promoted dataset version leaves them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from luna.cli import context as cli_context
from luna.cli.main import app
from luna.container import build_container
from luna.settings import load_settings
from tests.integration.finetune_support import (
    DATASET,
    build_tiny_base,
    put_sft_splits,
    small_sft_splits,
    write_template,
)
from tests.integration.support import cli_environment

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("restored_logging")]

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-layer Llama with random weights and SmolLM2's tokenizer: trains in seconds on the CPU."""
    return build_tiny_base(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(autouse=True)
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh data dir (no database yet: the commands must cope) holding the dataset's SFT files."""
    environment = cli_environment(monkeypatch, tmp_path, COLUMNS="200", LUNA_FINETUNE__TRACKING="false")
    container = build_container(load_settings())
    try:
        put_sft_splits(container.blobs, DATASET, small_sft_splits())
    finally:
        container.close()
    return environment


def luna(*args: str) -> Any:
    return runner.invoke(app, ["finetune", *args])


def test_with_no_adapter_registered_list_says_so() -> None:
    listed = luna("list")
    status = luna("status")

    assert listed.exit_code == 0, listed.output
    assert "No adapters registered yet." in listed.output
    assert status.exit_code == 0 and "No fine-tuning runs yet" in status.output, status.output


def test_an_adapter_is_trained_listed_evaluated_promoted_and_rolled_back_from_the_shell(
    tiny_base: Path, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    first = luna("run", "--config", str(write_template(tmp_path, tiny_base)))

    assert first.exit_code == 0, first.output
    assert f"Registered tiny@v1 from {DATASET}@v1" in first.output
    for gate in ("win_rate_vs_base", "citation_validity", "refusal_correctness", "canary_leaks"):
        assert f"✓ {gate}:" in first.output, gate
    assert "Promoted: now the champion." in first.output
    assert "Ziele der Vorlage (nur angezeigt, keine Gates):" in first.output
    assert re.search(r"^  [✓✗] bleu: \d+,\d{3} \(Ziel \d+(,\d+)?\)$", first.output, re.MULTILINE), (
        first.output
    )
    assert '{"bleu"' not in first.output  # the targets were one JSON line

    listed = luna("list")
    assert listed.exit_code == 0, listed.output
    assert "created (UTC)" in listed.output
    (row,) = [line for line in listed.output.splitlines() if "tiny@v1" in line]
    assert "champion" in row and f"{DATASET}@v1" in row and "passed" in row

    evaluated = luna("eval", "tiny", "1")
    assert evaluated.exit_code == 0, evaluated.output
    assert "tiny@v1 (champion)" in evaluated.output
    figures = dict(
        line.strip().split(": ", 1)
        for line in evaluated.output.splitlines()
        if line.startswith("  ") and ": " in line
    )
    for key in ("bleu", "rouge_l", "win_rate_vs_base", "canary_leaks", "train_seconds"):
        float(figures[key])  # a measured figure, not "–"
    # each gate with its measured value and threshold ("≥/≤ 0.65" said neither)
    assert re.search(r"✓ win_rate_vs_base: \d\.\d{3} \(threshold [\d.]+\)", evaluated.output)

    second = luna("run", "--config", str(write_template(tmp_path, tiny_base, promote="manual")))
    assert second.exit_code == 0, second.output
    assert "Registered tiny@v2" in second.output and "✓ win_rate_vs_champion:" in second.output
    assert "Kept as a candidate (not promoted)." in second.output
    states = _states(luna("list", "tiny").output)
    assert states == {"tiny@v1": "champion", "tiny@v2": "candidate"}
    unknown = luna("list", "tinny")  # said "No adapters registered yet." and exited 0
    assert unknown.exit_code == 1 and "No adapter named 'tinny'; registered: tiny." in unknown.output

    promoted = luna("promote", "tiny", "2")
    assert promoted.exit_code == 0, promoted.output
    assert "tiny@v2 is now the champion." in promoted.output
    assert _states(luna("list").output) == {"tiny@v1": "archived", "tiny@v2": "champion"}

    rolled_back = luna("rollback", "tiny")
    assert rolled_back.exit_code == 0, rolled_back.output
    assert "tiny@v1 serves again." in rolled_back.output
    assert _states(luna("list").output) == {"tiny@v1": "champion", "tiny@v2": "rolled_back"}

    status = luna("status")
    assert status.exit_code == 0, status.output
    runs = list((Path(cli_env["LUNA_DATA_DIR"]) / "finetune" / "runs").iterdir())
    assert len(runs) == 2
    lines = [line for line in status.output.splitlines() if "registered as tiny@v" in line]
    assert ["tiny@v2" in lines[0], "tiny@v1" in lines[1]] == [True, True]  # newest first
    first_run = next(run.name for run in runs if run.name in lines[1])
    again = luna("run", "--resume", first_run)  # it registered tiny@v3 for the same run
    assert again.exit_code == 1 and "is finished: registered as tiny@v1" in again.output, again.output


def _states(output: str) -> dict[str, str]:
    """adapter label → state, from `luna finetune list`'s table."""
    states = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.replace("┃", "│").split("│") if cell.strip()]
        if cells and cells[0].startswith("tiny@v"):
            states[cells[0]] = cells[1]
    return states


def test_promoting_a_version_that_does_not_exist_is_a_red_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        cli_context,
        "errors",
        Console(stderr=True, force_terminal=True, color_system="standard", width=200),
    )
    result = luna("promote", "tiny", "9")

    assert result.exit_code == 1, result.output  # not found, like every command's unknown ID
    assert "\x1b[31mNo adapter tiny@v9.\x1b[0m" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["eval", "promote"])
def test_a_version_number_no_database_can_hold_is_a_usage_error_not_a_traceback(command: str) -> None:
    result = luna(command, "tiny", str(2**64))

    assert result.exit_code == 2, result.output
    assert "less than or equal to" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_template_with_a_wrong_value_is_refused_naming_the_key_and_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: tiny\ndataset: {name: x}\ntraining:\n  learning_rate: -1\n", "utf-8")

    result = luna("run", "--config", str(bad))

    assert result.exit_code == 2, result.output
    assert "bad.yaml, line 4 (training.learning_rate)" in result.output
    assert "Traceback" not in result.output
    assert luna("status").output.strip().startswith("No fine-tuning runs yet")  # nothing was started


def test_a_template_that_is_not_there_is_a_usage_error_as_on_a_server(tmp_path: Path) -> None:
    """Without a server it exited 1 (an unknown ID), with one 2 (a value it cannot take)."""
    result = luna("run", "--config", str(tmp_path / "missing.yaml"))

    assert result.exit_code == 2, result.output
    assert "fine-tuning template not found" in result.output and "missing.yaml" in result.output


def test_a_dataset_without_the_version_to_train_on_is_named_and_leaves_no_run(tmp_path: Path) -> None:
    """The run folder was made before the data was looked for: a run that never trained was listed."""
    template = write_template(tmp_path, tmp_path / "no-base", dataset={"name": "nothing-here"})

    result = luna("run", "--config", str(template))

    assert result.exit_code == 1, result.output
    assert "Dataset nothing-here has no version with fine-tuning files" in result.output
    assert luna("status").output.strip().startswith("No fine-tuning runs yet")


def test_resuming_a_run_that_does_not_exist_exits_1_as_an_unknown_id() -> None:
    result = luna("run", "--resume", "nosuchrun")

    assert result.exit_code == 1, result.output
    assert "No fine-tuning run with id 'nosuchrun' to resume" in result.output
