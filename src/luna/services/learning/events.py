"""Recording what users do: one event or a batch of up to 1,000, checked completely before any is stored.

Events feed the learning loop, so garbage in them becomes garbage in scores: every field is checked
(type, time with a zone and not in the future, IDs that exist, a small JSON ``meta``, stored with its
texts redacted), and a batch is
all-or-nothing with every problem reported by index, so a client can fix its batch in one round.
``recommend`` events are written by the recommender itself and cannot be posted.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from luna.domain.errors import InvalidInput, NotFound, TooLarge, field_problem
from luna.domain.events import Event, EventType
from luna.domain.items import ItemChunk
from luna.domain.privacy import redact
from luna.ports.sql import Database, UnitOfWork

CLIENT_EVENT_TYPES: Final = tuple(t for t in EventType if t is not EventType.RECOMMEND)
"""What clients may post; ``recommend`` events are Luna's own record of what it recommended."""
MAX_BATCH_EVENTS: Final = 1000
#: A refused batch lists this many problems, the first by index, and counts the rest (``not_listed``).
MAX_LISTED_PROBLEMS: Final = 100
MAX_META_BYTES: Final = 4096
MAX_META_DEPTH: Final = 5
FUTURE_TOLERANCE: Final = timedelta(minutes=5)
"""Clients' clocks drift; an event further ahead than this was not observed, it was made up."""
EARLIEST_TS: Final = datetime(2000, 1, 1, tzinfo=UTC)
_FIELDS: Final = frozenset({"user_id", "type", "ts", "item_id", "chunk_id", "meta"})
_ALLOWED: Final = {t.value: t for t in CLIENT_EVENT_TYPES}
_ALLOWED_TEXT: Final = ", ".join(_ALLOWED)
_CANONICAL_UUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one field of one event; ``unknown`` marks IDs that name nothing (404)."""

    index: int
    field: str
    message: str
    unknown: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "problem": self.message}


@dataclass(slots=True)
class _Draft:
    index: int
    user_id: str
    type: EventType
    ts: datetime
    item_id: str | None
    chunk_id: str | None
    meta: dict[str, Any] = field(default_factory=dict)


def canonical_uuid(value: object, name: str) -> str:
    """The canonical text of the UUID ``value``; anything else is a caller's mistake (400)."""
    if isinstance(value, str):
        if _CANONICAL_UUID.fullmatch(value):
            return value
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    problem = f"must be a UUID, got {value!r:.60}"
    raise InvalidInput(f"{name} {problem}", details=field_problem(name, problem))


class EventService:
    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._database = database
        self._clock = clock

    def record(self, raw: Mapping[str, Any]) -> Event:
        """Store one event; the first problem decides the answer (400, or 404 for unknown IDs)."""
        events, problems = self._store([raw])
        if problems:
            invalid = [p for p in problems if not p.unknown]
            first = (invalid or problems)[0]
            error = InvalidInput if invalid else NotFound
            raise error(
                f"{first.field}: {first.message}",
                details={"errors": [_single(p) for p in problems]},
            )
        return events[0]

    def record_batch(self, raws: Sequence[object]) -> list[Event]:
        """Store all events in one transaction, or none (400 listing every problem by index)."""
        if not raws:
            raise InvalidInput(
                "events must hold at least one event",
                details=field_problem("events", "must hold at least one event"),
            )
        if len(raws) > MAX_BATCH_EVENTS:
            raise TooLarge(
                f"A batch holds at most {MAX_BATCH_EVENTS:,} events, this one {len(raws):,}: split it.",
                details={"max_events": MAX_BATCH_EVENTS, "events": len(raws)},
            )
        events, problems = self._store(raws)
        if problems:
            raise InvalidInput(
                f"{len({p.index for p in problems})} of {len(raws)} events have problems; none was stored.",
                details=_listed(problems),
            )
        return events

    def _store(self, raws: Sequence[object]) -> tuple[list[Event], list[Problem]]:
        now = self._clock()
        drafts: list[_Draft] = []
        problems: list[Problem] = []
        for index, raw in enumerate(raws):
            draft = _parse(index, raw, now, problems)
            if draft is not None:
                drafts.append(draft)
        with self._database.unit_of_work() as uow:
            _resolve_references(uow, drafts, problems)
            if problems:
                return [], sorted(problems, key=lambda p: p.index)
            for user_id in dict.fromkeys(d.user_id for d in drafts):
                uow.users.get_or_create(user_id)
            events = [
                Event(
                    event_id=str(uuid.uuid4()),
                    user_id=d.user_id,
                    ts=d.ts,
                    type=d.type,
                    item_id=d.item_id,
                    chunk_id=d.chunk_id,
                    meta=d.meta,
                )
                for d in drafts
            ]
            uow.events.add_many(events)
            uow.commit()
        return events, []


def _single(problem: Problem) -> dict[str, Any]:
    return {"field": problem.field, "problem": problem.message}


