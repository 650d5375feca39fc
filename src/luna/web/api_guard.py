"""Keep the API's answers for API paths once the dashboards are mounted at ``/``.

A mount at ``/`` matches every path, and Starlette prefers a full match (the mount) over a route
whose path matched with the wrong method. Without this guard ``GET`` on a POST-only endpoint and
``/api/v1/no-such-thing`` would get a dashboard page instead of the API's 405 and 404 envelopes.
The guard hands such requests back: a path a route knows under another method is handled by that
route (which raises its 405), and any other path under ``/api/`` or the OpenAI-compatible ``/v1/``
raises 404; both propagate to the API's exception handlers, which answer with the envelope (on ``/v1``
in OpenAI's shape: a chat tool probing ``/v1/completions`` got a dashboard page).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

#: Paths only the API answers (``/v1`` alone included).
API_PATH_PREFIXES = ("/api/", "/v1/")


class ApiPathGuard:
    def __init__(self, dashboards: ASGIApp, api_routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self._dashboards = dashboards
        self._api_routes = api_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self._api_routes():
                match, child_scope = route.matches(scope)
                if match is Match.PARTIAL:
                    await route.handle({**scope, **child_scope}, receive, send)
                    return
            path = _route_path(scope)
            if path.startswith(API_PATH_PREFIXES) or path in ("/api", "/v1"):
                raise HTTPException(status_code=404)
        await self._dashboards(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path routes match: without the ``root_path`` a proxy may mount the app under."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path) and path[len(root_path) :].startswith("/"):
        return path[len(root_path) :]
    return path
