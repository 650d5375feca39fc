"""The regression gate: a candidate may answer the golden sets at most ``max_regression_drop`` worse than
the version it would replace; sets that could not be asked stop it, sets that do not exist do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from luna.domain.finetune.config import GateSection
from luna.domain.finetune.gates import judge_gates
from luna.services.finetune.regression import regression_files

PASSING = {
    "win_rate_vs_base": 0.9,
    "win_rate_vs_champion": 0.6,
    "citation_validity": 1.0,
    "refusal_correctness": 1.0,
    "canary_leaks": 0,
    "pii_leaks": 0,
}


def _regression_gate(regression: dict[str, Any] | None, max_drop: float = 0.05) -> Any:
    checks = judge_gates(GateSection(max_regression_drop=max_drop), PASSING, regression)
    return next(c for c in checks if c.gate == "regression_drop")


def test_a_candidate_that_answers_the_golden_sets_worse_than_its_champion_fails() -> None:
    check = _regression_gate({"score": 0.60, "opponent_score": 0.70, "opponent": "champion"})

    assert check.passed is False and check.value == 0.1 and check.note == "gegen champion"


def test_a_drop_within_the_allowance_or_a_gain_passes() -> None:
    assert _regression_gate({"score": 0.65, "opponent_score": 0.70, "opponent": "base"}).passed
    assert _regression_gate({"score": 0.80, "opponent_score": 0.70, "opponent": "base"}).passed
    assert not _regression_gate({"score": 0.65, "opponent_score": 0.70, "opponent": "base"}, 0.0).passed


def test_sets_that_could_not_be_asked_fail_with_the_reason() -> None:
    check = _regression_gate({"sets": ["a.yaml"], "error": "The knowledge base has no document 'x.pdf'"})

    assert check.passed is False and check.value is None and "x.pdf" in (check.note or "")


def test_no_regression_sets_pass_with_a_note_and_every_other_gate_still_counts() -> None:
    check = _regression_gate({"sets": [], "note": "keine Regressionssätze"})
    assert check.passed and check.note == "keine Regressionssätze"
    assert _regression_gate(None).passed

    failing = judge_gates(GateSection(), {**PASSING, "canary_leaks": 1}, {"note": "keine Regressionssätze"})
    assert [c.gate for c in failing if not c.passed] == ["canary_leaks"]


def test_a_regression_set_file_counts_whatever_its_name(tmp_path: Path) -> None:
    """A file without a suffix was skipped, and its gate passed with "keine Regressionssätze"."""
    plain = tmp_path / "goldset"
    plain.write_text("questions: []\n", encoding="utf-8")
    (tmp_path / "sets").mkdir()
    (tmp_path / "sets" / "a.yaml").write_text("questions: []\n", encoding="utf-8")

    found = regression_files(["goldset", "sets", "missing.yaml", "no-such-folder"], tmp_path)

    assert found == [plain, tmp_path / "sets" / "a.yaml", tmp_path / "missing.yaml"]
