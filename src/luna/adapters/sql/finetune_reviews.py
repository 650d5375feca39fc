"""The ``finetune_reviews`` table: people's blind votes on the review pairs of an adapter version."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from luna.adapters.sql.tables_finetune import finetune_adapters, finetune_reviews
from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.finetune.reviews import MAX_COMMENT_CHARS, ReviewVote, Vote


class SqlReviewRepository:
    """:class:`~luna.ports.finetune.ReviewRepository` on SQLite and PostgreSQL."""

    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def add(self, vote: ReviewVote) -> None:
        if vote.comment is not None and len(vote.comment) > MAX_COMMENT_CHARS:
            raise InvalidInput(f"A review comment may have at most {MAX_COMMENT_CHARS} characters.")
        connection = self._connection()
        # Checked first: a failed INSERT would abort the whole transaction on PostgreSQL.
        adapter = sa.select(finetune_adapters.c.name).where(
            finetune_adapters.c.name == vote.name, finetune_adapters.c.version == vote.version
        )
        if connection.execute(adapter).first() is None:
            raise NotFound(f"No adapter {vote.name}@v{vote.version} to review.")
        taken = sa.select(finetune_reviews.c.review_id).where(finetune_reviews.c.review_id == vote.review_id)
        if connection.execute(taken).first() is not None:
            raise Conflict(f"A review vote {vote.review_id!r} exists already; votes are never replaced.")
        statement = sa.insert(finetune_reviews).values(
            review_id=vote.review_id,
            name=vote.name,
            version=vote.version,
            pair_index=vote.pair_index,
            reviewer=vote.reviewer,
            vote=vote.vote.value,
            comment=vote.comment,
            created_at=vote.created_at,
        )
        try:
            connection.execute(statement)
        except sa.exc.IntegrityError as error:
            # Another writer took the same ID between the check and the insert.
            raise Conflict(f"A review vote {vote.review_id!r} exists already.") from error

    def for_version(self, name: str, version: int) -> Sequence[ReviewVote]:
        statement = (
            sa.select(finetune_reviews)
            .where(finetune_reviews.c.name == name, finetune_reviews.c.version == version)
            .order_by(finetune_reviews.c.created_at, finetune_reviews.c.review_id)
        )
        return [_to_vote(row) for row in self._connection().execute(statement)]


def _to_vote(row: sa.Row[Any]) -> ReviewVote:
    return ReviewVote(
        review_id=row.review_id,
        name=row.name,
        version=int(row.version),
        pair_index=int(row.pair_index),
        reviewer=row.reviewer,
        vote=Vote(row.vote),
        created_at=row.created_at,
        comment=row.comment,
    )
