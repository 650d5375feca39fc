"""Mount the dashboards on the API's app: one process, one port, one container.

NiceGUI keeps its pages and its own app process-wide, so the dashboards are mounted once per
process, by ``luna serve`` (tests of the API alone build many apps and mount nothing). The mount
goes last, at ``/``: every API route keeps precedence, and :class:`ApiPathGuard` keeps the API's
404 and 405 envelopes for paths under ``/api/``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request, Response
from nicegui import Client, ui
from nicegui import app as nicegui_app
from nicegui.page import page as nicegui_page
from nicegui.storage import Storage
from starlette.routing import Mount

from luna.container import Container
from luna.settings import Settings
from luna.web import context
from luna.web.api_guard import ApiPathGuard
from luna.web.pages_errors import failure_content, not_found_content

_SESSION_SECRET_INFO = b"luna-web-session"
_mounted = False


def session_secret(settings: Settings) -> str:
    """``web.storage_secret``, else one derived from the JWT secret, else one for this process only."""
    if settings.web.storage_secret is not None:
        return settings.web.storage_secret.get_secret_value()
    if settings.auth.jwt_secret is not None:
        key = settings.auth.jwt_secret.get_secret_value().encode()
        return hmac.new(key, _SESSION_SECRET_INFO, hashlib.sha256).hexdigest()
    return secrets.token_urlsafe(32)


def mount_dashboards(
    app: FastAPI,
    container: Container,
    param_checks: Mapping[str, Any] | None = None,
) -> None:
    """Serve the customer dashboard at ``/`` and the admin dashboard at ``/admin`` (once per process)."""
    global _mounted
    settings = container.settings
    if not settings.web.enabled:
        return
    if _mounted:
        raise RuntimeError("the dashboards are already mounted in this process")
    _mounted = True
    secret = session_secret(settings)
    context.install(
        context.WebContext(
            container=container,
            session_secret=secret,
            param_checks=param_checks or {},
        )
    )
    Storage.path = (settings.data_dir / "web-sessions").resolve()
    # Imported here, not at the top: importing a page registers it, which only a mount may do.
    from luna.web import pages  # noqa: F401

    nicegui_app.add_exception_handler(404, _not_found)
    nicegui_app.on_page_exception(_page_failed)
    ui.run_with(
        app,
        title=settings.web.title,
        favicon="🌙",
        language="de-DE",
        storage_secret=secret,
        session_middleware_kwargs={
            "max_age": int(settings.web.session_hours * 3600),
            "same_site": "lax",
            "session_cookie": "luna_session",
        },
        show_welcome_message=False,
        reconnect_timeout=10.0,
    )
    _guard_api_paths(app)


def _guard_api_paths(app: FastAPI) -> None:
    mount = app.router.routes[-1]
    assert isinstance(mount, Mount) and mount.path == ""  # ui.run_with appends its mount at "/"
    mount.app = ApiPathGuard(mount.app, lambda: [route for route in app.router.routes if route is not mount])


async def _not_found(request: Request, exception: Exception) -> Response:
    with Client(nicegui_page(""), request=request) as client:
        not_found_content()
    return client.build_response(request, 404)


def _page_failed(error: Exception) -> None:
    failure_content(error)
