"""Load test of a real `luna serve` (seed 001 §7): concurrent users asking, searching and reading data.

    .venv/bin/python bench/load_api.py [--users 8] [--seconds 30] [--url http://127.0.0.1:8000]

Without ``--url`` it starts its own `luna serve` (embedded defaults, a throw-away data dir, the demo
documents and seven days of simulated meters) on loopback and stops it afterwards. Each user loops
over a weighted mix (search 50 %, ask 20 %, meter data 10 %, market prices 10 %, system info 10 %) as
a development user of its own, with no think time. Bounded: it stops after ``--seconds`` or
``--max-requests`` and only ever sends to loopback or the given URL. Prints requests/s, errors and
latency p50/p95/p99 per kind.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

QUESTIONS = (
    "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?",
    "Wann lohnt sich ein dynamischer Stromtarif?",
    "Was kostet ein intelligentes Messsystem im Jahr?",
    "Wie effizient ist eine Wärmepumpe im Altbau?",
    "Welche Förderung gibt es für den Heizungstausch?",
)
ADMIN_KEY = os.environ.get("LOAD_ADMIN_KEY", "load-admin-key-0123456789abcdef")
Request = Callable[[httpx.Client], httpx.Response]


def mix(meter_id: str) -> list[tuple[str, int, Request]]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    span = {"from": (end - timedelta(days=1)).isoformat(), "to": end.isoformat()}
    return [
        ("search", 50, lambda c: c.post("/rag/search", json={"question": random.choice(QUESTIONS)})),
        ("ask", 20, lambda c: c.post("/rag/ask", json={"question": random.choice(QUESTIONS)})),
        ("meter data", 10, lambda c: c.get("/data/smartmeter", params={"meter_id": meter_id, **span})),
        ("market", 10, lambda c: c.get("/data/market", params=span)),
        ("system info", 10, lambda c: c.get("/system/info")),
    ]


def user(
    base: str,
    user_id: str,
    meter_id: str,
    until: float,
    budget: list[int],
    results: dict[str, list[float]],
    errors: dict[str, int],
    lock: threading.Lock,
) -> None:
    requests = mix(meter_id)
    weights = [weight for _, weight, _ in requests]
    headers = {"X-Dev-User": user_id}
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=60) as client:
        while time.monotonic() < until:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            name, _, send = random.choices(requests, weights)[0]
            started = time.perf_counter()
            try:
                status = send(client).status_code
            except httpx.HTTPError:
                status = 599
            took = (time.perf_counter() - started) * 1000
            with lock:
                results[name].append(took)
                if status >= 400:
                    errors[f"{name} {status}"] += 1


def link_meter(base: str, user_ids: list[str]) -> str:
    """The first simulated meter, linked to every user (customers read only their linked meters)."""
    with httpx.Client(base_url=f"{base}/api/v1", headers={"X-Admin-Key": ADMIN_KEY}, timeout=60) as admin:
        meters = admin.get("/data/meters").json()["data"]["meters"]
        meter_id = str(meters[0]["meter_id"]) if meters else "none"
        for user_id in user_ids:
            admin.put(f"/admin/users/{user_id}/meters", json={"meter_ids": [meter_id] if meters else []})
        return meter_id


@contextmanager
def own_server(data_dir: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "LUNA_DATA_DIR": str(data_dir),
        "ADMIN_API_KEY": ADMIN_KEY,
        "API_PORT": str(port),
        "LUNA_LOGGING__LEVEL": "WARNING",
        "LUNA_RAG__ASK_PER_MINUTE": "100000",
        "LUNA_RAG__SEARCH_PER_MINUTE": "100000",
    }
    with (data_dir / "serve.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "luna", "serve"], env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, process)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=60)


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    """Up, the demo documents indexed and the demo meters backfilled (the first-start jobs done)."""
    deadline = time.monotonic() + 900
    headers = {"X-Admin-Key": ADMIN_KEY}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("luna serve exited; see serve.log")
        try:
            jobs = httpx.get(f"{base}/api/v1/admin/jobs", headers=headers, timeout=5).json()["data"]
            if jobs["total"] and all(job["status"] not in ("queued", "running") for job in jobs["items"]):
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(1)
    raise SystemExit("the first-start jobs did not finish within 15 minutes")


def run(base: str, users: int, seconds: float, max_requests: int) -> None:
    user_ids = [str(uuid.uuid4()) for _ in range(users)]
    meter_id = link_meter(base, user_ids)
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    budget = [max_requests]
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=user, args=(base, user_id, meter_id, started + seconds, budget, results, errors, lock)
        )
        for user_id in user_ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in results.values())
    print(
        f"{users} users, {elapsed:.1f} s, {total} requests, {total / elapsed:.1f} req/s, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'kind':<14}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, values in sorted(results.items()):
        cuts = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        print(f"{name:<14}{len(values):>6}{statistics.median(values):>9.1f}{cuts[94]:>9.1f}{cuts[98]:>9.1f}")
    print("errors:", dict(errors) or "none")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--url", default=None, help="a running Luna (its admin key in LOAD_ADMIN_KEY)")
    args = parser.parse_args()
    random.seed(7)
    if args.url:
        run(args.url.rstrip("/"), args.users, args.seconds, args.max_requests)
        return
    with tempfile.TemporaryDirectory(prefix="luna-load-") as folder, own_server(Path(folder)) as base:
        run(base, args.users, args.seconds, args.max_requests)


if __name__ == "__main__":
    main()
