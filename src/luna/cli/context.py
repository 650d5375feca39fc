"""What every command shares: the chosen profile, settings built once, and the container.

Commands take their services from ``container.services``; the container knows the workers' jobs
(loaded when a command first uses the job service), as the API's and the worker's do."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from luna.container import Container, build_container
from luna.settings import Settings, ensure_local_secrets, load_settings
from luna.workers.registry import load_jobs


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
