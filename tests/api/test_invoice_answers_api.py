"""A customer uploads a bill or a tariff export and asks what it says: the amount set apart from its label
is the answer (``luna.adapters.extract.pdf_rows``; before, "Zahlbetrag" was quoted without its figure),
and a CSV's row is quoted with its column names (``luna.adapters.extract.delimited``)."""

from __future__ import annotations

import httpx
import pytest

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
