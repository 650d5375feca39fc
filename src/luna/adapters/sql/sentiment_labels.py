"""Sentiment labels per text hash and judge (``sentiment_labels``), so a chat model judges a text once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

import sqlalchemy as sa

from luna.adapters.sql.inserts import dialect_insert
from luna.adapters.sql.tables_flywheel import sentiment_labels
from luna.domain.flywheel.sentiment import Sentiment
from luna.domain.flywheel.sentiment_judge import SentimentLabel

#: Hashes per ``IN`` query (far below every database's parameter limit).
_BATCH: Final = 500


class SqlSentimentLabelRepository:
    def __init__(self, connection: Callable[[], sa.Connection]) -> None:
        self._connection = connection

    def get_many(self, judge: str, text_sha256s: Sequence[str]) -> dict[str, SentimentLabel]:
        found: dict[str, SentimentLabel] = {}
        wanted = sorted(set(text_sha256s))
        for offset in range(0, len(wanted), _BATCH):
            statement = sa.select(sentiment_labels).where(
                sentiment_labels.c.judge == judge,
                sentiment_labels.c.text_sha256.in_(wanted[offset : offset + _BATCH]),
            )
            for row in self._connection().execute(statement):
                found[row.text_sha256] = SentimentLabel(Sentiment(row.sentiment), bool(row.by_model))
        return found

    def put_many(self, judge: str, labels: Sequence[tuple[str, SentimentLabel]], at: datetime) -> None:
        if not labels:
            return
        rows = [
            {
                "text_sha256": key,
                "judge": judge,
                "sentiment": label.sentiment.value,
                "by_model": label.by_model,
                "labelled_at": at,
            }
            for key, label in dict(labels).items()
        ]
        insert = dialect_insert(self._connection(), sentiment_labels)
        self._connection().execute(
            insert.on_conflict_do_nothing(index_elements=["text_sha256", "judge"]), rows
        )
