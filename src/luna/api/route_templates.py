"""The route template a request matched (``/api/v1/admin/jobs/{job_id}``), for metrics and logs.

Labelling by raw path would put every job id into its own time series and every id into the logs;
the template keeps both bounded. FastAPI keeps the route it matched in the ASGI scope, but that is
the route as its router declared it (without the prefix it was included under), so the full template
is looked up among the app's effective routes once and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute
from starlette.types import Scope

UNMATCHED = "unmatched"


class RouteTemplates:
    def __init__(self, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self._routes = routes
        self._by_route: dict[int, str] = {}

    def _rebuild(self) -> None:
        by_route: dict[int, str] = {}
        for context in iter_route_contexts(self._routes()):
            template = context.path_format
            if template is not None:
                by_route.setdefault(id(context.original_route), template)
        self._by_route.update(by_route)

    def template_for(self, scope: Scope) -> str:
        """The matched route's full template, or ``unmatched`` when no route matched."""
        route: Any = scope.get("route")
        if route is None:
            return UNMATCHED
        key = id(route)
        if key not in self._by_route:
            self._rebuild()  # routes were added after the app was built (dashboards, tests)
        if key not in self._by_route:
            # A route of a mounted sub-app: its own template is the best bounded label there is.
            self._by_route[key] = getattr(route, "path_format", None) or UNMATCHED
        return self._by_route[key]
