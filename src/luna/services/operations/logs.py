"""The log summary of the admin dashboard: how many warnings and errors, from where, and the newest.

It reads a source of recent problems (the process's buffer, :class:`luna.logging_setup.RecentProblems`,
in production; any object of the same shape in tests) instead of importing the logging setup, so the
summary can be checked without touching the process's logging. Counts are exact per minute for the
last day; the entries are the newest the source still holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

#: Levels counted as errors; everything else the source holds is a warning.
ERROR_LEVELS: Final = frozenset({"ERROR", "CRITICAL"})
MAX_ENTRIES: Final = 200
#: Records read from the source per summary: more than the process buffer holds, so all of them.
_SCANNED: Final = 5000


class ProblemRecord(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def level(self) -> str: ...
    @property
    def logger(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def trace_id(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...


class ProblemSource(Protocol):
    @property
    def since(self) -> datetime | None:
        """When the source started collecting; None when it collects nothing in this process."""
        ...

    def newest(self, limit: int) -> Sequence[ProblemRecord]:
        """Up to ``limit`` records, newest first."""
        ...

    def minute_counts(self) -> Sequence[tuple[datetime, Mapping[tuple[str, str], int]]]:
        """``(start of minute, count by (level, logger))``, oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class ProblemCounts:
    errors: int = 0
    warnings: int = 0

    @property
    def total(self) -> int:
        return self.errors + self.warnings


@dataclass(frozen=True, slots=True)
class LoggerProblems:
    logger: str
    counts: ProblemCounts


@dataclass(frozen=True, slots=True)
class LogSummary:
    as_of: datetime
    #: Since when problems are collected (the process's start, roughly); None: not collected here.
    collecting_since: datetime | None
    last_hour: ProblemCounts
    last_day: ProblemCounts
    #: Loggers with problems in the last day, most errors (then warnings) first.
    by_logger: list[LoggerProblems]
    newest_errors: list[ProblemRecord]
    newest_warnings: list[ProblemRecord]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LogSummaryService:
    def __init__(self, source: ProblemSource, clock: Callable[[], datetime] = _utc_now) -> None:
        self._source = source
        self._clock = clock

    def summary(self, limit: int = 20) -> LogSummary:
        """Counts of the last hour and day, per logger for the day, the newest ``limit`` of each level."""
        limit = max(1, min(limit, MAX_ENTRIES))
        now = self._clock()
        hour, day = now - timedelta(hours=1), now - timedelta(days=1)
        last_hour: dict[str, int] = {"errors": 0, "warnings": 0}
        last_day: dict[str, int] = {"errors": 0, "warnings": 0}
        per_logger: dict[str, dict[str, int]] = {}
        for minute, counts in self._source.minute_counts():
            # A minute counts when any part of it lies in the window (the buffer counts by minute).
            if minute + timedelta(minutes=1) <= day:
                continue
            for (level, logger), count in counts.items():
                kind = "errors" if level in ERROR_LEVELS else "warnings"
                last_day[kind] += count
                per_logger.setdefault(logger, {"errors": 0, "warnings": 0})[kind] += count
                if minute + timedelta(minutes=1) > hour:
                    last_hour[kind] += count
        by_logger = sorted(
            (LoggerProblems(name, ProblemCounts(**counts)) for name, counts in per_logger.items()),
            key=lambda entry: (-entry.counts.errors, -entry.counts.warnings, entry.logger),
        )
        errors: list[ProblemRecord] = []
        warnings: list[ProblemRecord] = []
        for record in self._source.newest(_SCANNED):
            target = errors if record.level in ERROR_LEVELS else warnings
            if len(target) < limit:
                target.append(record)
        return LogSummary(
            as_of=now,
            collecting_since=self._source.since,
            last_hour=ProblemCounts(**last_hour),
            last_day=ProblemCounts(**last_day),
            by_logger=by_logger,
            newest_errors=errors,
            newest_warnings=warnings,
        )

    def find(self, text: str, limit: int = MAX_ENTRIES) -> list[ProblemRecord]:
        """The recent warnings and errors that mention ``text`` (a Fehlernummer a customer reports, or
        a trace id from an API error) in their message, trace id or exception, newest first."""
        needle = text.strip().casefold()
        if not needle:
            return []
        found = [
            record
            for record in self._source.newest(_SCANNED)
            if any(
                needle in (part or "").casefold() for part in (record.message, record.trace_id, record.error)
            )
        ]
        return found[: max(1, min(limit, MAX_ENTRIES))]
