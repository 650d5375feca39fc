"""`luna smoke`: after an install or an upgrade, prove in one command that Luna works end to end.

Without ``--url`` it starts its own `luna serve` (the embedded defaults, a throw-away data dir, a free
port), checks health, ingests a sample PDF, asks the question that PDF answers and checks the cited
answer, then stops the server. With ``--url`` it runs the same checks against a running install (the
admin key from the settings or ``--admin-key``) and deletes the document it added again. Seed 001
§7–8 asks for exactly this check after every upgrade.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import typer

from luna.cli.context import state
from luna.workers.knowledge import samples_dir

SAMPLE = "netzentgelte-2026.pdf"
#: The README's example question, and the figure of the sample's price sheet that answers it.
QUESTION = "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?"
FIGURE = "8,12"
START_SEC = 180.0


class SmokeFailed(Exception):
    """A check failed; ``str(error)`` says which and why."""


def smoke(
    ctx: typer.Context,
    url: str = typer.Option(None, "--url", help="Base URL of a running Luna (e.g. http://luna:8000)"),
    admin_key: str = typer.Option(None, "--admin-key", help="Its admin key (default: from the settings)"),
) -> None:
    """Smoke-test Luna: health, ingest a sample PDF, ask, check the cited answer."""
    try:
        if url:
            _run_checks(url.rstrip("/"), admin_key or _configured_key(ctx), cleanup=True)
        else:
            with _own_server() as (base, own_key):
                _run_checks(base, own_key, cleanup=False)
    except SmokeFailed as failure:
        typer.secho(f"✗ {failure}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.secho("Smoke test passed.", fg=typer.colors.GREEN)


def _configured_key(ctx: typer.Context) -> str:
    secret = state(ctx).settings().auth.admin_api_key
    return secret.get_secret_value() if secret is not None else ""


def _run_checks(base: str, key: str, *, cleanup: bool) -> None:
    headers = {"X-Admin-Key": key}
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=120) as client:
        _step("system info", lambda: _ok(client.get("/system/info"))["version"])
        _step("health", lambda: _healthy(_ok(client.get("/admin/health"))))
        item_id, added = _step("ingest sample PDF", lambda: _ingest(client))
        try:
            _step("cited answer", lambda: _cited_answer(client, item_id))
        finally:
            if cleanup and added:
                _step("remove sample again", lambda: _ok(client.delete(f"/admin/item/{item_id}")))


def _step(name: str, check: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        result = check()
    except httpx.HTTPError as error:
        raise SmokeFailed(f"{name}: the server did not answer ({type(error).__name__}: {error})") from error
    except SmokeFailed as failure:
        raise SmokeFailed(f"{name}: {failure}") from None
    typer.echo(f"✓ {name} ({(time.perf_counter() - started) * 1000:.0f} ms)")
    return result


def _ok(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        raise SmokeFailed(f"HTTP {response.status_code}, not Luna's JSON envelope") from None
    if response.status_code >= 400 or body.get("status") != "ok":
        raise SmokeFailed(f"HTTP {response.status_code}: {body.get('message')}")
    return body.get("data")


def _healthy(health: dict[str, Any]) -> str:
    down = [name for name, part in health["components"].items() if part["status"] == "down"]
    if down:
        raise SmokeFailed(f"components down: {', '.join(down)}")
    return str(health["status"])


def _ingest(client: httpx.Client) -> tuple[str, bool]:
    """The sample's item ID, and whether this run added it (an install may hold it already)."""
    with (samples_dir() / SAMPLE).open("rb") as pdf:
        response = client.post("/ingest/doc", files={"file": (SAMPLE, pdf, "application/pdf")})
    if response.status_code == 409:
        return str(response.json()["data"]["details"]["item_id"]), False
    return str(_ok(response)["item_id"]), True


def _cited_answer(client: httpx.Client, item_id: str) -> str:
    answer = _ok(client.post("/rag/ask", json={"question": QUESTION}))
    cited = {citation["payload"].get("item_id") for citation in answer.get("citations", [])}
    if not answer.get("answer", "").strip():
        raise SmokeFailed("the answer is empty")
    if item_id not in cited:
        raise SmokeFailed(
            f"the answer cites {sorted(cited) or 'nothing'}, not the sample: {answer['answer'][:200]}"
        )
    if FIGURE not in answer["answer"]:
        raise SmokeFailed(f"the answer does not state {FIGURE}: {answer['answer'][:200]}")
    return str(answer["answer"])


@contextmanager
def _own_server() -> Iterator[tuple[str, str]]:
    """A `luna serve` on a free port and a fresh data dir, stopped (and removed) afterwards."""
    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="luna-smoke-") as data_dir:
        port = _free_port()
        env = {
            **os.environ,
            "LUNA_DATA_DIR": data_dir,
            "LUNA_INGEST__DEMO_SAMPLES": "false",
            "LUNA_SIM__DEMO_BACKFILL_DAYS": "0",
            # The LUNA_ names: the older ADMIN_API_KEY / API_PORT lose to a LUNA_API__PORT or
            # LUNA_AUTH__ADMIN_API_KEY the caller's shell has set, and the smoke server then fails.
            "LUNA_AUTH__ADMIN_API_KEY": key,
            "LUNA_API__PORT": str(port),
        }
        log_path = Path(data_dir) / "serve.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "luna", "serve"], env=env, stdout=log, stderr=log
            )
            try:
                base = f"http://127.0.0.1:{port}"
                _step("start luna serve", lambda: _wait_for(base, process, log_path))
                yield base, key
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_for(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_SEC
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SmokeFailed(f"it exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            httpx.get(f"{base}/api/v1/system/info", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SmokeFailed(f"no answer within {START_SEC:.0f} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
