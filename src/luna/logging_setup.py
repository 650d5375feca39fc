"""Structured logs: one JSON object per line, from structlog and from the standard library alike.

Luna's own code logs through structlog; libraries (uvicorn, SQLAlchemy, huey …) log through the
standard library. Both end in the same handler and renderer, so an operator greps one format, and
values bound with ``structlog.contextvars`` (the request's ``trace_id``) appear on every line
written while a request is handled, whoever wrote it.

Warnings and errors also go to :class:`RecentProblems`, a small in-memory buffer the admin dashboard
summarises ("Protokolle"): an operator sees the newest errors and how many there were in the last
hour and day without a log server. It holds what the log line holds (nothing more) and only for this
process; the JSON log on stderr stays the record.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Final

import structlog
from structlog.typing import Processor

from luna.settings import LoggingSettings

#: Marks the handler this module installed, so configuring again replaces it instead of adding one.
_HANDLER_NAME = "luna"
#: Marks the recent-problems buffer, so configuring again does not attach it twice.
_RECENT_HANDLER_NAME = "luna-recent"
#: Libraries that log every outbound request with its full URL (query strings may carry keys).
_QUIET_LOGGERS = ("httpx", "httpcore", "alembic")
#: Warnings and errors the buffer keeps as entries (the counts cover every one of the last day).
RECENT_CAPACITY: Final = 500
#: Per-minute counts kept: a day and the minute that is running, so "the last 24 hours" is complete.
_COUNTED_MINUTES: Final = 24 * 60 + 1
#: A message or error text longer than this is cut (a log line that long is a dump, not a message).
_MAX_TEXT: Final = 500
#: Keys of a structlog event that are not part of what was said.
_META_KEYS: Final = frozenset(
    {
        "event",
        "level",
        "logger",
        "timestamp",
        "trace_id",
        "exc_info",
        "stack_info",
        "_record",
        "_from_structlog",
    }
)

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


@dataclass(frozen=True, slots=True)
class LoggedProblem:
    """One warning or error as the log recorded it: when, how bad, where, what and in which request."""

    at: datetime
    level: str
    logger: str
    message: str
    trace_id: str | None = None
    #: ``Type: message`` of the exception logged with it (one line, never the traceback).
    error: str | None = None


class RecentProblems(logging.Handler):
    """The newest warnings and errors of this process, and how many there were per minute and logger.

    Entries are bounded (:data:`RECENT_CAPACITY`); the per-minute counts are kept separately for a
    day, so a burst of warnings that pushes older entries out does not make the counts wrong. Safe
    to read from any thread while others log.
    """

    def __init__(self, capacity: int = RECENT_CAPACITY) -> None:
        super().__init__(level=logging.WARNING)
        self._entries: deque[LoggedProblem] = deque(maxlen=capacity)
        self._minutes: deque[tuple[int, Counter[tuple[str, str]]]] = deque()
        self._since: datetime | None = None
        self._guard = threading.Lock()

    @property
    def since(self) -> datetime | None:
        """When this buffer started collecting (None: it is not attached to the log)."""
        return self._since

    def start(self, now: datetime | None = None) -> None:
        with self._guard:
            if self._since is None:
                self._since = now or datetime.now(UTC)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            problem = _problem(record)
        except Exception:
            self.handleError(record)
            return
        minute = int(record.created // 60)
        with self._guard:
            self._entries.append(problem)
            # Threads may hand over records a moment out of order: a late one counts in the newest minute.
            if not self._minutes or minute > self._minutes[-1][0]:
                self._minutes.append((minute, Counter()))
            self._minutes[-1][1][(problem.level, problem.logger)] += 1
            while self._minutes and self._minutes[0][0] <= minute - _COUNTED_MINUTES:
                self._minutes.popleft()

    def newest(self, limit: int) -> list[LoggedProblem]:
        """Up to ``limit`` entries, newest first."""
        with self._guard:
            entries = list(self._entries)
        return entries[::-1][: max(limit, 0)]

    def minute_counts(self) -> list[tuple[datetime, Mapping[tuple[str, str], int]]]:
        """``(start of the minute, count by (level, logger))`` for the minutes that had any, oldest first."""
        with self._guard:
            minutes = [(minute, dict(counts)) for minute, counts in self._minutes]
        return [(datetime.fromtimestamp(minute * 60, UTC), counts) for minute, counts in minutes]

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
            self._minutes.clear()


_RECENT = RecentProblems()


def recent_problems() -> RecentProblems:
    """The process's buffer of recent warnings and errors (filled once :func:`configure_logging` ran)."""
    return _RECENT


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_TEXT else flat[: _MAX_TEXT - 1] + "…"


def _exception(exc_info: object) -> _ExcInfo | None:
    if exc_info is True:
        current = sys.exc_info()
        return None if current[1] is None else current
    if isinstance(exc_info, BaseException):
        return (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and isinstance(exc_info[1], BaseException):
        return exc_info
    return None


def _problem(record: logging.LogRecord) -> LoggedProblem:
    """What a record says, from structlog (an event dict) and the standard library alike."""
    if isinstance(record.msg, dict):
        event = record.msg
        said = [str(event.get("event", ""))]
        said += [f"{key}={value}" for key, value in event.items() if key not in _META_KEYS]
        message = " ".join(part for part in said if part)
        trace_id = event.get("trace_id")
        exc_info = _exception(event.get("exc_info")) or _exception(record.exc_info)
    else:
        message = record.getMessage()
        trace_id = structlog.contextvars.get_contextvars().get("trace_id")
        exc_info = _exception(record.exc_info)
    error = None
    if exc_info is not None:
        error = _one_line(f"{exc_info[0].__name__}: {exc_info[1]}".rstrip(": "))
    return LoggedProblem(
        at=datetime.fromtimestamp(record.created, UTC),
        level=record.levelname,
        logger=record.name,
        message=_one_line(message),
        trace_id=str(trace_id) if trace_id is not None else None,
        error=error,
    )


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(settings: LoggingSettings, stream: IO[str] | None = None) -> None:
    """Route every log record to ``stream`` (stderr) in the configured format and level.

    Call it once at start-up; calling it again (tests, reloads) replaces Luna's handler.
    """
    shared = _shared_processors()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Loggers are created at import time; caching would freeze whatever config existed then.
        cache_logger_on_first_use=False,
    )
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if settings.json_format
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in [h for h in root.handlers if h.get_name() in (_HANDLER_NAME, _RECENT_HANDLER_NAME)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    _RECENT.set_name(_RECENT_HANDLER_NAME)
    _RECENT.start()
    root.addHandler(_RECENT)
    root.setLevel(settings.level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
