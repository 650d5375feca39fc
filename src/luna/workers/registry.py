"""The jobs a worker can run, by name.

A job is a function ``fn(container, ctx, **params)`` registered with :func:`register`; its return
value (a JSON-serialisable dict or ``None``) becomes the job's ``result``. Each module that defines
jobs is listed in :data:`JOB_MODULES`, and :func:`load_jobs` imports them all, so the API (which
refuses unknown names) and every worker know the same jobs without importing them by hand.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

JobResult = dict[str, Any] | None
#: ``fn(container, ctx, **params) -> dict | None``; the parameters differ per job, hence ``...``.
JobFunction = Callable[..., JobResult]
#: ``check(container, **params)`` raises InvalidInput for params the job would fail on; it runs when
#: the job is submitted, so a bad job is refused (400) instead of being stored and failing later.
#: Names and types need no check: the job service binds the params to the function's signature and
#: validates each against its annotation first (``services/operations/job_params.py``), so annotate
#: every param as precisely as JSON allows (``list[str]``, not ``list``). A check judges what a value
#: means: a path under an allowed folder, a run ID that names a run, a date in range.
ParamCheck = Callable[..., None]
F = TypeVar("F", bound=JobFunction)

#: Modules whose import registers jobs; each issue that adds jobs adds its module here.
JOB_MODULES: tuple[str, ...] = (
    "luna.workers.maintenance",
    "luna.workers.knowledge",
    "luna.workers.simulation",
    "luna.workers.feeds",
    "luna.workers.learning",
    "luna.workers.evaluation",
    "luna.workers.flywheel",
    "luna.workers.datasets",
    "luna.workers.finetune",
)

JOBS: dict[str, JobFunction] = {}
PARAM_CHECKS: dict[str, ParamCheck] = {}


def register(name: str, *, check: ParamCheck | None = None) -> Callable[[F], F]:
    """Register the decorated function as the job ``name`` (names are unique), with its param check."""

    def decorator(function: F) -> F:
        if name in JOBS and JOBS[name] is not function:
            raise ValueError(f"a job named {name!r} is already registered")
        JOBS[name] = function
        if check is not None:
            PARAM_CHECKS[name] = check
        return function

    return decorator


def unregister(name: str) -> None:
    """Forget the job ``name`` (tests register their own jobs and remove them afterwards)."""
    JOBS.pop(name, None)
    PARAM_CHECKS.pop(name, None)


def load_jobs() -> dict[str, JobFunction]:
    """Import every job module and return the live registry (later registrations show up in it)."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return JOBS
