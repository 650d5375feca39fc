"""``compute_kpis``: each KPI's definition, its denominator as ``samples``, buckets and scopes.

The flywheel's thresholds and alerts read these values, so a KPI that silently changes its
denominator, or reports 0 for a bucket that measured nothing, would fire alerts that mean nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from luna.domain.flywheel.kpi_values import ALL, TURN_KPIS, Kpi, KpiValue, Window, topic_scope
from luna.domain.flywheel.kpis import (
    TurnFacts,
    bucket_start,
    compute_kpis,
    nearest_rank,
    normalised_question,
)
from luna.domain.flywheel.sentiment import Sentiment

MONDAY = datetime(2025, 3, 3, tzinfo=UTC)
AT = MONDAY + timedelta(days=2, hours=10, minutes=15)  # Wednesday 10:15 UTC


def turn(**changes: object) -> TurnFacts:
    base = TurnFacts(at=AT, session_id="s1", user_ref="k1:u1", topic=None, question="Was kostet Strom?")
    return replace(base, **changes)  # type: ignore[arg-type]


def hourly(turns: list[TurnFacts], scope: str = ALL) -> dict[Kpi, KpiValue]:
    """The hour window's values of one scope, by KPI (the examples all lie in one hour)."""
    values = [value for value in compute_kpis(turns, [Window.HOUR]) if value.scope == scope]
    assert len({value.bucket_start for value in values}) <= 1
    return {value.kpi: value for value in values}


def measured(value: KpiValue) -> tuple[float, int]:
    return value.value, value.samples


# --- buckets ----------------------------------------------------------------------------------------


def test_buckets_start_at_the_utc_hour_midnight_and_monday() -> None:
    at = datetime(2025, 3, 6, 0, 30, tzinfo=timezone(timedelta(hours=2)))  # Wednesday 22:30 UTC
    assert bucket_start(at, Window.HOUR) == datetime(2025, 3, 5, 22, tzinfo=UTC)
    assert bucket_start(at, Window.DAY) == datetime(2025, 3, 5, tzinfo=UTC)
    assert bucket_start(at, Window.WEEK) == MONDAY
    assert bucket_start(MONDAY, Window.WEEK) == MONDAY
    assert bucket_start(MONDAY - timedelta(microseconds=1), Window.WEEK) == MONDAY - timedelta(weeks=1)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        bucket_start(datetime(2025, 3, 3), Window.DAY)
    with pytest.raises(ValueError, match="timezone-aware"):
        turn(at=datetime(2025, 3, 3))


@pytest.mark.parametrize("changes", [{"rating": 0}, {"rating": 2}, {"cited": 1, "cited_valid": 2}])
def test_impossible_facts_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        turn(**changes)


def test_every_window_bucket_that_holds_turns_gets_values() -> None:
    turns = [turn(at=AT), turn(at=AT + timedelta(hours=1)), turn(at=AT + timedelta(days=5))]  # Monday next
    buckets = {
        (value.window, value.bucket_start) for value in compute_kpis(turns) if value.kpi is Kpi.REFUSAL_RATE
    }
    assert buckets == {
        (Window.HOUR, datetime(2025, 3, 5, 10, tzinfo=UTC)),
        (Window.HOUR, datetime(2025, 3, 5, 11, tzinfo=UTC)),
        (Window.HOUR, datetime(2025, 3, 10, 10, tzinfo=UTC)),
        (Window.DAY, datetime(2025, 3, 5, tzinfo=UTC)),
        (Window.DAY, datetime(2025, 3, 10, tzinfo=UTC)),
        (Window.WEEK, MONDAY),
        (Window.WEEK, datetime(2025, 3, 10, tzinfo=UTC)),
    }
    week = [v for v in compute_kpis(turns, [Window.WEEK]) if v.kpi is Kpi.REFUSAL_RATE]
    assert [v.samples for v in week] == [2, 1]


def test_only_the_windows_asked_for_are_computed() -> None:
    assert {value.window for value in compute_kpis([turn()], [Window.DAY])} == {Window.DAY}
    assert compute_kpis([]) == []


def test_the_order_is_window_bucket_scope_kpi() -> None:
    turns = [
        turn(at=AT + timedelta(hours=1), topic="pv", rating=1, latency_ms=5.0),
        turn(topic="tarif", rating=-1, cited=1, cited_valid=1),
        turn(topic="pv", sentiment=Sentiment.NEGATIVE, retrieval_score=0.5, unsupported_numbers=False),
    ]
    values = compute_kpis(turns, [Window.WEEK, Window.HOUR, Window.DAY])
    order = list(Window), list(Kpi)
    keys = [(order[0].index(v.window), v.bucket_start, v.scope, order[1].index(v.kpi)) for v in values]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert compute_kpis(reversed(turns)) == compute_kpis(turns)


# --- scopes -----------------------------------------------------------------------------------------


def test_each_topic_is_a_scope_of_its_own_and_all_holds_every_turn() -> None:
    turns = [turn(topic="pv", refused=True), turn(topic="pv"), turn(topic="tarif"), turn(topic=None)]
    assert measured(hourly(turns)[Kpi.REFUSAL_RATE]) == (0.25, 4)
    assert measured(hourly(turns, topic_scope("pv"))[Kpi.REFUSAL_RATE]) == (0.5, 2)
    assert measured(hourly(turns, topic_scope("tarif"))[Kpi.REFUSAL_RATE]) == (0.0, 1)
    assert {value.scope for value in compute_kpis(turns)} == {ALL, "topic:pv", "topic:tarif"}