def _parse(index: int, raw: object, now: datetime, problems: list[Problem]) -> _Draft | None:
    """The event in ``raw``, or None with its problems appended."""
    if not isinstance(raw, Mapping):
        problems.append(Problem(index, "", "an event must be a JSON object"))
        return None
    found: list[Problem] = []

    def check(name: str, parse: Callable[[object], Any]) -> Any:
        try:
            return parse(raw.get(name))
        except InvalidInput as error:
            found.append(Problem(index, name, error.message.removeprefix(f"{name} ")))
            return None

    found += [Problem(index, str(name), "is not a field of an event") for name in raw if name not in _FIELDS]
    user_id = check("user_id", _user_id)
    type_ = check("type", _event_type)
    ts = check("ts", lambda value: _timestamp(value, now))
    item_id = check("item_id", lambda value: _optional_uuid(value, "item_id"))
    chunk_id = check("chunk_id", lambda value: _optional_uuid(value, "chunk_id"))
    meta = check("meta", _meta)
    problems += found
    if found:
        return None
    return _Draft(index, user_id, type_, ts, item_id, chunk_id, meta)


def _user_id(value: object) -> str:
    if value is None:
        raise InvalidInput("user_id is required when the admin key posts events")
    return canonical_uuid(value, "user_id")


def _event_type(value: object) -> EventType:
    if value is None:
        raise InvalidInput(f"type is required: one of {_ALLOWED_TEXT}")
    if not isinstance(value, str) or value not in _ALLOWED:
        raise InvalidInput(f"type must be one of {_ALLOWED_TEXT}; got {value!r:.40}")
    return _ALLOWED[value]


def _timestamp(value: object, now: datetime) -> datetime:
    if value is None:
        return now
    if not isinstance(value, str):
        raise InvalidInput("ts must be ISO-8601 text, e.g. 2025-01-01T12:00:00Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"ts is not an ISO-8601 time: {value!r:.40}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInput(f"ts needs a time zone, e.g. {value}Z or {value}+01:00")
    try:
        ts = parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"ts is out of range: {value!r:.40}") from None
    if ts > now + FUTURE_TOLERANCE:
        raise InvalidInput(f"ts lies in the future ({ts.isoformat()} is after {now.isoformat()})")
    if ts < EARLIEST_TS:
        raise InvalidInput(f"ts lies before {EARLIEST_TS.date().isoformat()}")
    return ts


def _optional_uuid(value: object, name: str) -> str | None:
    return None if value is None else canonical_uuid(value, name)


def _meta(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("meta must be a JSON object")
    _check_json(value, depth=1)
    try:
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode())
    except (ValueError, UnicodeEncodeError):
        raise InvalidInput("meta must be plain JSON (no NaN or Infinity, valid Unicode)") from None
    if size > MAX_META_BYTES:
        raise InvalidInput(f"meta must stay within {MAX_META_BYTES} bytes as JSON; it has {size}")
    return {key: _without_pii(child) for key, child in value.items()}


def _without_pii(value: Any) -> Any:
    """``meta`` as stored: its texts redacted like questions and ratings are, since a client may put a
    search term or a comment there; IDs (UUIDs such as ``recommendation_id``) stay as they are."""
    if isinstance(value, dict):
        return {key: _without_pii(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_without_pii(child) for child in value]
    if isinstance(value, str) and not _is_uuid(value):
        return redact(value)
    return value


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _check_json(value: object, depth: int) -> None:
    if depth > MAX_META_DEPTH:
        raise InvalidInput(f"meta must not nest deeper than {MAX_META_DEPTH} levels")
    children: list[object] = []
    if isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        children = list(value)
    elif isinstance(value, str) and "\x00" in value:
        raise InvalidInput("meta must not contain NUL characters")
    for child in children:
        _check_json(child, depth + 1 if isinstance(child, dict | list) else depth)


def _resolve_references(uow: UnitOfWork, drafts: list[_Draft], problems: list[Problem]) -> None:
    """Check that chunks and items exist; a chunk fills in its item, and must agree with a given one."""
    chunk_ids = list(dict.fromkeys(d.chunk_id for d in drafts if d.chunk_id is not None))
    chunks: dict[str, ItemChunk] = {c.chunk_id: c for c in uow.chunks.get_many(chunk_ids)}
    item_ids = dict.fromkeys(d.item_id for d in drafts if d.item_id is not None)
    known_items = {item_id for item_id in item_ids if uow.items.get(item_id) is not None}
    for draft in drafts:
        if draft.item_id is not None and draft.item_id not in known_items:
            problems.append(Problem(draft.index, "item_id", f"no item with id {draft.item_id}", unknown=True))
        if draft.chunk_id is None:
            continue
        chunk = chunks.get(draft.chunk_id)
        if chunk is None:
            problems.append(
                Problem(draft.index, "chunk_id", f"no chunk with id {draft.chunk_id}", unknown=True)
            )
        elif draft.item_id is None:
            draft.item_id = chunk.item_id
        elif draft.item_id != chunk.item_id:
            problems.append(
                Problem(
                    draft.index,
                    "chunk_id",
                    f"chunk {draft.chunk_id} belongs to item {chunk.item_id}, not to {draft.item_id}",
                )
            )


def _listed(problems: Sequence[Problem]) -> dict[str, Any]:
    """The first problems by index, and how many more there are: a batch of 1,000 events with 70
    unknown keys each answered with 70,000 entries (4.7 MB)."""
    details: dict[str, Any] = {"errors": [p.as_dict() for p in problems[:MAX_LISTED_PROBLEMS]]}
    if len(problems) > MAX_LISTED_PROBLEMS:
        details["not_listed"] = len(problems) - MAX_LISTED_PROBLEMS
    return details
