"""A customer uploads a bill or a tariff export and asks what it says: the amount set apart from its label
is the answer (``luna.adapters.extract.pdf_rows``; before, "Zahlbetrag" was quoted without its figure),
and a CSV's row is quoted with its column names (``luna.adapters.extract.delimited``)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from luna.adapters.extract import pdf
from luna.workers.registry import load_jobs
from luna.workers.runner import execute
from tests.api.conftest import http_client
from tests.api.test_knowledge_api import DEV_USER, upload
from tests.unit.test_pdf_unruled_rows import invoice_pdf

pytestmark = pytest.mark.anyio


async def test_the_amount_due_is_answered_with_its_figure_and_the_tax_from_its_table(
    client: httpx.AsyncClient,
) -> None:
    assert (await upload(client, invoice_pdf(), "stromrechnung-2025.pdf")).status_code in (200, 201, 202)

    due = await client.post(
        "/api/v1/rag/ask", json={"question": "Wie hoch ist der Zahlbetrag?"}, headers=DEV_USER
    )
    tax = await client.post(
        "/api/v1/rag/ask",
        json={"question": "Wie viel Umsatzsteuer steht auf der Rechnung?"},
        headers=DEV_USER,
    )

    lead = due.json()["data"]["answer"].split("\n\n")[0]
    assert "Zahlbetrag 932,40" in lead
    assert "Steuer 177,16" in tax.json()["data"]["answer"].split("\n\n")[0]


async def test_a_tariff_exported_as_csv_is_answered_with_its_row(client: httpx.AsyncClient) -> None:
    tariff = b"Zeitraum;Arbeitspreis ct/kWh\nHT 06-22 Uhr;31,2\nNT 22-06 Uhr;24,8\n"
    assert (await upload(client, tariff, "waermepumpentarif.csv")).status_code in (200, 201, 202)

    asked = {"question": "Wie hoch ist der Arbeitspreis im NT-Zeitraum von 22 bis 6 Uhr?"}
    answer = (await client.post("/api/v1/rag/ask", json=asked, headers=DEV_USER)).json()["data"]["answer"]

    assert "NT 22-06 Uhr: Arbeitspreis ct/kWh 24,8" in answer.split("\n\n")[0]


async def test_a_bill_stored_before_the_reader_improved_is_read_again_by_a_job(
    build_app: Callable[..., FastAPI], admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(known_jobs=load_jobs())
    async with http_client(app) as client:
        monkeypatch.setattr(pdf, "merge_rows", lambda boxes, tables=(): list(boxes))  # the old reader
        item_id = (await upload(client, invoice_pdf(), "rechnung.pdf")).json()["data"]["item_id"]
        monkeypatch.undo()
        refused = await client.post("/api/v1/admin/reread", json={"item_ids": ["nope"]}, headers=admin)
        queued = await client.post("/api/v1/admin/reread", json={"item_ids": [item_id]}, headers=admin)
        execute(app.state.container, queued.json()["data"]["job_id"])
        job = (
            await client.get(f"/api/v1/admin/jobs/{queued.json()['data']['job_id']}", headers=admin)
        ).json()
        asked = {"question": "Wie hoch ist der Zahlbetrag?"}
        answer = (await client.post("/api/v1/rag/ask", json=asked, headers=DEV_USER)).json()["data"]["answer"]

    assert refused.status_code == 404
    assert queued.status_code == 202 and queued.json()["data"]["name"] == "kb.reread"
    assert job["data"]["status"] == "succeeded"
    assert job["data"]["result"] | {"new_versions": 1, "unchanged": 0, "failed": []} == job["data"]["result"]
    assert "Zahlbetrag 932,40" in answer.split("\n\n")[0]
