"""The learning run on the real repositories (SQLite and PostgreSQL): idempotent, audited, consent-aware.

Issue #5: "The learning job is idempotent (running it twice gives the same scores) and audited."
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables import mv_events_daily
from luna.container import Container, build_container
from luna.domain.events import EventType
from luna.domain.items import ItemStatus
from luna.domain.scores import Score, ScoreTarget
from luna.services.learning.learning import AUDIT_ACTION, LearningService
from luna.settings import Settings
from luna.workers.registry import load_jobs
from luna.workers.runner import execute, queue_nightly_learning
from tests.contracts.sql_support import BACKENDS, remove_all_rows
from tests.integration.learning_data import (
    Library,
    add_events,
    add_library,
    add_rating,
    add_users,
    set_consent,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
VIEW, CLICK, LIKE = EventType.VIEW, EventType.CLICK, EventType.LIKE


@pytest.fixture(params=BACKENDS)
def container(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Iterator[Container]:
    """A migrated database without rows (PostgreSQL: the test module's database, emptied)."""
    env: dict[str, str] = {}
    if request.param == "postgresql":
        env = {
            "LUNA_DATABASE__KIND": "postgresql",
            "LUNA_DATABASE__URL": request.getfixturevalue("module_postgres_url"),
        }
    built = build_container(make_settings(**env), load_jobs)
    built.database.upgrade()
    remove_all_rows(built.database)  # type: ignore[arg-type]  # the module's PG database is shared
    yield built
    built.close()


@pytest.fixture
def library(container: Container) -> Library:
    return add_library(container.database, [3, 2])


def chunk_scores(container: Container, version: int | None = None) -> dict[str, Score]:
    with container.database.unit_of_work(read_only=True) as uow:
        latest = uow.scores.latest_version()
        number = version if version is not None else latest.version if latest else 0
        return {s.target_id: s for batch in uow.scores.scores_of(number, ScoreTarget.CHUNK) for s in batch}


def some_activity(container: Container, library: Library) -> list[str]:
    users = add_users(container.database, 2)
    a, b = library.chunks[0][0], library.chunks[0][1]
    add_events(container.database, users[0], [(VIEW, T0 - 14 * DAY, a, None), (CLICK, T0, a, None)])
    add_events(container.database, users[1], [(LIKE, T0 - DAY, b, library.items[0])])
    add_rating(container.database, users[1], True, T0 - DAY, [a, library.chunks[1][0]])
    return users


def test_running_twice_gives_the_same_scores_and_audits_both_runs(
    container: Container, library: Library
) -> None:
    some_activity(container, library)

    first = container.services.learning.run("admin-api", job_id=None)
    scores_after_first = chunk_scores(container)
    second = container.services.learning.run("schedule")

    assert (first.unchanged, second.version, second.unchanged) == (False, first.version, True)
    assert chunk_scores(container) == scores_after_first
    assert second.inputs_sha256 == first.inputs_sha256 and second.as_of == first.as_of == T0
    assert (first.events, first.ratings, first.chunks, first.items) == (3, 1, 3, 2)
    audit = container.services.learning.audit_log(AUDIT_ACTION)
    target = f"scores:v{first.version}"
    assert [(e.actor, e.target, e.details["unchanged"]) for e in audit] == [
        ("schedule", target, True),
        ("admin-api", target, False),
    ]
    recorded = audit[1].details
    assert recorded["counts"] == {"events": 3, "ratings": 1, "chunks": 3, "items": 2}
    assert recorded["as_of"] == T0.isoformat() and recorded["inputs_sha256"] == first.inputs_sha256
    assert recorded["changes"]["added"] == 3 and recorded["params"]["half_life_days"] == 14.0


def test_the_scores_are_the_hand_computed_ones(container: Container, library: Library) -> None:
    some_activity(container, library)

    container.services.learning.run("admin-api")
    scores = chunk_scores(container)
    a, b, c = library.chunks[0][0], library.chunks[0][1], library.chunks[1][0]

    # b: a like a day before as_of, 4 · 0.5^(1/14) = 3.81, the largest; a: a view 14 days before (0.5) plus
    # a click at as_of (2). Ratings: a and c cited in a useful answer, b liked; prior 0.5 weighing 5.
    b_raw = 4 * 0.5 ** (1 / 14)
    assert scores[b].popularity == 1.0
    assert scores[a].popularity == pytest.approx(2.5 / b_raw)
    assert scores[a].quality == pytest.approx((1 + 2.5) / 6) and scores[b].quality == pytest.approx(3.5 / 6)
    assert (scores[c].popularity, scores[c].positives) == (0.0, 1) and scores[c].quality == pytest.approx(
        3.5 / 6
    )


def test_new_events_make_a_new_version_that_records_what_moved(
    container: Container, library: Library
) -> None:
    users = some_activity(container, library)
    first = container.services.learning.run("admin-api")
    a, b, c = library.chunks[0][0], library.chunks[0][1], library.chunks[1][1]
    add_events(container.database, users[0], [(CLICK, T0 + DAY, c, None), (LIKE, T0 + DAY, a, None)])

    result = container.services.learning.run("admin-api")

    # As of T0 + 1 day: a = 0.5^(15/14) + 2 · 0.5^(1/14) + 4 is now the largest; b = 4 · 0.5^(2/14); c = 2.
    a_raw, b_raw = 0.5 ** (15 / 14) + 2 * 0.5 ** (1 / 14) + 4, 4 * 0.5 ** (2 / 14)
    changes = result.changes
    assert (result.version, result.unchanged, result.as_of) == (first.version + 1, False, T0 + DAY)
    assert (changes.previous_version, changes.moved, changes.added, changes.removed) == (
        first.version,
        2,
        1,
        0,
    )
    assert [mover.chunk_id for mover in changes.top] == [b, a, c]
    assert changes.top[0].popularity_after == pytest.approx(b_raw / a_raw)
    assert changes.top[2].popularity_after == pytest.approx(2 / a_raw)
    assert chunk_scores(container, version=first.version) != chunk_scores(container, version=result.version)


def test_time_passing_alone_moves_no_popularity_because_it_is_relative(
    container: Container, library: Library
) -> None:
    some_activity(container, library)
    first = container.services.learning.run("admin-api")

    later = container.services.learning.run("admin-api", as_of=T0 + 30 * DAY)

    assert later.version == first.version + 1 and later.changes.changed == 0


def test_archived_chunks_and_unindexed_items_get_no_scores(container: Container, library: Library) -> None:
    pending = add_library(container.database, [1], status=ItemStatus.PENDING)
    users = add_users(container.database, 1)
    old, kept = library.chunks[0][0], library.chunks[1][0]
    add_events(
        container.database,
        users[0],
        [(CLICK, T0, old, None), (CLICK, T0, kept, None), (CLICK, T0, pending.chunks[0][0], None)],
    )
    with container.database.unit_of_work() as uow:
        uow.chunks.archive_for_item(library.items[0])  # a new version of item 0 replaced its chunks
        uow.commit()

    result = container.services.learning.run("admin-api")

    assert set(chunk_scores(container)) == {kept}
    with container.database.unit_of_work(read_only=True) as uow:
        items = uow.scores.get_many(ScoreTarget.ITEM, [*library.items, *pending.items])
    assert set(items) == set(library.items)  # item 0 keeps the click on its archived chunk
    assert (result.chunks, result.items) == (1, 2)


def test_users_who_withdrew_consent_are_left_out(container: Container, library: Library) -> None:
    users = add_users(container.database, 2)
    chunk = library.chunks[0][0]
    add_events(container.database, users[0], [(CLICK, T0, chunk, None)])
    add_events(container.database, users[1], [(CLICK, T0 - DAY, library.chunks[1][0], None)])
    set_consent(container.database, users[0], False, T0 - 10 * DAY)

    result = container.services.learning.run("admin-api")

    assert set(chunk_scores(container)) == {library.chunks[1][0]}
    assert result.events == 1 and result.as_of == T0 - DAY


def test_without_default_consent_only_users_who_said_yes_count(
    container: Container, library: Library
) -> None:
    users = add_users(container.database, 2)
    add_events(container.database, users[0], [(CLICK, T0, library.chunks[0][0], None)])
    add_events(container.database, users[1], [(CLICK, T0, library.chunks[1][0], None)])
    set_consent(container.database, users[1], True, T0 - DAY)
    strict = LearningService(
        container.database, replace(container.services.learning.params, consent_default=False)
    )

    result = strict.run("admin-api")

    assert result.events == 1 and set(chunk_scores(container)) == {library.chunks[1][0]}


def test_streaming_in_small_batches_gives_the_same_scores(container: Container, library: Library) -> None:
    some_activity(container, library)
    reference = container.services.learning.run("admin-api")
    small = LearningService(container.database, container.services.learning.params, batch_size=1)

    again = small.run("admin-api")

    assert again.unchanged and again.inputs_sha256 == reference.inputs_sha256


def test_a_given_as_of_leaves_later_inputs_out(container: Container, library: Library) -> None:
    some_activity(container, library)

    result = container.services.learning.run("admin-api", as_of=T0 - 2 * DAY)

    assert (result.events, result.ratings, result.as_of) == (1, 0, T0 - 2 * DAY)


def test_progress_is_reported_in_german_and_ends_complete(container: Container, library: Library) -> None:
    some_activity(container, library)
    reports: list[tuple[float, str]] = []

    result = container.services.learning.run(
        "admin-api", progress=lambda part, message: reports.append((part, message))
    )

    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("Ereignisse gelesen" in message for _, message in reports)
    assert reports[-1][1] == f"Fertig: Version {result.version} (neu), 3 Abschnitte bewertet"


def test_an_empty_store_stores_an_empty_version_once(container: Container) -> None:
    first = container.services.learning.run("schedule")
    second = container.services.learning.run("schedule")

    assert (first.chunks, first.unchanged, second.unchanged, second.version) == (
        0,
        False,
        True,
        first.version,
    )


def test_the_job_scores_refreshes_the_daily_events_and_names_who_queued_it(
    container: Container, library: Library
) -> None:
    some_activity(container, library)
    jobs = container.services.jobs
    job = jobs.submit("learn.run", {"as_of": T0.isoformat()}, "admin-api")

    execute(container, job.job_id)  # what a worker does with the queued ID, here in this thread

    done = jobs.get(job.job_id)
    assert done.status.value == "succeeded", done.error
    with container.database.unit_of_work(read_only=True) as uow:
        latest = uow.scores.latest_version()
    assert latest is not None and latest.job_id == job.job_id and latest.actor == "admin-api"
    assert done.result is not None and done.result["version"] == latest.version
    assert done.result["events_daily_refreshed"] and done.message == f"Version {latest.version} gespeichert"
    assert isinstance(container.database, SqlDatabase)
    with container.database.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.sum(mv_events_daily.c.cnt))).scalar() == 3


def test_the_nightly_schedule_queues_one_run_at_a_time_and_the_next_one_a_night_later(
    container: Container,
) -> None:
    now = datetime.now(UTC)  # job and version times are wall-clock times; the schedule is judged against them

    first = queue_nightly_learning(container, now)
    while_queued = queue_nightly_learning(container, now)
    assert first is not None and first.created_by == "schedule" and while_queued is None
    execute(container, first.job_id)
    # the same instant, not minutes later: minutes before the nightly hour they reach the next night
    same_night = queue_nightly_learning(container, now)
    next_night = queue_nightly_learning(container, now + 2 * DAY)

    assert same_night is None and next_night is not None
    assert container.services.learning.audit_log(AUDIT_ACTION)[0].actor == "schedule"
