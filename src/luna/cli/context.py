"""What every command shares: the chosen profile, settings built once, and the container.

Commands take their services from ``container.services``; the container knows the workers' jobs
(loaded when a command first uses the job service), as the API's and the worker's do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import typer

from luna.container import Container, build_container
from luna.domain.errors import InvalidInput, LunaError
from luna.logging_setup import configure_logging
from luna.settings import Settings, ensure_local_secrets, load_settings
from luna.workers.registry import load_jobs

if TYPE_CHECKING:
    from luna.container_services import Services

T = TypeVar("T")


@dataclass
class CliState:
    profile: str | None
    _settings: Settings | None = field(default=None, init=False)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = ensure_local_secrets(load_settings(self.profile))
        return self._settings

    def container(self) -> Container:
        return build_container(self.settings(), load_jobs)


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState(profile=None)
        ctx.find_root().obj = obj
    return obj


def exit_code(error: LunaError) -> int:
    """Every command's exit code for a Luna error: 2 when the command was given something it cannot take
    (a bad value, a path outside the allowed folders), 1 when it ran and was refused or failed (an unknown
    ID, a busy store, a failed run). Settings errors exit 2 as well (``luna.cli.main``)."""
    return 2 if isinstance(error, InvalidInput) else 1


def with_services(ctx: typer.Context, work: Callable[[Services], T]) -> T:
    """Run ``work`` on a container's services for one command: a Luna error is one red line and exit 1.

    Logs go to stderr (an alert change is logged), so a command's ``--json`` output stays one document.
    """
    cli = state(ctx)
    configure_logging(cli.settings().logging)
    container = cli.container()
    try:
        return work(container.services)
    except LunaError as error:
        typer.secho(error.message, fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    finally:
        container.close()
