"""What is running: version, build, git commit, profile, models and the backend of each capability.

The dashboards show it in their insight panel and deployments use it as a liveness probe, so it
never touches a backend: everything comes from settings and the process itself.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import luna
from luna.ports.sql import Database
from luna.settings import Settings

GIT_SHA_ENV = "LUNA_GIT_SHA"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SystemInfo:
    name: str
    version: str
    build: str
    git_sha: str
    profile: str
    models: dict[str, str]
    backends: dict[str, str]


def build_description() -> str:
    """The interpreter and platform this process runs on, e.g. ``CPython 3.11.9 on Linux x86_64``."""
    return (
        f"{platform.python_implementation()} {platform.python_version()} "
        f"on {platform.system()} {platform.machine()}"
    )


@cache
def git_sha() -> str:
    """The deployed commit: ``LUNA_GIT_SHA`` (set by image builds), else ``git rev-parse``, else unknown.

    Cached, so git runs at most once per process (at start-up, when the app is built).
    """
    from_env = os.environ.get(GIT_SHA_ENV, "").strip()
    if from_env:
        return from_env
    git = shutil.which("git")
    if git is None:
        return UNKNOWN
    try:
        completed = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [git, "rev-parse", "HEAD"],
            cwd=Path(luna.__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    sha = completed.stdout.strip()
    return sha if completed.returncode == 0 and sha else UNKNOWN


def backends(settings: Settings) -> dict[str, str]:
    """The configured backend of each capability (``database: sqlite``, ``vectors: edge`` …)."""
    return {
        "database": settings.database.kind,
        "vectors": settings.vectors.kind,
        "blobs": settings.blobs.kind,
        "extract": settings.extract.kind,
        "embeddings": settings.embeddings.kind,
        "chat": settings.chat.kind,
        "jobs": settings.jobs.kind,
    }


def system_info(settings: Settings, models: Mapping[str, str]) -> SystemInfo:
    return SystemInfo(
        name="Luna",
        version=luna.__version__,
        build=build_description(),
        git_sha=git_sha(),
        profile=settings.profile,
        models=dict(models),
        backends=backends(settings),
    )


def jobs_by_status(database: Database) -> dict[str, int]:
    """How many jobs are in each status now (the ``luna_jobs`` gauge reads this at every scrape)."""
    with database.unit_of_work(read_only=True) as uow:
        return uow.jobs.counts_by_status()
