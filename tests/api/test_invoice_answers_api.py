"""A customer uploads a bill and asks what it says: the amount set apart from its label is the answer
(``luna.adapters.extract.pdf_rows``; before, "Zahlbetrag" was quoted without its figure)."""

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
