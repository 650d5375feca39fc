"""The HTTP API: ``create_app(container)`` builds the FastAPI app on a container the caller built.

Nothing here reads settings at import time or picks a backend: ``luna serve``, the tests and the
dashboards pass a :class:`~luna.container.Container`, and the app only uses its services.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Depends, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware

import luna
from luna.api.auth import require_admin
from luna.api.deadline import RequestDeadlines
from luna.api.deps import ParamCheck, refuse_unknown_query, require_supported_body
from luna.api.errors import install_error_handlers
from luna.api.head_requests import HeadAsGet
from luna.api.middleware import BodyLimit, RequestMiddleware
from luna.api.openai_errors import OpenAIErrors
from luna.api.openapi import ADMIN_ERRORS, COMMON_ERRORS, OPENAI_ERRORS, install_openapi
from luna.api.prometheus import HttpMetrics
from luna.api.route_templates import RouteTemplates
from luna.api.routers import (
    admin_accounts,
    admin_eval,
    admin_feeds,
    admin_finetune,
    admin_flywheel_actions,
    admin_health,
    admin_items,
    admin_jobs,
    admin_learn,
    admin_privacy,
    admin_prompts,
    admin_snapshots,
    admin_users,
    conversations,
    data,
    datasets,
    datasets_pull,
    events,
    feedback,
    flywheel,
    help,
    hooks,
    ingest,
    metrics,
    openai_chat,
    prometheus,
    rag,
    recommend,
    sim,
    system,
    users,
)
from luna.container import Container
from luna.services.operations.system import git_sha, jobs_by_status

API_PREFIX = "/api/v1"
ADMIN_PREFIX = f"{API_PREFIX}/admin"

_DESCRIPTION = """\
Luna's API. Every JSON response is an envelope `{status, message, data, trace_id}`; the trace id
is also in the `X-Trace-Id` header and in the server's log lines. Errors carry `data.code` and,
where useful, `data.details`.

Customers authenticate with `Authorization: Bearer <JWT>`; admin routes need `X-Admin-Key`.
"""

#: Upload bodies carry multipart framing on top of the file itself.
_MULTIPART_OVERHEAD_BYTES = 1024 * 1024

#: Routers under /api/v1 (customer routes add ``Depends(current_user)`` themselves).
PUBLIC_ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    ingest.router,
    rag.router,
    conversations.router,
    data.router,
    sim.router,
    events.router,
    feedback.router,
    users.router,
    recommend.router,
    metrics.router,
    help.router,
    hooks.router,
    flywheel.router,
    datasets_pull.router,
)
#: Routers under /api/v1/admin; the admin key is enforced here for every route they hold.
ADMIN_ROUTERS: tuple[APIRouter, ...] = (
    admin_health.router,
    admin_jobs.router,
    admin_items.router,
    admin_snapshots.router,
    admin_feeds.router,
    admin_learn.router,
    admin_users.router,
    admin_privacy.router,
    admin_eval.router,
    admin_accounts.router,
    admin_flywheel_actions.router,
    admin_finetune.router,
    admin_prompts.router,
    datasets.router,
)


def create_app(
    container: Container,
    param_checks: Mapping[str, ParamCheck] | None = None,
) -> FastAPI:
    """The API on ``container`` and its services (the jobs operators may start are the container's);
    ``param_checks`` are the jobs' own checks of their params (run at submission)."""
    settings = container.settings
    # fastapi-offline serves Swagger UI's JS/CSS from its wheel: the docs work without internet.
    app = FastAPIOffline(
        title="Luna API",
        version=luna.__version__,
        description=_DESCRIPTION,
        docs_url=f"{API_PREFIX}/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
        redoc_url=None,
        static_url=f"{API_PREFIX}/docs-static",
    )
    app.state.container = container
    app.state.param_checks = {} if param_checks is None else param_checks
    git_sha()  # resolve once at start-up, not during the first request

    install_error_handlers(app)
    body_guard = [Depends(require_supported_body), Depends(refuse_unknown_query)]
    for public_router in PUBLIC_ROUTERS:
        app.include_router(public_router, prefix=API_PREFIX, dependencies=body_guard, responses=COMMON_ERRORS)
    for admin_router in ADMIN_ROUTERS:
        app.include_router(
            admin_router,
            prefix=ADMIN_PREFIX,
            dependencies=[Depends(require_admin), *body_guard],
            responses=ADMIN_ERRORS,
        )
    app.include_router(prometheus.router, responses={500: COMMON_ERRORS[500]})
    app.include_router(openai_chat.router, dependencies=body_guard, responses=OPENAI_ERRORS)

    metrics = HttpMetrics(lambda: jobs_by_status(container.database))
    app.state.http_metrics = metrics
    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        templates=RouteTemplates(lambda: app.routes),
        body_limit=BodyLimit(
            max_json_bytes=settings.api.max_json_kb * 1024,
            max_upload_bytes=settings.api.max_upload_mb * 1024 * 1024 + _MULTIPART_OVERHEAD_BYTES,
        ),
        deadlines=RequestDeadlines(settings.api.request_deadline_sec, settings.api.long_request_deadline_sec),
    )
    app.add_middleware(OpenAIErrors)  # outside RequestMiddleware: it reshapes that one's errors too
    app.add_middleware(HeadAsGet)  # every route, the dashboards' included, answers HEAD
    if settings.api.cors_origins:  # outermost: errors and preflights get the CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Admin-Key", "X-Service-Key", "X-Trace-Id"],
            expose_headers=["X-Trace-Id", "Retry-After", "Allow"],
            max_age=600,
        )
    install_openapi(app)
    return app
