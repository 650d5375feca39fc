"""Whether a job function can take the params it is submitted with: names first, then types.

The worker calls ``function(container, ctx, **params)``. Binding two placeholders and the params to the
function's signature is that very call, so whatever binds here can be called there. Binding alone lets
any JSON value through, though, and Python takes a string where a ``bool`` is meant: ``{"fix": "rm -rf"}``
ran ``kb.verify`` in its repair mode, and ``{"paths": "/etc"}`` was walked character by character. So
each param is also validated against the function's own annotation, strictly (no coercion: ``"true"``
is not a bool, ``true`` is not 1, ``3`` is a fine float), which makes the signature of every registered
job its params schema without a second list of types to keep in step.

What a value means (a path under an allowed folder, a known run ID) is the job's own check
(``workers/registry.py``, ``register(name, check=…)``); this module only answers "can it be called".
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from luna.domain.errors import InvalidInput
from luna.domain.jobs import JobFunction

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def check_params(name: str, function: JobFunction, params: Mapping[str, Any]) -> None:
    """Refuse params ``function`` cannot be called with (unknown, missing, or of the wrong type)."""
    _check_names(name, function, params)
    validators = _validators(function)
    for param, value in params.items():
        if param not in validators:
            continue  # swallowed by **kwargs, or annotated as taking anything
        annotation, adapter = validators[param]
        try:
            adapter.validate_python(value, strict=True)
        except ValidationError:
            expected, got = _describe(annotation), _json_kind(value)
            raise InvalidInput(
                f"{param} must be {expected}, not {got} (job {name})",
                details={"name": name, "param": param, "expected": expected, "got": got},
            ) from None


#: Unknown params a refusal names (a body may hold thousands; the answer stays short).
_LISTED = 20


def _check_names(name: str, function: JobFunction, params: Mapping[str, Any]) -> None:
    signature = inspect.signature(function)
    try:
        signature.bind(None, None, **params)
    except TypeError as error:
        named = [p for p in list(signature.parameters.values())[2:] if p.kind in _NAMED]
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
        accepted = [p.name for p in named]
        unknown = [] if takes_any else sorted(set(params) - set(accepted))
        missing = [p.name for p in named if p.default is p.empty and p.name not in params]
        more = f" and {len(unknown) - _LISTED} more" if len(unknown) > _LISTED else ""
        unknown = [str(key)[:70] for key in unknown[:_LISTED]]
        problems = [f"unknown params: {', '.join(unknown)}{more}"] if unknown else []
        problems += [f"missing params: {', '.join(missing)}"] if missing else []
        reason = "; ".join(problems) or str(error)
        takes = ", ".join(accepted) or "no params"
        raise InvalidInput(
            f"job {name!r} cannot run with these params ({reason}); it takes: {takes}",
            details={"name": name, "unknown": unknown, "missing": missing, "accepted": accepted},
        ) from None


@functools.cache
def _validators(function: JobFunction) -> dict[str, tuple[Any, TypeAdapter[Any]]]:
    """A validator per annotated param (after ``container`` and ``ctx``), built once per function.

    Only the params' own annotations are resolved (in the job module's globals), so a ``Container``
    imported for type checking only does not matter. One that cannot be resolved is a bug of the job
    module, not of the request: it raises here, and ``tests/unit/test_job_params.py`` resolves every
    registered job's annotations.
    """
    parameters = list(inspect.signature(function).parameters.values())[2:]
    annotated = {p.name: p.annotation for p in parameters if p.kind in _NAMED and p.annotation is not p.empty}
    holder = types.SimpleNamespace(__annotations__=annotated)
    hints = typing.get_type_hints(holder, globalns=getattr(function, "__globals__", None))
    return {param: (hint, TypeAdapter(hint)) for param, hint in hints.items() if hint not in (Any, object)}


_SINGULAR: dict[Any, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}
_PLURAL: dict[Any, str] = {str: "texts", int: "whole numbers", float: "numbers", bool: "booleans"}


def _describe(annotation: Any) -> str:
    """The annotation in a JSON client's words: ``list[str] | None`` → "a list of texts or null"."""
    if annotation in _SINGULAR:
        return _SINGULAR[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in sorted(args, key=lambda arg: arg is type(None)))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(arg) for arg in args)
    if origin in (list, tuple, Sequence) or annotation in (list, tuple):
        inner = args[0] if args else Any
        return f"a list of {_PLURAL.get(inner, 'values')}"
    if origin in (dict, Mapping) or annotation is dict:
        return "an object"
    return str(annotation).replace("typing.", "")


def _json_kind(value: object) -> str:
    """What the caller sent, in JSON's words (the value itself is not echoed: it may be anything)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):  # 1e2 and 100.0 are read as a fraction, which a whole number is not
        return "a number written with a decimal point or an exponent"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        kinds = sorted({_plural_kind(item) for item in value})
        return f"a list of {'/'.join(kinds)}" if kinds else "an empty list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _plural_kind(item: object) -> str:
    """An item's kind in a list's description ("a list of numbers/texts")."""
    if isinstance(item, list):
        return "lists"
    if isinstance(item, float):
        return "numbers"
    return _json_kind(item).split(" ")[-1] + "s"
