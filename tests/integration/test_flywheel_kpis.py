"""Sessions in, KPI values out: ratings, refusals, cited chunks that exist, notes read for sentiment."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from luna.container import Container, build_container
from luna.domain.evaluation import QuestionOutcome, figures
from luna.domain.evaluation_runs import EvalRun
from luna.domain.flywheel.kpi_values import ALL, Kpi, KpiValue, Window, topic_scope
from luna.domain.flywheel.sessions import IncomingSession, SessionTurn
from luna.services.flywheel.kpis import KpiService
from luna.settings import Settings
from tests.integration.learning_data import add_library

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    built = build_container(make_settings())
    built.database.upgrade()
    yield built
    built.close()


def turn(
    minutes: int,
    *,
    rating: int | None = None,
    note: str | None = None,
    cited: tuple[str, ...] = (),
    refused: bool | None = None,
    latency_ms: float | None = None,
    topic: str | None = None,
) -> SessionTurn:
    asked = NOW - timedelta(minutes=minutes)
    return SessionTurn(
        "Was kostet Strom?", "30 ct/kWh", asked, cited, rating, note, refused, latency_ms, topic=topic
    )


def values_of(values: list[KpiValue], window: Window, scope: str = ALL) -> dict[Kpi, tuple[float, int]]:
    return {v.kpi: (round(v.value, 3), v.samples) for v in values if v.window == window and v.scope == scope}


def test_kpis_of_the_current_hour_follow_from_the_sessions(container: Container) -> None:
    chunk_ids = add_library(container.database, [2]).chunks[0]
    sessions = [
        IncomingSession(
            "s1",
            "n8n",
            "a@example.org",
            True,
            (
                turn(
                    5,
                    rating=1,
                    note="Danke, das hat mir geholfen!",
                    cited=(chunk_ids[0],),
                    latency_ms=300.0,
                    topic="netz",
                ),
                turn(4, rating=-1, cited=("gone-chunk",), latency_ms=900.0, topic="netz"),
            ),
        ),
        IncomingSession(
            "s2",
            "n8n",
            "b@example.org",
            True,
            (turn(3, rating=-1, note="Die Antwort ist leider falsch.", refused=True, topic="pv"),),
        ),
        IncomingSession("s3", "n8n", "c@example.org", False, (turn(2, rating=1),)),
    ]
    container.services.sessions.ingest(sessions)
    kpis = KpiService(container.database, clock=lambda: NOW)

    run = kpis.compute()

    assert (run.sessions, run.turns) == (2, 3)
    hour = values_of(kpis.latest(), Window.HOUR)
    assert hour[Kpi.USEFULNESS_RATE] == (0.333, 3)
    assert hour[Kpi.THUMBS_DOWN_RATE] == (0.667, 3)
    assert hour[Kpi.REFUSAL_RATE] == (0.333, 3)
    assert hour[Kpi.CITATION_VALIDITY] == (0.5, 2)
    assert hour[Kpi.LATENCY_P95_MS] == (900.0, 2)
    # The first turn's note is positive; the second turn has no note, so the follow-up is read
    # (none: it is the session's last turn); the third's note is negative.
    assert hour[Kpi.NEGATIVE_SENTIMENT_RATE] == (0.5, 2)
    assert values_of(kpis.latest(), Window.DAY, topic_scope("pv"))[Kpi.USEFULNESS_RATE] == (0.0, 1)


def test_a_recomputation_replaces_buckets_instead_of_adding(container: Container) -> None:
    session = IncomingSession("s1", "n8n", "a@example.org", True, (turn(5, rating=1),))
    container.services.sessions.ingest([session])
    kpis = KpiService(container.database, clock=lambda: NOW)
    kpis.compute()
    revised = IncomingSession("s1", "n8n", "a@example.org", True, (turn(5, rating=-1),))
    container.services.sessions.ingest([revised])
    kpis.compute()
    assert values_of(kpis.latest(), Window.DAY)[Kpi.USEFULNESS_RATE] == (0.0, 1)
    series = kpis.series(Kpi.USEFULNESS_RATE.value, Window.DAY.value, ALL, NOW - timedelta(days=2))
    assert len(series) == 1


def test_each_run_writes_the_recomputed_buckets_as_csv_files(container: Container) -> None:
    container.services.sessions.ingest(
        [IncomingSession("s1", "n8n", "a@example.org", True, (turn(5, rating=1),))]
    )
    kpis = KpiService(container.database, container.blobs, clock=lambda: NOW)
    kpis.compute()
    assert kpis.exported()[:3] == [
        "kpi/week/2026-11-23.csv",
        "kpi/hour/2026-11-23.csv",
        "kpi/day/2026-11-23.csv",
    ]
    rows = list(csv.DictReader(io.StringIO(container.blobs.get("kpi/hour/2026-11-23.csv").decode())))
    usefulness = [r for r in rows if r["kpi"] == "usefulness_rate" and r["scope"] == ALL]
    assert [(r["bucket_start"], r["value"], r["samples"]) for r in usefulness] == [
        ("2026-11-23T10:00:00+00:00", "1", "1")
    ]
    container.services.sessions.ingest(
        [IncomingSession("s1", "n8n", "a@example.org", True, (turn(5, rating=-1),))]
    )
    kpis.compute()  # the revision rewrites the file: one row per bucket, the new value
    rows = list(csv.DictReader(io.StringIO(container.blobs.get("kpi/hour/2026-11-23.csv").decode())))
    assert [r["value"] for r in rows if r["kpi"] == "usefulness_rate" and r["scope"] == ALL] == ["0"]


def test_kept_evaluation_runs_become_golden_set_kpis(container: Container) -> None:
    outcomes = [
        QuestionOutcome("q1", True, rank=2, answer_holds_needle=True),
        QuestionOutcome("q2", True, rank=None),
        QuestionOutcome("u1", False, refused=True),
    ]
    started = (NOW - timedelta(minutes=20)).isoformat()
    with container.database.unit_of_work() as uow:
        uow.eval_runs.add(EvalRun("r1", "nightly", "test", started, {}, figures(outcomes), outcomes))
        uow.commit()
    KpiService(container.database, clock=lambda: NOW).compute()
    day = values_of(KpiService(container.database).latest(), Window.DAY)
    assert day[Kpi.GOLDEN_HIT_AT_5] == (0.5, 2)  # one of two answerable questions found in the top 5
    assert day[Kpi.GOLDEN_ANSWER_RATE] == (0.5, 2)
