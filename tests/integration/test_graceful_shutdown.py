"""SIGTERM stops `luna serve` within its grace period even while a long upload is being embedded
(issue #18: a probe's server did not stop within 70 s)."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.support import cli_environment, luna_serve_process

ADMIN_KEY = "shutdown-admin-key-0123456789"
GRACE_SEC = 2
BOUND_SEC = 20.0  # grace + closing the stores; the upload alone takes well over a minute


def long_document() -> bytes:
    paragraphs = [
        f"Absatz {n}: Hinweise zu Netzentgelten, Tarifen und Zählern für Haushalte." * 6 for n in range(600)
    ]
    return "\n\n".join(["# Sehr langes Merkblatt", *paragraphs]).encode()


def test_sigterm_during_a_long_upload_stops_serve_within_its_grace(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = cli_environment(
        monkeypatch, tmp_path, ADMIN_API_KEY=ADMIN_KEY, LUNA_API__SHUTDOWN_GRACE_SEC=str(GRACE_SEC)
    )
    with luna_serve_process(env["API_PORT"], tmp_path / "serve.log") as (base, process):

        def upload() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server goes away, as it should
                httpx.post(
                    f"{base}/ingest/doc",
                    files={"file": ("lang.md", long_document(), "text/markdown")},
                    headers={"X-Admin-Key": ADMIN_KEY},
                    timeout=300,
                )

        uploading = threading.Thread(target=upload, daemon=True)
        uploading.start()
        time.sleep(3)  # the upload is embedding now
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        stopped_after = time.monotonic() - started

    assert stopped_after < BOUND_SEC, f"serve took {stopped_after:.1f} s to stop"
