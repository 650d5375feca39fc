"""Events, ratings with labels, and consent: the same behaviour on SQLite and the real PostgreSQL.

The learning loop trusts two things here: a batch of events is stored whole or not at all, and the
learning reads leave out exactly the users whose newest ``learning`` consent record says no (and,
with ``consent_default`` off, those who never said yes).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.tables import labels, rag_feedback
from luna.domain.events import LEARNING_SCOPE, Consent, Event, EventType, Label, RagFeedback
from luna.domain.items import Item, ItemChunk
from tests.contracts.sql_support import BACKENDS, rowless_database

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
GARBAGE_IDS = ("", "not-a-uuid", "'; DROP TABLE events; --")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlDatabase]:
    with rowless_database(request, request.param, tmp_path, pool_size=2) as db:
        try:
            yield db
        finally:
            # rag_feedback is not (yet) in DATA_TABLES, which the next test's emptying walks.
            with db.engine.begin() as connection:
                connection.execute(sa.delete(labels))
                connection.execute(sa.delete(rag_feedback))


def new_id() -> str:
    return str(uuid.uuid4())


def add_users(database: SqlDatabase, *user_ids: str) -> None:
    with database.unit_of_work() as uow:
        for user_id in user_ids:
            uow.users.get_or_create(user_id)
        uow.commit()


def add_item(database: SqlDatabase, chunks: int = 2) -> tuple[Item, list[ItemChunk]]:
    item = Item(item_id=new_id(), kind="document", title="Dynamische Tarife", created_at=T0)
    parts = [
        ItemChunk(chunk_id=new_id(), item_id=item.item_id, chunk_idx=i, text=f"Teil {i}")
        for i in range(chunks)
    ]
    with database.unit_of_work() as uow:
        uow.items.add(item)
        uow.chunks.add_many(parts)
        uow.commit()
    return item, parts


def event(user_id: str, minutes: int = 0, type_: EventType = EventType.VIEW, **fields: Any) -> Event:
    return Event(event_id=new_id(), user_id=user_id, ts=T0 + timedelta(minutes=minutes), type=type_, **fields)


def add_events(database: SqlDatabase, *events: Event) -> None:
    with database.unit_of_work() as uow:
        uow.events.add_many(events)
        uow.commit()


def record_consent(database: SqlDatabase, user_id: str, *decisions: bool) -> None:
    with database.unit_of_work() as uow:
        for minutes, granted in enumerate(decisions):
            uow.consent.record(Consent(user_id, LEARNING_SCOPE, granted, T0 + timedelta(minutes=minutes)))
        uow.commit()


def rating(
    user_id: str | None, minutes: int = 0, useful: bool = True, chunks: list[str] | None = None
) -> RagFeedback:
    return RagFeedback(
        feedback_id=new_id(),
        user_id=user_id,
        ts=T0 + timedelta(minutes=minutes),
        question="Was kostet Strom nachts?",
        answer="Nachts ist Strom meist günstiger [chunk 1].",
        useful=useful,
        notes=None,
        chunks_used=chunks or [],
    )


# --- events -----------------------------------------------------------------------------------------


def test_events_come_back_newest_first_with_their_fields(database: SqlDatabase) -> None:
    user = new_id()
    add_users(database, user)
    item, chunks = add_item(database)
    older = event(
        user,
        1,
        EventType.CLICK,
        item_id=item.item_id,
        chunk_id=chunks[0].chunk_id,
        meta={"recommendation_id": new_id(), "tiefe": {"ä": [1, 2.5, None, True]}},
    )
    newer = event(user, 2, EventType.LIKE, item_id=item.item_id)
    add_events(database, older, newer)

    with database.unit_of_work(read_only=True) as uow:
        assert uow.events.for_user(user) == [newer, older]
        assert uow.events.for_user(user, types={EventType.CLICK}) == [older]
        assert uow.events.for_user(user, limit=1) == [newer]
        assert uow.events.get(older.event_id) == older
        assert uow.events.count() == 2
        assert uow.events.count(user_id=user) == 2
        assert uow.events.count(user_id=new_id()) == 0


def test_a_thousand_events_go_in_with_one_call(database: SqlDatabase) -> None:
    user = new_id()
    add_users(database, user)
    add_events(database, *(event(user, minutes) for minutes in range(1000)))
    with database.unit_of_work(read_only=True) as uow:
        assert uow.events.count(user_id=user) == 1000


def test_a_batch_with_one_bad_event_stores_none(database: SqlDatabase) -> None:
    known = new_id()
    add_users(database, known)
    with pytest.raises(sa.exc.IntegrityError), database.unit_of_work() as uow:
        uow.events.add_many([event(known, 1), event(new_id(), 2)])  # the second user does not exist
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.events.count() == 0


@pytest.mark.parametrize("garbage", GARBAGE_IDS)
def test_garbage_ids_find_nothing_and_erase_nothing(database: SqlDatabase, garbage: str) -> None:
    user = new_id()
    add_users(database, user)
    add_events(database, event(user))
    with database.unit_of_work() as uow:
        assert uow.events.get(garbage) is None
        assert uow.events.for_user(garbage) == []
        assert uow.events.count(user_id=garbage) == 0
        assert uow.events.delete_for_user(garbage) == 0
        assert uow.feedback.get(garbage) is None
        assert uow.feedback.delete_for_user(garbage) == (0, 0)
        assert uow.consent.current(garbage, LEARNING_SCOPE) is None
        assert uow.events.count() == 1


def test_deleting_an_item_keeps_its_events_but_not_its_labels(database: SqlDatabase) -> None:
    user = new_id()
    add_users(database, user)
    item, chunks = add_item(database)
    view = event(user, item_id=item.item_id, chunk_id=chunks[0].chunk_id)
    add_events(database, view)
    feedback = rating(user, chunks=[chunks[0].chunk_id])
    with database.unit_of_work() as uow:
        uow.feedback.add(
            feedback, [Label(user, item.item_id, T0, 1.0, "useful", chunks[0].chunk_id, feedback.feedback_id)]
        )
        uow.items.delete(item.item_id)
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        kept = uow.events.get(view.event_id)
        assert kept is not None and kept.item_id is None and kept.chunk_id is None
        assert uow.feedback.count_labels() == 0
        assert uow.feedback.get(feedback.feedback_id) == feedback


# --- consent and learning reads ---------------------------------------------------------------------


@pytest.fixture
def four_users(database: SqlDatabase) -> dict[str, str]:
    """silent: no record; refused: said no; returned: no, then yes; withdrew: yes, then no."""
    users = {name: new_id() for name in ("silent", "refused", "returned", "withdrew")}
    add_users(database, *users.values())
    record_consent(database, users["refused"], False)
    record_consent(database, users["returned"], False, True)
    record_consent(database, users["withdrew"], True, False)
    return users


@pytest.mark.parametrize(
    ("consent_default", "learned_from"), [(True, {"silent", "returned"}), (False, {"returned"})]
)
def test_learning_reads_follow_each_users_newest_consent(
    database: SqlDatabase, four_users: dict[str, str], consent_default: bool, learned_from: set[str]
) -> None:
    for minutes, user in enumerate(four_users.values()):
        add_events(database, event(user, minutes), event(user, minutes + 10))
    with database.unit_of_work() as uow:
        for minutes, user in enumerate(four_users.values()):
            uow.feedback.add(rating(user, minutes), [])
        uow.feedback.add(rating(None, 99), [])
        uow.commit()

    name_of = {user: name for name, user in four_users.items()}
    with database.unit_of_work(read_only=True) as uow:
        batches = []
        for batch in uow.events.for_learning(consent_default=consent_default, batch_size=3):
            batches.append(batch)
            assert uow.events.count() == 8  # the learning job queries between batches; the stream goes on
        ratings = [
            r
            for batch in uow.feedback.for_learning(consent_default=consent_default, batch_size=2)
            for r in batch
        ]
        assert uow.consent.current(four_users["withdrew"], LEARNING_SCOPE) is not None
    learned = [e for batch in batches for e in batch]
    assert all(len(batch) <= 3 for batch in batches)
    assert len(learned) == 2 * len(learned_from)  # withdrawn consent still stores, but is not learned from
    assert {name_of[e.user_id] for e in learned} == learned_from
    assert [(e.ts, e.event_id) for e in learned] == sorted((e.ts, e.event_id) for e in learned)
    assert {name_of.get(r.user_id or "", "anonymous") for r in ratings} == learned_from | {"anonymous"}
    assert [r.ts for r in ratings] == sorted(r.ts for r in ratings)


def test_the_newest_consent_record_counts_per_scope(database: SqlDatabase) -> None:
    user = new_id()
    add_users(database, user)
    record_consent(database, user, True, False)
    with database.unit_of_work() as uow:
        uow.consent.record(Consent(user, "newsletter", True, T0 + timedelta(hours=1)))
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.consent.current(user, LEARNING_SCOPE) == Consent(
            user, LEARNING_SCOPE, False, T0 + timedelta(minutes=1)
        )
        assert uow.consent.current(user, "newsletter") == Consent(
            user, "newsletter", True, T0 + timedelta(hours=1)
        )
        assert uow.consent.current(new_id(), LEARNING_SCOPE) is None
        history = uow.consent.for_user(user)
        assert [(c.scope, c.granted) for c in history] == [
            (LEARNING_SCOPE, True),
            (LEARNING_SCOPE, False),
            ("newsletter", True),
        ]
        assert uow.consent.for_user(new_id()) == [] and uow.consent.for_user("no uuid") == []


# --- ratings and labels -----------------------------------------------------------------------------


def test_the_newest_ratings_come_first_and_can_be_only_the_unhelpful_ones(database: SqlDatabase) -> None:
    user = new_id()
    add_users(database, user)
    ratings = [rating(user, minutes=m, useful=m % 2 == 0) for m in range(5)]
    with database.unit_of_work() as uow:
        for each in ratings:
            uow.feedback.add(each, [])
        uow.commit()

    with database.unit_of_work(read_only=True) as uow:
        unhelpful = uow.feedback.newest(useful=False, limit=10)
        latest = uow.feedback.newest(limit=2)

    assert unhelpful == [ratings[3], ratings[1]]
    assert latest == [ratings[4], ratings[3]]


def test_a_rating_and_its_labels_are_stored_together(database: SqlDatabase) -> None:
    user = new_id()
    add_users(database, user)
    item, chunks = add_item(database)
    feedback = rating(user, useful=False, chunks=[c.chunk_id for c in chunks])
    label = Label(
        user, item.item_id, feedback.ts, -1.0, "not useful", chunks[0].chunk_id, feedback.feedback_id
    )
    with database.unit_of_work() as uow:
        uow.feedback.add(feedback, [label])
        uow.commit()
    with database.unit_of_work(read_only=True) as uow:
        assert uow.feedback.get(feedback.feedback_id) == feedback
        assert uow.feedback.labels(feedback_id=feedback.feedback_id) == [label]
        assert uow.feedback.labels(user_id=user) == [label]
        assert uow.feedback.count(user_id=user) == 1
        assert uow.feedback.count_labels(user_id=user) == 1


def test_erasing_a_user_removes_only_their_events_ratings_labels_and_consent(database: SqlDatabase) -> None:
    gone, kept = new_id(), new_id()
    add_users(database, gone, kept)
    item, chunks = add_item(database)
    for user in (gone, kept):
        add_events(
            database, event(user, 1), event(user, 2, EventType.RECOMMEND, meta={"strategy": "popular"})
        )
        record_consent(database, user, True, False)
        feedback = rating(user, chunks=[chunks[0].chunk_id])
        with database.unit_of_work() as uow:
            uow.feedback.add(
                feedback,
                [Label(user, item.item_id, T0, 1.0, "useful", chunks[0].chunk_id, feedback.feedback_id)],
            )
            uow.commit()

    with database.unit_of_work() as uow:
        erased = (
            uow.events.delete_for_user(gone),
            uow.feedback.delete_for_user(gone),
            uow.consent.delete_for_user(gone),
        )
        uow.commit()
    assert erased == (2, (1, 1), 2)
    with database.unit_of_work(read_only=True) as uow:
        assert (
            uow.events.count(user_id=gone),
            uow.feedback.count(user_id=gone),
            uow.feedback.count_labels(user_id=gone),
        ) == (0, 0, 0)
        assert uow.consent.current(gone, LEARNING_SCOPE) is None
        assert (
            uow.events.count(user_id=kept),
            uow.feedback.count(user_id=kept),
            uow.feedback.count_labels(user_id=kept),
        ) == (2, 1, 1)
        assert uow.consent.current(kept, LEARNING_SCOPE) is not None
