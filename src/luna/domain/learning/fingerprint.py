"""The sha256 of a learning run's inputs: what lets a rerun on unchanged data recognise itself.

Each input becomes one canonical JSON line (UTC timestamps with microseconds, sorted lists), fed in the
order the repositories deliver it ((ts, id) order), followed by the scored targets (sorted) and the
parameters (sorted keys). Two runs hash alike exactly when they saw the same events, ratings, live
targets and parameters, whichever database they ran on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from luna.domain.events import Event, RagFeedback


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class InputsDigest:
    def __init__(self) -> None:
        self._sha = hashlib.sha256()

    def event(self, event: Event) -> None:
        self._line(
            "event", event.event_id, _instant(event.ts), str(event.type), event.item_id, event.chunk_id
        )

    def rating(self, rating: RagFeedback) -> None:
        cited = sorted(set(rating.chunks_used))
        self._line("rating", rating.feedback_id, _instant(rating.ts), rating.useful, cited)

    def target(self, kind: str, target_id: str, item_id: str) -> None:
        self._line("target", kind, target_id, item_id)

    def params(self, params: Mapping[str, Any]) -> None:
        self._line("params", dict(params))

    def hexdigest(self) -> str:
        return self._sha.hexdigest()

    def _line(self, *fields: Any) -> None:
        text = json.dumps(list(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        self._sha.update(text.encode("utf-8") + b"\n")
