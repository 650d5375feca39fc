"""The container the knowledge-base benchmarks share: embedded defaults in ``bench/out/retrieval/``."""

from __future__ import annotations

import os
from pathlib import Path

from luna.container import Container, build_container
from luna.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "out" / "retrieval"


def corpus_container() -> Container:
    """Embedded profile on the benchmark data dir, with throw-away secrets and quiet logs."""
    environ = {
        **os.environ,
        "LUNA_DATA_DIR": str(WORK),
        "LUNA_AUTH__ADMIN_API_KEY": "bench-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "bench-jwt-secret-0123456789",
        "LUNA_LOGGING__LEVEL": "WARNING",
    }
    return build_container(load_settings("default", environ=environ, env_file=WORK / "none.env"))
