"""`luna datasets …`: a small pipeline run in this process, listed, shown and traced from the shell;
queued as a job instead; an unknown pipeline or version is one clear line and exit code 1."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from luna.container import build_container
from luna.settings import ensure_local_secrets, load_settings
from luna.workers.datasets import DATASETS_JOB
from tests.integration.support import cli_environment, free_port, luna_serve

runner = CliRunner()
PIPELINE = "cli-prices"
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
YAML = f"""\
name: {PIPELINE}
record: price
sources:
  - kind: file
    name: drop
    path: drops/prices.csv
    constants: {{market: EPEX, product: day-ahead}}
    units: {{price_eur_mwh: ct/kWh}}
steps:
  - step: validate
  - step: dedup
    mode: strict
gates:
  confidence: 0.0
consumers:
  - kind: energy
"""


@pytest.fixture(autouse=True)
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    environment = cli_environment(monkeypatch, tmp_path, COLUMNS="200")
    data_dir = Path(environment["LUNA_DATA_DIR"])
    (data_dir / "pipelines").mkdir(parents=True)
    (data_dir / "pipelines" / f"{PIPELINE}.yaml").write_text(YAML, encoding="utf-8")
    (data_dir / "drops").mkdir()
    rows = [f"{NOW - timedelta(hours=h):%Y-%m-%dT%H:%M:%S}Z,{8 + h / 10:.1f}" for h in range(5)]
    (data_dir / "drops" / "prices.csv").write_text(
        "ts,price_eur_mwh\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    return environment


def test_every_datasets_command_explains_itself() -> None:
    for command in ("pipelines", "run", "list", "show", "lineage", "deliver", "rollback"):
        result = runner.invoke(app, ["datasets", command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, (command, result.output)


def test_a_pipeline_runs_here_and_its_version_is_listed_shown_and_traced() -> None:
    listed_pipelines = runner.invoke(app, ["datasets", "pipelines"])
    assert listed_pipelines.exit_code == 0, listed_pipelines.output
    assert PIPELINE in listed_pipelines.output and "drop (file)" in listed_pipelines.output

    ran = runner.invoke(app, ["datasets", "run", PIPELINE])
    assert ran.exit_code == 0, ran.output
    assert "version" in ran.output and "passed" in ran.output and "energy: delivered" in ran.output

    datasets = runner.invoke(app, ["datasets", "list"])
    versions = runner.invoke(app, ["datasets", "list", PIPELINE])
    shown = runner.invoke(app, ["datasets", "show", PIPELINE, "1"])
    inputs = runner.invoke(app, ["datasets", "lineage", PIPELINE, "1"])
    uses = runner.invoke(app, ["datasets", "lineage", "--input", "file:drops/prices.csv"])

    assert datasets.exit_code == 0 and PIPELINE in datasets.output, datasets.output
    assert versions.exit_code == 0 and "passed" in versions.output, versions.output
    assert shown.exit_code == 0, shown.output
    assert (
        "completeness" in shown.output and "dedup:strict" in shown.output and "Gates passed" in shown.output
    )
    assert inputs.exit_code == 0 and "file:drops/prices.csv" in inputs.output, inputs.output
    assert uses.exit_code == 0 and PIPELINE in uses.output, uses.output

    delivered = runner.invoke(app, ["datasets", "deliver", PIPELINE])
    rolled = runner.invoke(app, ["datasets", "rollback", PIPELINE, "1", "--consumer", "energy"])
    assert delivered.exit_code == 0 and "delivered" in delivered.output, delivered.output
    assert rolled.exit_code == 0 and "rolled_back" in rolled.output, rolled.output


def test_failed_gates_read_as_german_text_without_their_keys_and_fail_the_run(
    cli_env: dict[str, str],
) -> None:
    """The README promises exit code 1 for a gate that failed; the run said 0, so a script went on."""
    pipelines = Path(cli_env["LUNA_DATA_DIR"]) / "pipelines"
    strict = YAML.replace(f"name: {PIPELINE}", "name: cli-strict").replace(
        "  confidence: 0.0\n", "  confidence: 0.9\n  min_records: 100\n"
    )
    (pipelines / "cli-strict.yaml").write_text(strict, encoding="utf-8")

    ran = runner.invoke(app, ["datasets", "run", "cli-strict"])
    versions = runner.invoke(app, ["datasets", "list", "cli-strict"])
    shown = runner.invoke(app, ["datasets", "show", "cli-strict", "1"])

    assert ran.exit_code == 1 and "failed its gates: it is kept, and no consumer got it" in ran.output
    for result in (versions, shown):
        assert result.exit_code == 0, result.output
    for result in (ran, versions, shown):
        assert "5 Datensätze, mindestens 100 nötig" in result.output, result.output
        assert "confidence:" not in result.output and "min_records:" not in result.output
    assert re.search(r"Gates failed: Konfidenz \d+ % unter 90 %; 5 Datensätze", shown.output), shown.output


def test_a_consumer_that_did_not_get_the_version_fails_the_run_naming_it_whole(
    cli_env: dict[str, str],
) -> None:
    """`luna datasets deliver` exited 1 for a dead webhook, `run` 0 for the same delivery; and the
    consumer's name, which `rollback --consumer` takes, was cut to fit 80 columns."""
    dead = f"http://127.0.0.1:{free_port()}/hooks/luna-datasets-prices-for-the-trading-desk"
    pipelines = Path(cli_env["LUNA_DATA_DIR"]) / "pipelines"
    pushed = YAML.replace(f"name: {PIPELINE}", "name: cli-push") + f"  - kind: webhook\n    url: '{dead}'\n"
    (pipelines / "cli-push.yaml").write_text(pushed, encoding="utf-8")

    ran = runner.invoke(app, ["datasets", "run", "cli-push"], env={"COLUMNS": "80"})

    assert ran.exit_code == 1, ran.output
    assert f"Not handed over to webhook:{dead}" in ran.output.replace("\n", "")
    assert "energy: delivered" in ran.output