# --- each KPI ---------------------------------------------------------------------------------------


def test_usefulness_is_thumbs_up_over_rated_turns() -> None:
    turns = [turn(rating=1), turn(rating=1), turn(rating=-1), turn(rating=None)]
    usefulness = hourly(turns)[Kpi.USEFULNESS_RATE]
    assert (usefulness.value, usefulness.samples) == (2 / 3, 3)


def test_thumbs_down_is_over_all_turns_rated_or_not() -> None:
    turns = [turn(rating=1), turn(rating=-1), turn(rating=None), turn(rating=None)]
    assert measured(hourly(turns)[Kpi.THUMBS_DOWN_RATE]) == (0.25, 4)


def test_refusal_rate_is_refused_over_turns() -> None:
    assert measured(hourly([turn(refused=True), turn(), turn(), turn()])[Kpi.REFUSAL_RATE]) == (0.25, 4)


def test_citation_validity_counts_cited_ids_not_turns() -> None:
    turns = [turn(cited=3, cited_valid=3), turn(cited=1, cited_valid=0), turn(cited=0, cited_valid=0)]
    assert measured(hourly(turns)[Kpi.CITATION_VALIDITY]) == (0.75, 4)


def test_unsupported_numbers_count_only_checked_answers() -> None:
    turns = [turn(unsupported_numbers=True), turn(unsupported_numbers=False), turn(unsupported_numbers=None)]
    assert measured(hourly(turns)[Kpi.UNSUPPORTED_NUMBER_RATE]) == (0.5, 2)


def test_retrieval_confidence_is_the_mean_over_turns_with_a_score() -> None:
    turns = [turn(retrieval_score=0.9), turn(retrieval_score=0.5), turn(retrieval_score=None)]
    confidence = hourly(turns)[Kpi.RETRIEVAL_CONFIDENCE]
    assert confidence.value == pytest.approx(0.7)
    assert confidence.samples == 2


def test_latency_p95_is_the_nearest_rank_over_turns_with_a_latency() -> None:
    turns = [turn(latency_ms=float(ms)) for ms in range(1, 21)] + [turn(latency_ms=None)]
    assert measured(hourly(turns)[Kpi.LATENCY_P95_MS]) == (19.0, 20)  # rank ceil(0.95 × 20) = 19
    assert hourly([turn(latency_ms=float(ms)) for ms in range(1, 22)])[Kpi.LATENCY_P95_MS].value == 20.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [([7.0], 7.0), ([1.0, 2.0], 2.0), ([3.0, 1.0, 2.0], 3.0), ([float(v) for v in range(100, 0, -1)], 95.0)],
)
def test_nearest_rank_never_interpolates(values: list[float], expected: float) -> None:
    assert nearest_rank(values, 95) == expected


def test_a_repeat_is_the_same_user_asking_the_same_question_again_in_the_bucket() -> None:
    turns = [
        turn(user_ref="u1", question="Was kostet Strom?"),
        turn(user_ref="u1", question="  was KOSTET   strom "),  # repeat: same once normalised
        turn(user_ref="u1", question="Was kostet Strom??"),  # repeat
        turn(user_ref="u2", question="Was kostet Strom?"),  # another user: not a repeat
        turn(user_ref="u1", question="Was kostet Gas?"),
    ]
    assert measured(hourly(turns)[Kpi.REPEAT_QUESTION_RATE]) == (0.4, 5)


def test_a_question_asked_again_in_another_bucket_is_no_repeat_there() -> None:
    turns = [turn(at=AT), turn(at=AT + timedelta(hours=1))]
    rates = [v for v in compute_kpis(turns) if v.kpi is Kpi.REPEAT_QUESTION_RATE]
    assert [(v.window, v.value) for v in rates] == [
        (Window.HOUR, 0.0),
        (Window.HOUR, 0.0),
        (Window.DAY, 0.5),
        (Window.WEEK, 0.5),
    ]


def test_questions_are_normalised_by_case_punctuation_and_spacing() -> None:
    assert normalised_question(" Wie hoch sind\tdie NETZENTGELTE?! ") == "wie hoch sind die netzentgelte"
    assert normalised_question("Förderung,Wärmepumpe") == "förderung wärmepumpe"


def test_negative_sentiment_is_over_turns_with_a_note_or_follow_up() -> None:
    turns = [
        turn(sentiment=Sentiment.NEGATIVE),
        turn(sentiment=Sentiment.NEUTRAL),
        turn(sentiment=Sentiment.POSITIVE),
        turn(sentiment=Sentiment.NEGATIVE),
        turn(sentiment=None),
    ]
    assert measured(hourly(turns)[Kpi.NEGATIVE_SENTIMENT_RATE]) == (0.5, 4)


# --- no samples, no value ---------------------------------------------------------------------------


def test_a_kpi_without_samples_is_left_out_never_reported_as_zero() -> None:
    assert set(hourly([turn()])) == {Kpi.THUMBS_DOWN_RATE, Kpi.REFUSAL_RATE, Kpi.REPEAT_QUESTION_RATE}


def test_a_turn_with_every_fact_gives_every_kpi() -> None:
    full = turn(
        rating=1,
        cited=2,
        cited_valid=1,
        unsupported_numbers=True,
        retrieval_score=0.8,
        latency_ms=1200.0,
        sentiment=Sentiment.POSITIVE,
    )
    assert list(hourly([full])) == list(TURN_KPIS)
