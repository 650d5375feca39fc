"""Golden-set scores become KPIs: the mean over a bucket's runs, samples the questions asked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from luna.domain.evaluation import RunFigures
from luna.domain.flywheel.golden import golden_kpis
from luna.domain.flywheel.kpi_values import ALL, Kpi, Window

RUN = RunFigures(
    answerable=40,
    unanswerable=10,
    hit_at_1=0.5,
    hit_at_5=0.7,
    mrr_at_10=0.6,
    answer_holds_needle=0.3,
    first_citation_hit=0.4,
    refusal_rate=0.2,
    false_refusal_rate=0.1,
    false_number_warnings=0,
    answer_ms_p50=100.0,
    answer_ms_p95=300.0,
    search_ms_p50=20.0,
)
MONDAY = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)


def test_two_runs_of_one_day_give_their_mean_and_both_sample_counts() -> None:
    runs = [(MONDAY, RUN), (MONDAY.replace(hour=15), replace(RUN, hit_at_5=0.9, answer_holds_needle=0.5))]
    day = {v.kpi: (round(v.value, 3), v.samples) for v in golden_kpis(runs) if v.window is Window.DAY}
    assert day == {Kpi.GOLDEN_HIT_AT_5: (0.8, 80), Kpi.GOLDEN_ANSWER_RATE: (0.4, 80)}
    hours = sorted({v.bucket_start.hour for v in golden_kpis(runs) if v.window is Window.HOUR})
    assert hours == [9, 15]  # each run in its own hour
    assert {v.scope for v in golden_kpis(runs)} == {ALL}


def test_a_run_without_answerable_questions_measures_nothing() -> None:
    assert golden_kpis([(MONDAY, replace(RUN, answerable=0))]) == []
    assert golden_kpis([]) == []
