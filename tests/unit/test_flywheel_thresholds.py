"""``load_thresholds``: what a thresholds file may say, and that every mistake names its line.

A threshold that loads wrongly never alerts, and nobody notices; so each kind of mistake is refused
here with the file, the line and the entry it sits in, and all of a file's mistakes come at once.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from luna.domain.flywheel.kpi_values import ALL, Kpi, Window
from luna.domain.flywheel.thresholds import (
    EACH_TOPIC,
    Comparator,
    Severity,
    Threshold,
    ThresholdError,
    load_thresholds,
)

ROOT = Path(__file__).resolve().parents[2]

#: One valid threshold, its keys in this order from line 2 of the file.
BASE = {
    "name": "usefulness_low",
    "kpi": "usefulness_rate",
    "comparator": '"<"',
    "warning": "0.6",
    "critical": "0.45",
    "window": "day",
    "description": "Zu wenige hilfreiche Antworten.",
}


def entry(**changes: str | None) -> str:
    """A file with ``BASE`` changed: a key replaced in place, a new key added at the end, None drops one."""
    values = {**BASE, **changes}
    return "thresholds:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in values.items() if v is not None) + "\n"


ONE = entry()


def problems(text: str) -> list[str]:
    with pytest.raises(ThresholdError) as raised:
        load_thresholds(textwrap.dedent(text), source="t.yaml")
    assert str(raised.value) == "\n".join(raised.value.problems)
    return list(raised.value.problems)


# --- loading ------------------------------------------------------------------------------------------


def test_a_threshold_loads_with_its_defaults() -> None:
    (threshold,) = load_thresholds(ONE)
    assert threshold == Threshold(
        name="usefulness_low",
        kpi=Kpi.USEFULNESS_RATE,
        comparator=Comparator.LT,
        warning=0.6,
        critical=0.45,
        window=Window.DAY,
        scope=ALL,
        min_samples=20,
        hysteresis=0.0,
        description="Zu wenige hilfreiche Antworten.",
        actions=(),
        auto=False,
    )
    assert threshold.levels == ((Severity.CRITICAL, 0.45), (Severity.WARNING, 0.6))


def test_every_key_is_read() -> None:
    text = """\
    thresholds:
      - name: topic_thumbs_down_high
        kpi: thumbs_down_rate
        comparator: ">="
        critical: 0.5
        window: week
        scope: each_topic
        min_samples: 5
        hysteresis: 0.05
        description: Viele 👎 in diesem Thema.
        actions: [knowledge_gap, reindex]
        auto: true
      - name: latency
        kpi: latency_p95_ms
        comparator: ">"
        warning: 3000
        window: hour
        scope: topic:tarife
        description: Langsam.
    """
    first, second = load_thresholds(textwrap.dedent(text))
    assert (first.comparator, first.warning, first.critical) == (Comparator.GE, None, 0.5)
    assert (first.window, first.scope, first.min_samples, first.hysteresis) == (
        Window.WEEK,
        EACH_TOPIC,
        5,
        0.05,
    )
    assert (first.actions, first.auto) == (("knowledge_gap", "reindex"), True)
    assert first.levels == ((Severity.CRITICAL, 0.5),)
    assert (second.kpi, second.warning, second.scope) == (Kpi.LATENCY_P95_MS, 3000.0, "topic:tarife")
    assert second.covers("topic:tarife") and not second.covers(ALL)
    assert first.covers("topic:tarife") and not first.covers(ALL)


def test_an_empty_list_means_no_thresholds() -> None:
    assert load_thresholds("thresholds: []\n") == ()


def test_the_shipped_thresholds_load() -> None:
    path = ROOT / "config" / "thresholds.yaml"
    thresholds = load_thresholds(path.read_text(encoding="utf-8"), source=str(path))
    by_name = {threshold.name: threshold for threshold in thresholds}
    assert {threshold.kpi for threshold in thresholds} == set(Kpi), "every KPI has a threshold"
    usefulness = by_name["usefulness_low"]
    assert (usefulness.warning, usefulness.critical, usefulness.hysteresis) == (0.6, 0.45, 0.05)
    assert usefulness.actions == ("knowledge_gap", "evaluation_run")
    assert by_name["topic_thumbs_down_high"].scope == EACH_TOPIC
    assert by_name["citations_invalid"].auto
    assert by_name["latency_p95_high"].window is Window.HOUR


# --- every problem names its line -------------------------------------------------------------------


def test_an_unknown_kpi_names_line_entry_and_the_known_ones() -> None:
    text = ONE + ONE.split("\n", 1)[1].replace("usefulness_low", "b").replace(
        "kpi: usefulness_rate", "kpi: usefulnes_rate"
    )
    (problem,) = problems(text)
    assert problem.startswith("t.yaml, line 10 (thresholds[1].kpi): unknown KPI 'usefulnes_rate'; known: ")
    assert "usefulness_rate" in problem and "latency_p95_ms" in problem


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "Usefulness-Low"}, "line 2 (thresholds[0].name): 'Usefulness-Low' is not a slug"),
        ({"comparator": '"=="'}, "line 4 (thresholds[0].comparator): unknown comparator '=='"),
        ({"colour": "rot"}, "line 9 (thresholds[0].colour): unknown key; known: name, kpi"),
        ({"window": "month"}, "line 7 (thresholds[0].window): unknown window 'month'"),
        ({"scope": '"topic:"'}, "line 9 (thresholds[0].scope): 'topic:' is not 'all', 'topic:<name>'"),
        ({"min_samples": "0"}, "line 9 (thresholds[0].min_samples): must be at least 1, got 0"),
        ({"min_samples": "2.5"}, "line 9 (thresholds[0].min_samples): expected a whole number, got 2.5"),
        ({"hysteresis": "-0.1"}, "line 9 (thresholds[0].hysteresis): must not be negative"),
        ({"warning": "viel"}, "line 5 (thresholds[0].warning): expected a number, got 'viel'"),
        ({"warning": ".nan"}, "line 5 (thresholds[0].warning): expected a number, got nan"),
        ({"warning": "true"}, "line 5 (thresholds[0].warning): expected a number, got True"),
        ({"description": '" "'}, "line 8 (thresholds[0].description): must not be empty"),
        (
            {"actions": "[reindex, retrain]"},
            "line 9 (thresholds[0].actions): unknown action 'retrain'; known:",
        ),
        ({"actions": "reindex"}, "line 9 (thresholds[0].actions): expected a list of action names"),
        ({"auto": "yes please"}, "line 9 (thresholds[0].auto): expected true or false"),
        ({"auto": "true"}, "line 9 (thresholds[0].auto): is true but the threshold suggests no actions"),
        ({"window": None}, "line 2 (thresholds[0]): missing key 'window'"),
        (
            {"warning": "null", "critical": None},
            "line 5 (thresholds[0].warning): needs a warning or a critical",
        ),
        (
            {"critical": "0.7"},
            "line 6 (thresholds[0].critical): with comparator '<' critical must be <= warning",
        ),
        (
            {"comparator": "'>'"},
            "line 6 (thresholds[0].critical): with comparator '>' critical must be >= warning",
        ),
        ({"warning": "60"}, "line 5 (thresholds[0].warning): usefulness_rate is a rate within 0..1, got 60"),
        (
            {"kpi": "latency_p95_ms", "warning": "-1", "critical": "-2"},
            "line 5 (thresholds[0].warning): latency_p95_ms cannot be negative",
        ),
    ],
)
def test_each_mistake_is_refused_with_its_line(changes: dict[str, str | None], expected: str) -> None:
    found = problems(entry(**changes))
    assert any(problem.startswith(f"t.yaml, {expected}") for problem in found), found


def test_a_bare_greater_than_gets_a_hint_to_quote_it() -> None:
    (problem,) = problems(ONE.replace('comparator: "<"', "comparator: >"))
    assert problem.startswith("t.yaml, line 4 (thresholds[0].comparator): unknown comparator ''")
    assert "quote it" in problem


def test_latency_may_exceed_one() -> None:
    text = ONE.replace("usefulness_rate", "latency_p95_ms").replace('"<"', '">"')
    (threshold,) = load_thresholds(text.replace("0.6", "3000").replace("0.45", "8000"))
    assert (threshold.warning, threshold.critical) == (3000.0, 8000.0)


def test_the_retrieval_confidence_is_a_score_whose_levels_may_exceed_one() -> None:
    # a mean of fused scores, 0..2 with the default weights: the shipped levels are 1.7 and 1.65
    text = ONE.replace("usefulness_rate", "retrieval_confidence")
    (threshold,) = load_thresholds(text.replace("0.6", "1.7").replace("0.45", "1.65"))
    assert (threshold.warning, threshold.critical) == (1.7, 1.65)
    assert problems(text.replace("0.6", "-0.1").replace("0.45", "-0.2"))  # still never negative


def test_a_duplicate_name_points_at_both_lines() -> None:
    (problem,) = problems(ONE + ONE.split("\n", 1)[1])
    assert problem == "t.yaml, line 9 (thresholds[1].name): duplicate name 'usefulness_low' (first on line 2)"


def test_a_duplicate_key_in_one_entry_is_refused() -> None:
    (problem,) = problems(ONE + "    window: week\n")
    assert problem == "t.yaml, line 9 (thresholds[0].window): duplicate key (first on line 7)"


def test_all_problems_come_at_once_in_line_order() -> None:
    text = ONE.replace("usefulness_rate", "usefulness").replace("day", "month") + "    colour: red\n"
    found = problems(text)
    assert [problem.split(" (")[0] for problem in found] == [
        "t.yaml, line 3",
        "t.yaml, line 7",
        "t.yaml, line 9",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thresholds: [\n", "t.yaml, line 2: malformed YAML: "),
        ("thresholds:\n  - name: a\n    comparator: >=\n", "t.yaml, line 3: malformed YAML: "),
        ("", "t.yaml, line 1: empty file"),
        ("- name: a\n", "t.yaml, line 1 (file): expected a mapping"),
        ("alerts: []\n", "t.yaml, line 1 (alerts): unknown key; the file holds only 'thresholds'"),
        ("thresholds: {}\n", "t.yaml, line 1 (thresholds): expected a list of thresholds"),
        ("thresholds:\n  - usefulness_low\n", "t.yaml, line 2 (thresholds[0]): expected a mapping"),
        (
            "thresholds:\n  - name: !!python/name:os.system\n",
            "t.yaml, line 2 (thresholds[0].name): could not",
        ),
    ],
)
def test_a_file_that_is_not_a_thresholds_list_names_its_line(text: str, expected: str) -> None:
    found = problems(text)
    assert found[0].startswith(expected), found


def test_a_threshold_built_in_code_obeys_the_same_rules() -> None:
    with pytest.raises(
        ThresholdError, match=r"threshold 'x': critical: with comparator '>' critical must be >="
    ):
        Threshold(
            name="x",
            kpi=Kpi.REFUSAL_RATE,
            comparator=Comparator.GT,
            warning=0.5,
            critical=0.3,
            window=Window.DAY,
            description="Zu viele Ablehnungen.",
        )
