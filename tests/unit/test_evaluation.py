"""The evaluation core's rules: golden sets are checked, the held-out split is stable, figures add up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from luna.domain.errors import InvalidInput
from luna.domain.evaluation import (
    GoldenQuestion,
    QuestionOutcome,
    figures,
    first_paragraph,
    in_split,
    parse_golden_set,
    states_any,
)
from luna.domain.evaluation_runs import EvalRun, compare_runs
from luna.services.evaluation.evaluation import read_golden_sets

REPO = Path(__file__).resolve().parents[2]


def test_a_golden_set_names_the_entry_that_is_wrong() -> None:
    entries = [
        {"id": "a", "question": "Wie hoch?", "file": "x.md", "needles": ["8,12"]},
        {"id": "b", "question": "Wie lange?", "file": "x.md", "needles": []},
    ]

    with pytest.raises(InvalidInput, match=r"set.yaml, entry 2 \(b\): 'needles'"):
        parse_golden_set(entries, "set.yaml")


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "non-empty YAML list"),
        ({"id": "a"}, "non-empty YAML list"),
        (["text"], "entry 1: expected a mapping"),
        ([{"id": "a", "question": " "}], "'question' must be"),
        ([{"id": "a", "question": "Q?"}], "'file' names the document"),
        ([{"id": "a", "question": "Q?", "answerable": False, "file": "x.md"}], "names no file"),
        ([{"id": "a", "question": "Q?", "answerable": False}] * 2, "appears twice"),
    ],
)
def test_malformed_golden_sets_are_refused_with_a_reason(entries: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_golden_set(entries, "set.yaml")


def test_the_split_depends_on_the_id_only_and_holds_out_about_two_fifths() -> None:
    questions = [GoldenQuestion(f"q{i:03d}", "Frage?") for i in range(1000)]

    test_share = len(in_split(questions, "test")) / len(questions)

    assert 0.35 < test_share < 0.45
    assert GoldenQuestion("q007", "andere Frage?").split == questions[7].split
    assert len(in_split(questions, "all")) == 1000
    assert not set(map(id, in_split(questions, "test"))) & set(map(id, in_split(questions, "tune")))


def test_the_teams_sets_load_and_both_splits_hold_unanswerable_questions() -> None:
    questions = read_golden_sets(
        [REPO / "bench" / "questions_de.yaml", REPO / "bench" / "unanswerable_de.yaml"]
    )

    for split in ("tune", "test"):
        chosen = in_split(questions, split)
        assert sum(q.answerable for q in chosen) >= 20
        assert sum(not q.answerable for q in chosen) >= 10


def test_the_same_id_in_two_sets_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text('- {id: a, answerable: false, question: "Q?"}\n', encoding="utf-8")

    with pytest.raises(InvalidInput, match="more than one set: a"):
        read_golden_sets([path, path])


def test_figures_count_answerable_and_unanswerable_questions_apart() -> None:
    outcomes = [
        QuestionOutcome("a", True, rank=1, answer_holds_needle=True, first_citation_hit=True, answer_ms=10),
        QuestionOutcome("b", True, rank=4, refused=True, answer_ms=20),
        QuestionOutcome("c", True, rank=None, unsupported_numbers=("12",), answer_ms=30),
        QuestionOutcome("d", False, refused=True, answer_ms=40),
        QuestionOutcome("e", False, refused=False, answer_ms=50),
    ]

    result = figures(outcomes)

    assert (result.answerable, result.unanswerable) == (3, 2)
    assert result.hit_at_1 == pytest.approx(1 / 3) and result.hit_at_5 == pytest.approx(2 / 3)
    assert result.mrr_at_10 == pytest.approx((1 + 1 / 4 + 0) / 3)
    assert result.answer_holds_needle == pytest.approx(1 / 3)
    assert result.refusal_rate == 0.5 and result.false_refusal_rate == pytest.approx(1 / 3)
    assert result.false_number_warnings == 1
    assert result.answer_ms_p50 == 30


def test_the_first_paragraph_ends_at_the_first_blank_line() -> None:
    assert first_paragraph("\nDas Netzentgelt beträgt 8,12 ct/kWh.\n| a | b |\n\nWeiteres.") == (
        "Das Netzentgelt beträgt 8,12 ct/kWh.\n| a | b |"
    )


def test_an_answer_states_a_needle_it_cites_before_the_closing_mark_or_across_a_line_break() -> None:
    needle = "Die Steuer beträgt 20,50 Euro für eine Megawattstunde."
    lead = "Kurz gesagt: Die Steuer beträgt 20,50 Euro\nfür eine Megawattstunde [chunk cd2b-68fd]. Weiter."

    assert states_any(lead, [needle])
    assert not states_any("Die Steuer beträgt 2,05 Euro [chunk x].", [needle])


@pytest.mark.parametrize("marker", ["[Chunk cd2b]", " [chunk  cd2b ]", "\t[CHUNK cd2b]"])
def test_a_needle_is_stated_whatever_case_and_spacing_the_model_gives_its_citation(marker: str) -> None:
    answer = f"Die Steuer beträgt 20,50 Euro für eine Megawattstunde{marker}."

    assert states_any(answer, ["Die Steuer beträgt 20,50 Euro für eine Megawattstunde."])


# -- comparing two runs ------------------------------------------------------------------------------


def _run(run_id: str, *outcomes: QuestionOutcome) -> EvalRun:
    return EvalRun(run_id, run_id, "test", "2026-11-23T00:00:00+00:00", {}, figures(outcomes), list(outcomes))


def test_a_comparison_names_the_questions_that_got_better_and_worse() -> None:
    before = _run(
        "a",
        QuestionOutcome("q1", True, rank=7),
        QuestionOutcome("q2", True, rank=1, answer_holds_needle=True),
        QuestionOutcome("q3", False, refused=False),
        QuestionOutcome("q4", True, rank=2),
        QuestionOutcome("gone", True, rank=1),
    )
    after = _run(
        "b",
        QuestionOutcome("q1", True, rank=2, answer_holds_needle=True),
        QuestionOutcome("q2", True, rank=None, refused=True),
        QuestionOutcome("q3", False, refused=True),
        QuestionOutcome("q4", True, rank=2),
        QuestionOutcome("new", True, rank=1),
    )

    comparison = compare_runs(before, after)

    assert [(c.question_id, c.changes) for c in comparison.better] == [
        ("q1", ("found at 7 → 2", "answer states it")),
        ("q3", ("refused as it should",)),
    ]
    assert [(c.question_id, c.changes) for c in comparison.worse] == [
        ("q2", ("found at 1 → –", "no longer: answer states it", "no longer: answered (not refused)")),
    ]
    assert (comparison.only_before, comparison.only_after) == (["gone"], ["new"])


def test_a_run_survives_its_json_form_unchanged() -> None:
    run = _run("a", QuestionOutcome("q1", True, rank=3, unsupported_numbers=("9,99",), answer_ms=12.5))

    assert EvalRun.from_json(json.loads(json.dumps(run.to_json()))) == run
