"""A candidate adapter on the evaluation core's regression sets (issue #17, item 4): the golden questions
go through Luna's real answer path (retrieval, answer gate, citation and number checks) with the adapter
writing the answers, both runs are kept beside `luna eval`'s, and a candidate that answers them worse
than its opponent, or sets that cannot be asked, stop it at the gates.

The model is the tiny random Llama of ``finetune_support``: what it writes is noise, which is what a
regression gate has to catch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from luna.container import Container, build_container
from luna.services.knowledge.ingest import IngestRequest
from luna.settings import Settings
from tests.integration.finetune_support import (
    DATASET,
    OPEN_GATES,
    build_tiny_base,
    put_sft_splits,
    small_sft_splits,
    write_template,
)

pytestmark = pytest.mark.slow

TARIFFS = """# Netzentgelte 2026

Die Netzentgelte des örtlichen Netzbetreibers gelten ab dem 1. Januar 2026.

| Kundengruppe | Arbeitspreis | Grundpreis |
|---|---|---|
| Haushalt | 8,12 ct/kWh | 60 €/a |
"""

HEAT_PUMP = """# Wärmepumpe im Altbau

Eine Wärmepumpe arbeitet im Altbau effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt.
"""

GOLDEN = """
- id: r1
  question: "Was kostet die Netznutzung für einen Haushalt pro Kilowattstunde?"
  file: netzentgelte.md
  needles: ["8,12 ct/kWh"]
- {id: r2, answerable: false, question: "Wie hoch ist die Kfz-Steuer für ein Elektroauto?"}
"""

#: Gates every run passes, the regression gate included (the tiny model's answers are noise).
ANY_DROP = {**OPEN_GATES, "max_regression_drop": 1.0}


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    """A knowledge base holding the tariff table, with a golden set where the datasets capability
    writes them (``<data_dir>/eval/golden/``)."""
    c = build_container(make_settings(LUNA_FINETUNE__TRACKING="false"))
    c.database.upgrade()
    put_sft_splits(c.blobs, DATASET, small_sft_splits())
    request = IngestRequest(data=TARIFFS.encode(), filename="netzentgelte.md", title="Netzentgelte")
    c.services.knowledge.ingest.ingest(request)
    golden = c.settings.data_dir / "eval" / "golden"
    golden.mkdir(parents=True)
    (golden / "luna.yaml").write_text(GOLDEN, encoding="utf-8")
    yield c
    c.close()


def _run(container: Container, tiny_base: Path, folder: Path, **changes: Any) -> dict[str, Any]:
    template = write_template(folder, tiny_base, **changes)
    return container.finetune.service.run("test", lambda _f, _m: None, config_file=template)


def _regression_check(result: dict[str, Any]) -> dict[str, Any]:
    checks = {c["gate"]: c for c in result["gates"]["checks"]}
    return dict(checks["regression_drop"])


def test_candidate_and_base_answer_the_golden_sets_through_lunas_answer_path_and_both_runs_are_kept(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    result = _run(container, tiny_base, tmp_path, gates=ANY_DROP)

    regression = result["metrics"]["regression"]
    assert regression["questions"] == 2 and regression["opponent"] == "base"
    assert regression["sets"] == [str(container.settings.data_dir / "eval" / "golden" / "luna.yaml")]
    evaluation = container.services.evaluation
    runs = {kind: evaluation.get_run(run_id) for kind, run_id in regression["runs"].items()}
    assert set(runs) == {"candidate", "base"}
    for kind, run in runs.items():
        assert run.name == f"{kind} finetune {result['run_id']}"
        assert run.setup["chat"] == run.name  # the contender wrote the answers, not Luna's chat model
        assert [o.question_id for o in run.outcomes] == ["r1", "r2"]
        assert run.outcomes[0].rank == 1  # the same retrieval as /rag/ask found the table
        assert run.outcomes[1].refused  # the answer gate refuses before any model writes
    assert regression["opponent_score"] - regression["score"] == pytest.approx(
        _regression_check(result)["value"]
    )
    assert regression["score"] >= 0.5  # the refused unanswerable question counts as right


def test_the_second_candidate_is_measured_against_the_champion(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    first = _run(container, tiny_base, tmp_path, gates=ANY_DROP)
    assert first["promoted"]

    second = _run(container, tiny_base, tmp_path, gates=ANY_DROP)

    assert second["metrics"]["regression"]["opponent"] == "champion"
    assert set(second["metrics"]["regression"]["runs"]) == {"candidate", "champion"}


def test_a_golden_set_naming_a_document_the_knowledge_base_lacks_fails_the_gate_naming_it(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    golden = container.settings.data_dir / "eval" / "golden"
    (golden / "stale.yaml").write_text(
        '- {id: s1, question: "Was regelt § 14a EnWG?", file: enwg.pdf, needles: ["steuerbare"]}\n',
        encoding="utf-8",
    )

    result = _run(container, tiny_base, tmp_path)

    check = _regression_check(result)
    assert check["passed"] is False and "enwg.pdf" in check["note"]
    assert result["promoted"] is False and result["gates"]["passed"] is False


def test_a_set_naming_files_finds_them_in_the_templates_documents_folder(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    """A document whose title is not its file name is found by the content of the named file."""
    documents = tmp_path / "docs"
    documents.mkdir()
    (documents / "waermepumpe.md").write_text(HEAT_PUMP, encoding="utf-8")
    container.services.knowledge.ingest.ingest(IngestRequest(HEAT_PUMP.encode(), "waermepumpe.md"))
    (container.settings.data_dir / "eval" / "golden" / "luna.yaml").write_text(
        '- {id: w1, question: "Wann arbeitet eine Wärmepumpe im Altbau effizient?", '
        'file: waermepumpe.md, needles: ["unter 55 Grad"]}\n',
        encoding="utf-8",
    )

    without = _run(container, tiny_base, tmp_path, gates=ANY_DROP)
    misspelt = _run(
        container,
        tiny_base,
        tmp_path,
        gates=ANY_DROP,
        evaluation={"regression_documents": str(documents) + "x"},
    )
    found = _run(
        container, tiny_base, tmp_path, gates=ANY_DROP, evaluation={"regression_documents": str(documents)}
    )

    assert "waermepumpe.md" in without["metrics"]["regression"]["error"]
    assert "evaluation.regression_documents" in misspelt["metrics"]["regression"]["error"]
    assert found["metrics"]["regression"]["questions"] == 1 and "error" not in found["metrics"]["regression"]


def test_a_template_without_regression_sets_passes_the_gate_with_a_note(
    container: Container, tiny_base: Path, tmp_path: Path
) -> None:
    result = _run(container, tiny_base, tmp_path, evaluation={"regression_sets": ["nirgends"]})

    check = _regression_check(result)
    assert (check["passed"], check["note"]) == (True, "keine Regressionssätze")
    assert "runs" not in result["metrics"]["regression"]
