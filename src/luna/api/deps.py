"""FastAPI dependencies that hand routers the container's services, and the body-type guard.

Routers never reach for adapters and never build a service: they get one of ``container.services``
(:func:`from_services`), so the API, the dashboards and the CLI share one set of backends and one of
each service.
"""

from __future__ import annotations

import email.message
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from luna.container import Container
from luna.container_services import Services
from luna.domain.errors import InvalidInput, UnsupportedType
from luna.services.knowledge.knowledge import KnowledgeBase
from luna.services.operations.jobs import JobService

T = TypeVar("T")

_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def from_services(pick: Callable[[Services], T]) -> Any:
    """``Depends`` on the service ``pick`` takes from the app's container, for an ``Annotated`` alias:
    ``Snapshots = Annotated[SnapshotService, from_services(lambda s: s.snapshots)]``."""

    def service(request: Request) -> T:
        return pick(get_container(request).services)

    return Depends(service)


Jobs = Annotated[JobService, from_services(lambda s: s.jobs)]
Knowledge = Annotated[KnowledgeBase, from_services(lambda s: s.knowledge)]


#: ``check(container, **params)``: a job's own check of its params, run when it is submitted.
ParamCheck = Callable[..., None]


def get_param_checks(request: Request) -> Mapping[str, ParamCheck]:
    checks: Mapping[str, ParamCheck] = request.app.state.param_checks
    return checks


def _media_type(content_type: str) -> tuple[str, str]:
    message = email.message.Message()
    message["content-type"] = content_type
    return message.get_content_maintype(), message.get_content_subtype()


#: Bodies that carry nothing, accepted where an endpoint reads none.
_SILENT_BODIES = frozenset({b"", b"{}", b"null"})


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length != "0") or "transfer-encoding" in request.headers


def refuse_unknown_query(request: Request) -> None:
    """A query parameter the endpoint does not read is a 400 naming it, as an unknown key of a JSON
    body is: ``?offset=5`` on a list that cannot page was ignored, and the client believed it paged."""
    route = request.scope.get("route")
    if not request.query_params or not isinstance(route, APIRoute):
        return
    known = _query_names(route)
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        shown = ", ".join(repr(name[:60]) for name in unknown[:5])
        raise InvalidInput(
            f"Unknown query parameter{'s' if len(unknown) > 1 else ''} {shown}; this endpoint reads "
            f"{', '.join(sorted(known)) or 'none'}.",
            details={"unknown": [name[:60] for name in unknown[:20]], "known": sorted(known)},
        )
    lists = _list_names(route)
    values = request.query_params.getlist
    twice = sorted({name for name in request.query_params if name not in lists and len(values(name)) > 1})
    if twice:
        raise InvalidInput(
            f"Query parameter {twice[0]!r} is given {len(request.query_params.getlist(twice[0]))} times; "
            "it takes one value (the last one would have won silently).",
            details={"repeated": twice},
        )


def _list_names(route: APIRoute) -> frozenset[str]:
    """The query parameters that take several values (``?tag=a&tag=b``)."""
    return frozenset(
        param.alias
        for dependant in _dependants(route)
        for param in dependant.query_params
        if _is_sequence(param.field_info.annotation)
    )


def _is_sequence(annotation: object) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(_is_sequence(arg) for arg in typing.get_args(annotation)) if origin is not None else False


def _dependants(route: APIRoute) -> list[Dependant]:
    found: list[Dependant] = []
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        found.append(dependant)
        pending.extend(dependant.dependencies)
    return found


def _query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters of the endpoint and of every dependency it has (a few, walked in µs)."""
    return frozenset(param.alias for dependant in _dependants(route) for param in dependant.query_params)


async def require_supported_body(request: Request) -> None:
    """Answer 415 when a body arrives in a type the endpoint does not read, and 400 when one arrives
    at an endpoint that reads none.

    FastAPI would otherwise hand a ``text/plain`` body to a JSON model and report a validation error
    (400), which hides the real mistake from the client; and it ignores a body no parameter reads, so
    ``{"dry_run": true}`` sent to a restore restored. An empty body, ``{}`` and ``null`` say nothing
    and pass (clients send ``{}`` with every POST).
    """
    if not _has_body(request):
        return
    body_field = getattr(request.scope.get("route"), "body_field", None)
    if body_field is None:
        if (await request.body()).strip() not in _SILENT_BODIES:
            raise InvalidInput(
                f"{request.method} {request.url.path} reads no request body; send none (or {{}}). "
                "Its options, where it has any, are query parameters."
            )
        return
    content_type = request.headers.get("content-type", "")
    maintype, subtype = _media_type(content_type)
    if isinstance(body_field.field_info, params.Form):
        if f"{maintype}/{subtype}" in _FORM_TYPES:
            return
        expected = "multipart/form-data"
    else:
        if maintype == "application" and (subtype == "json" or subtype.endswith("+json")):
            return
        expected = "application/json"
    received = content_type or "none"
    sent = f"the request was sent as {content_type}" if content_type else "the request names no Content-Type"
    raise UnsupportedType(
        f"This endpoint reads {expected}; {sent}.",
        details={"expected": expected, "received": received},
    )