def test_queue_puts_the_job_into_the_jobs_table_without_a_server() -> None:
    queued = runner.invoke(app, ["datasets", "run", PIPELINE, "--queue"])

    assert queued.exit_code == 0, queued.output
    container = build_container(ensure_local_secrets(load_settings()))
    try:
        jobs, total = container.services.jobs.list(None, DATASETS_JOB, 10, 0)
    finally:
        container.close()
    assert total == 1 and jobs[0].params == {"pipeline": PIPELINE} and jobs[0].job_id in queued.output
    # The embedded profile's worker lives in `luna serve`: `luna worker` refuses to start there.
    assert "for `luna serve` to run once it starts" in queued.output


def test_a_refused_queue_says_nothing_of_queueing() -> None:
    """ "queued in the jobs table" came before the refusal of an unknown pipeline."""
    refused = runner.invoke(app, ["datasets", "run", "no-such-pipeline", "--queue"])

    assert refused.exit_code == 1 and "queued" not in refused.output.lower(), refused.output


@pytest.mark.parametrize(
    ("make_faulty", "problem"),
    [
        (lambda path: path.write_bytes(b"name: caf\xe9\n"), "broken.yaml: not UTF-8 text (byte 9)"),
        (lambda path: path.mkdir(), "broken.yaml: cannot be read"),
        # ignored without a word before
        (
            lambda path: path.with_suffix(".yml").write_text("name: broken\n"),
            "broken.yml: pipeline files end in .yaml",
        ),
    ],
)
def test_an_unreadable_pipeline_file_is_named_and_the_others_still_run(
    cli_env: dict[str, str], make_faulty: Callable[[Path], object], problem: str
) -> None:
    """A non-UTF-8 file or a folder named like a pipeline file crashed `datasets pipelines`, and every
    `datasets run` failed with the name of the pipeline it was asked for."""
    make_faulty(Path(cli_env["LUNA_DATA_DIR"]) / "pipelines" / "broken.yaml")

    listed = runner.invoke(app, ["datasets", "pipelines"])
    faulty = runner.invoke(app, ["datasets", "run", "broken"])
    other = runner.invoke(app, ["datasets", "run", PIPELINE])

    assert listed.exit_code == 0 and problem in listed.output and PIPELINE in listed.output, listed.output
    assert faulty.exit_code == 2 and problem in faulty.output and "Traceback" not in faulty.output
    assert other.exit_code == 0, other.output


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["run", "no-such-pipeline"], "No pipeline named 'no-such-pipeline'"),
        (["run", "no-such-pipeline", "--queue"], "No pipeline named 'no-such-pipeline'"),
        (["show", PIPELINE, "7"], f"Dataset '{PIPELINE}' has no version 7"),
        (["list", "no-such-dataset"], "No dataset named 'no-such-dataset'"),
        (["lineage", PIPELINE, "3"], f"Dataset '{PIPELINE}' has no version 3"),
    ],
)
def test_an_unknown_pipeline_or_version_is_one_clear_line_and_exit_1(
    command: list[str], message: str
) -> None:
    result = runner.invoke(app, ["datasets", *command])

    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "arguments", [[], [PIPELINE], [PIPELINE, "1", "--input", "file:x"], [PIPELINE, "--input", "file:x"]]
)
def test_lineage_takes_a_version_or_a_source_not_both_and_not_half_a_version(arguments: list[str]) -> None:
    result = runner.invoke(app, ["datasets", "lineage", *arguments])

    assert result.exit_code == 2, result.output
    assert "Name one: a version (`luna datasets lineage NAME NUMBER`) or a source" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["show", PIPELINE, str(2**64)],
        ["lineage", PIPELINE, str(2**64)],
        ["rollback", PIPELINE, str(2**64), "--consumer", "energy"],
        ["deliver", PIPELINE, "--version", str(2**64)],
    ],
)
def test_a_version_number_no_database_can_hold_is_a_usage_error_not_a_traceback(command: list[str]) -> None:
    result = runner.invoke(app, ["datasets", *command])

    assert result.exit_code == 2, result.output
    assert "less than or equal to 2147483647" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


FAQ = """\
name: faq-seed
record: qa_pair
gates: {confidence: 0, min_records: 1}
sources: [{kind: file, name: faq, path: faq.jsonl}]
steps: [{step: dedup, mode: strict}]
consumers: [{kind: knowledge, title: Häufige Fragen zum Stromtarif}]
"""


def test_beside_a_running_server_a_knowledge_consumer_gets_its_version_through_the_server(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run here, the knowledge consumer failed on the vector folder the server holds, and so did the
    `luna datasets deliver` its hint named."""
    data_dir = Path(cli_env["LUNA_DATA_DIR"])
    (data_dir / "pipelines" / "faq-seed.yaml").write_text(FAQ, encoding="utf-8")
    (data_dir / "faq.jsonl").write_text(
        '{"question": "Wie kündige ich?", "answer": "Mit vier Wochen Frist zum Monatsende."}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("LUNA_API__START_WORKER", "true")
    with luna_serve(cli_env["API_PORT"], tmp_path / "serve.log"):
        ran = runner.invoke(app, ["datasets", "run", "faq-seed"])
        delivered = runner.invoke(app, ["datasets", "deliver", "faq-seed"])

    assert ran.exit_code == 0, ran.output
    assert "queued as job" in ran.output and "knowledge: delivered" in ran.output
    assert delivered.exit_code == 0 and "delivered" in delivered.output, delivered.output
