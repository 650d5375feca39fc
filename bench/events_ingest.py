"""Event ingest through real HTTP: single ``POST /events`` against ``POST /events/batch`` (100 and 1,000
per request), on the embedded default (SQLite) and on PostgreSQL.

    .venv/bin/python bench/events_ingest.py [--singles 1000] [--batches-100 20] [--batches-1000 5]
        [--only sqlite|postgresql]

Each backend gets a fresh database (SQLite in a temporary data dir; PostgreSQL ``luna_bench_events``,
dropped and created again per run) with one document of 50 chunks, and a real uvicorn server in a
child process on a free loopback port (the API as ``luna serve`` builds it, without job worker and
model warm-up). The client (httpx, one keep-alive connection, sequential requests as a dashboard or an
importer sends them) posts customer events (``X-Dev-User``) that cite a chunk, so every event is fully
checked (type, time, chunk and item lookup, meta) and stored. Client and server share the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from luna.adapters.sql.database import SqlDatabase
from luna.domain.items import Item, ItemChunk

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "luna_bench_events"
ADMIN_KEY = "bench-admin-key-0123456789"
USER = "0b7e3f52-9a1c-4c2e-8d3f-6a5b4c3d2e1f"
CHUNKS = 50
START_SEC = 60.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def fresh_database(backend: str, data_dir: Path) -> Iterator[str]:
    """The database URL of an empty, migrated database for ``backend``."""
    if backend == "sqlite":
        yield f"sqlite:///{(data_dir / 'luna.db').as_posix()}"
        return
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{PG_DATABASE}"'))
    admin.dispose()
    yield sa.make_url(PG_SERVER).set(database=PG_DATABASE).render_as_string(hide_password=False)


def seed_document(url: str) -> list[str]:
    database = SqlDatabase(url, pool_size=1)
    database.upgrade()
    item = Item(
        item_id=str(uuid.uuid4()), kind="document", title="Dynamische Tarife", created_at=datetime.now(UTC)
    )
    chunks = [
        ItemChunk(chunk_id=str(uuid.uuid4()), item_id=item.item_id, chunk_idx=i, text=f"Abschnitt {i}")
        for i in range(CHUNKS)
    ]
    with database.unit_of_work() as uow:
        uow.items.add(item)
        uow.chunks.add_many(chunks)
        uow.commit()
    database.close()
    return [chunk.chunk_id for chunk in chunks]


def serve() -> None:
    """The child process: the API on the settings in the environment, served by uvicorn."""
    import uvicorn

    from luna.api.app import create_app
    from luna.container import build_container
    from luna.logging_setup import configure_logging
    from luna.settings import load_settings

    settings = load_settings("default", environ=dict(os.environ))
    configure_logging(settings.logging)
    container = build_container(settings)
    container.database.upgrade()
    uvicorn.run(
        create_app(container), host="127.0.0.1", port=settings.api.port, log_config=None, access_log=False
    )


@contextmanager
def api_server(url: str, data_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "LUNA_DATA_DIR": str(data_dir),
        "LUNA_DATABASE__KIND": "sqlite" if url.startswith("sqlite") else "postgresql",
        "LUNA_DATABASE__URL": url,
        "LUNA_API__PORT": str(port),
        "LUNA_AUTH__ADMIN_API_KEY": ADMIN_KEY,
        "LUNA_ENV_FILE": os.devnull,
        "LUNA_LOGGING__LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, __file__, "--serve"], env=env)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + START_SEC
        while True:
            if process.poll() is not None:
                raise RuntimeError("the API server exited")
            try:
                httpx.get(f"{base}/system/info", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the API server did not answer") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


def event(chunk_ids: list[str], n: int) -> dict[str, Any]:
    kinds = ("view", "view", "view", "click", "like")
    return {"type": kinds[n % len(kinds)], "chunk_id": chunk_ids[n % len(chunk_ids)], "meta": {"seq": n}}


def run_mode(
    client: httpx.Client, base: str, chunk_ids: list[str], per_request: int, requests: int
) -> dict[str, float]:
    headers = {"X-Dev-User": USER}
    latencies = []
    began = time.perf_counter()
    for r in range(requests):
        started = time.perf_counter()
        if per_request == 1:
            response = client.post(f"{base}/events", json=event(chunk_ids, r), headers=headers)
        else:
            batch = [event(chunk_ids, r * per_request + i) for i in range(per_request)]
            response = client.post(f"{base}/events/batch", json={"events": batch}, headers=headers)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
    elapsed = time.perf_counter() - began
    return {
        "events": per_request * requests,
        "events_per_s": round(per_request * requests / elapsed),
        "request_ms_p50": round(statistics.median(latencies) * 1000, 2),
    }


def bench_backend(backend: str, modes: list[tuple[str, int, int]]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="luna-bench-events-") as tmp:
        data_dir = Path(tmp)
        with fresh_database(backend, data_dir) as url:
            chunk_ids = seed_document(url)
            with api_server(url, data_dir) as base, httpx.Client(timeout=120) as client:
                run_mode(client, base, chunk_ids, 1, 20)  # warm-up: connections, caches, first user
                results = {}
                for name, per_request, requests in modes:
                    log(f"{backend}: {name} ({requests} requests)")
                    results[name] = run_mode(client, base, chunk_ids, per_request, requests)
            database = SqlDatabase(url, pool_size=1)
            with database.unit_of_work(read_only=True) as uow:
                stored = uow.events.count()
            database.close()
    expected = 20 + sum(per_request * requests for _, per_request, requests in modes)
    assert stored == expected, f"{stored} events stored, {expected} posted"
    return {"stored": stored, **results}


def main() -> int:
    if sys.argv[1:] == ["--serve"]:
        serve()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=1000)
    parser.add_argument("--batches-100", type=int, default=20)
    parser.add_argument("--batches-1000", type=int, default=5)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    modes = [
        ("single", 1, args.singles),
        ("batch_100", 100, args.batches_100),
        ("batch_1000", 1000, args.batches_1000),
    ]
    backends = [args.only] if args.only else ["sqlite", "postgresql"]
    results = {backend: bench_backend(backend, modes) for backend in backends}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
