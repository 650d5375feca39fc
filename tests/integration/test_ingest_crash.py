"""A `kill -9` of a real `luna serve` during a folder ingest loses no document (issue #18, defect 2).

The job is killed while a file's item is still pending (half written). After the restart the stale job
is re-run: it must replace its own half-written item, index every file, and report no file as a mere
"duplicate" of that wreck. Before the fix the retried job counted the file as a duplicate of its own
pending item and ended "30 von 30 Dateien verarbeitet, failed 0" with one document missing.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.support import cli_environment, luna_serve_process

ADMIN_KEY = "crash-admin-key-0123456789"
FILES = 10
WAIT_SEC = 240.0


def document(number: int) -> str:
    topics = ("Wärmepumpe", "Netzentgelt", "Stromtarif", "Photovoltaik", "Speicher")
    topic = topics[number % len(topics)]
    lines = [f"# {topic} Merkblatt {number}", ""]
    lines += [
        f"Absatz {k} zu {topic} Nummer {number}: Hinweise für Haushalte und Betriebe." for k in range(40)
    ]
    return "\n".join(lines)


def admin(base: str, method: str, path: str, **request: Any) -> Any:
    response = httpx.request(
        method, f"{base}{path}", headers={"X-Admin-Key": ADMIN_KEY}, timeout=30, **request
    )
    assert response.status_code < 400, response.text
    return response.json()["data"]


def wait_for(condition: Any, what: str) -> Any:
    deadline = time.monotonic() + WAIT_SEC
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"not within {WAIT_SEC:g} s: {what}")


def test_a_kill_9_during_a_folder_ingest_loses_no_document(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = cli_environment(
        monkeypatch,
        tmp_path,
        ADMIN_API_KEY=ADMIN_KEY,
        LUNA_API__START_WORKER="true",
        LUNA_JOBS__HEARTBEAT_SEC="0.5",
        LUNA_JOBS__STALE_AFTER_SEC="3",
    )
    folder = tmp_path / "var" / "import" / "ordner"  # the job reads only inside ingest.import_dirs
    folder.mkdir(parents=True)
    for number in range(FILES):
        (folder / f"merkblatt-{number:02d}.md").write_text(document(number), encoding="utf-8")
    log = tmp_path / "serve.log"

    with luna_serve_process(env["API_PORT"], log) as (base, process):
        job = admin(
            base, "POST", "/admin/jobs", json={"name": "kb.ingest_paths", "params": {"paths": [str(folder)]}}
        )

        def half_written() -> bool:
            indexed = admin(base, "GET", "/admin/items", params={"status": "indexed"})["total"]
            pending = admin(base, "GET", "/admin/items", params={"status": "pending"})["total"]
            return bool(indexed >= 1 and pending >= 1)

        wait_for(half_written, "one file indexed and the next one half-written")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    with luna_serve_process(env["API_PORT"], log) as (base, _):
        path = f"/admin/jobs/{job['job_id']}"
        finished = wait_for(
            lambda: (state := admin(base, "GET", path))["status"] in ("succeeded", "failed") and state,
            "the re-run of the killed job",
        )
        items = admin(base, "GET", "/admin/items", params={"limit": 100})

    assert finished["status"] == "succeeded", finished
    outcomes = [entry["outcome"] for entry in finished["result"]["files"]]
    assert len(outcomes) == FILES and "failed" not in outcomes
    assert items["total"] == FILES
    assert {item["status"] for item in items["items"]} == {"indexed"}
