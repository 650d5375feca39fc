"""Structured logs: one JSON object per line, from structlog and from the standard library alike.

Luna's own code logs through structlog; libraries (uvicorn, SQLAlchemy, huey …) log through the
standard library. Both end in the same handler and renderer, so an operator greps one format, and
values bound with ``structlog.contextvars`` (the request's ``trace_id``) appear on every line
written while a request is handled, whoever wrote it.
"""

from __future__ import annotations

import logging
import sys
from typing import IO

import structlog
from structlog.typing import Processor

from luna.settings import LoggingSettings

#: Marks the handler this module installed, so configuring again replaces it instead of adding one.
_HANDLER_NAME = "luna"
#: Libraries that log every outbound request with its full URL (query strings may carry keys).
_QUIET_LOGGERS = ("httpx", "httpcore", "alembic")


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
    for existing in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
