"""The admin dashboard's log summary: the in-memory buffer of warnings and errors that the logging setup
attaches, and the summary service that counts them per hour, day and logger."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import structlog

from luna.logging_setup import LoggedProblem, RecentProblems, configure_logging, recent_problems
from luna.services.operations.logs import LogSummaryService
from luna.settings import LoggingSettings

NOW = datetime(2026, 3, 1, 12, 30, 20, tzinfo=UTC)


@pytest.fixture
def buffer() -> Iterator[RecentProblems]:
    """The process's buffer, attached by a real ``configure_logging``; the root logger is restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging(LoggingSettings(level="INFO", json_format=True), stream=io.StringIO())
    recent_problems().clear()
    try:
        yield recent_problems()
    finally:
        recent_problems().clear()
        root.handlers[:] = handlers
        root.setLevel(level)


def test_warnings_and_errors_are_kept_newest_first_with_logger_trace_id_and_exception_but_no_traceback(
    buffer: RecentProblems,
) -> None:
    logging.getLogger("luna.test").info("routine work")
    with structlog.contextvars.bound_contextvars(trace_id="trace-1"):
        logging.getLogger("luna.test").warning("disk %s is %d%% full", "/var", 91)
        try:
            raise ValueError("bad\nrow")
        except ValueError as error:
            structlog.stdlib.get_logger("luna.web").error(
                "web_unexpected_error", reference="ab12", exc_info=error
            )

    newest = buffer.newest(10)
    assert [(p.level, p.logger) for p in newest] == [("ERROR", "luna.web"), ("WARNING", "luna.test")]
    error, warning = newest
    assert error.message == "web_unexpected_error reference=ab12"
    assert error.trace_id == "trace-1" and warning.trace_id == "trace-1"
    assert error.error == "ValueError: bad row"
    assert warning.message == "disk /var is 91% full" and warning.error is None
    assert buffer.since is not None


def test_configuring_again_keeps_one_buffer_so_a_record_is_counted_once(buffer: RecentProblems) -> None:
    configure_logging(LoggingSettings(level="INFO", json_format=True), stream=io.StringIO())
    logging.getLogger("luna.test").error("once")

    assert sum(isinstance(h, RecentProblems) for h in logging.getLogger().handlers) == 1
    assert [p.message for p in buffer.newest(10)] == ["once"]


def test_entries_are_bounded_but_the_per_minute_counts_still_count_every_record() -> None:
    recent = RecentProblems(capacity=3)
    logger = logging.getLogger("luna.test.bounded")
    logger.propagate = False
    logger.addHandler(recent)
    try:
        for number in range(10):
            logger.warning("warning %d", number)
        logger.info("not kept")
    finally:
        logger.removeHandler(recent)
        logger.propagate = True

    assert [p.message for p in recent.newest(10)] == ["warning 9", "warning 8", "warning 7"]
    assert sum(sum(counts.values()) for _, counts in recent.minute_counts()) == 10


def test_records_from_many_threads_are_all_counted() -> None:
    recent = RecentProblems(capacity=50)
    logger = logging.getLogger("luna.test.threads")
    logger.propagate = False
    logger.addHandler(recent)

    def log_many() -> None:
        for _ in range(200):
            logger.error("from a thread")

    threads = [threading.Thread(target=log_many) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        logger.removeHandler(recent)
        logger.propagate = True

    counts = recent.minute_counts()
    assert sum(c.get(("ERROR", "luna.test.threads"), 0) for _, c in counts) == 1600
    assert len(recent.newest(1000)) == 50


@dataclass
class FakeSource:
    since: datetime | None = NOW - timedelta(days=2)
    records: list[LoggedProblem] = field(default_factory=list)
    minutes: list[tuple[datetime, Mapping[tuple[str, str], int]]] = field(default_factory=list)

    def newest(self, limit: int) -> Sequence[LoggedProblem]:
        return self.records[:limit]

    def minute_counts(self) -> Sequence[tuple[datetime, Mapping[tuple[str, str], int]]]:
        return self.minutes


def minute(ago: timedelta) -> datetime:
    moment = NOW - ago
    return moment.replace(second=0, microsecond=0)


def test_the_summary_counts_errors_and_warnings_per_hour_day_and_logger() -> None:
    source = FakeSource(
        minutes=[
            (minute(timedelta(days=1, minutes=5)), {("ERROR", "luna.old"): 7}),
            (minute(timedelta(hours=5)), {("ERROR", "luna.api"): 2, ("WARNING", "luna.web"): 4}),
            (minute(timedelta(minutes=59)), {("CRITICAL", "luna.api"): 1}),
            (minute(timedelta(0)), {("WARNING", "luna.web"): 1, ("WARNING", "httpx"): 3}),
        ]
    )

    summary = LogSummaryService(source, clock=lambda: NOW).summary()

    assert (summary.last_hour.errors, summary.last_hour.warnings) == (1, 4)
    assert (summary.last_day.errors, summary.last_day.warnings) == (3, 8)
    assert [(e.logger, e.counts.errors, e.counts.warnings) for e in summary.by_logger] == [
        ("luna.api", 3, 0),
        ("luna.web", 0, 5),
        ("httpx", 0, 3),
    ]
    assert summary.collecting_since == source.since
    assert summary.as_of == NOW


def test_the_newest_errors_and_warnings_are_listed_apart_up_to_the_limit() -> None:
    records = [
        LoggedProblem(NOW - timedelta(seconds=n), level, "luna.api", f"{level} {n}")
        for n, level in enumerate(["ERROR", "WARNING", "CRITICAL", "WARNING", "ERROR", "WARNING"])
    ]
    summary = LogSummaryService(FakeSource(records=records), clock=lambda: NOW).summary(limit=2)

    assert [r.message for r in summary.newest_errors] == ["ERROR 0", "CRITICAL 2"]
    assert [r.message for r in summary.newest_warnings] == ["WARNING 1", "WARNING 3"]


def test_a_process_that_collects_nothing_says_so() -> None:
    summary = LogSummaryService(FakeSource(since=None), clock=lambda: NOW).summary()

    assert summary.collecting_since is None
    assert summary.last_day.total == 0 and summary.by_logger == [] and summary.newest_errors == []


def test_the_fehlernummer_a_customer_reports_finds_its_log_entry() -> None:
    """The dashboards log an unexpected error with ``reference=<Fehlernummer>``; the API's error
    envelope names the trace id. Either finds the entry, whatever the case, and nothing else."""
    records = [
        LoggedProblem(
            NOW, "ERROR", "luna.web", "web_unexpected_error reference=3f9a0c1e", None, "KeyError: 'x'"
        ),
        LoggedProblem(NOW, "WARNING", "luna.api", "request refused", "7e1d-aa42"),
        LoggedProblem(NOW, "ERROR", "luna.web", "web_unexpected_error reference=0000beef"),
    ]
    service = LogSummaryService(FakeSource(records=records), clock=lambda: NOW)

    assert [r.message for r in service.find("3F9A0C1E")] == ["web_unexpected_error reference=3f9a0c1e"]
    assert [r.logger for r in service.find(" 7e1d-aa42 ")] == ["luna.api"]
    assert [r.error for r in service.find("KeyError")] == ["KeyError: 'x'"]
    assert service.find("") == [] and service.find("nirgends") == []
