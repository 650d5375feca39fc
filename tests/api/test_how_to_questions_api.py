"""A question that asks how to do something no found passage speaks of is refused, not answered with
the rules that happen to be near (issue #14; measured in ``bench/absent_actions.py``).

"Wie entlüfte ich nach dem Einbau einer neuen Wärmepumpe meine Heizkörper richtig?" over the laws was
answered with the conditions for installing a heat pump.
"""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_knowledge_api import SAMPLES, upload
from tests.api.test_unknown_names_api import ask

pytestmark = pytest.mark.anyio


@pytest.fixture
async def tariff_guide(client: httpx.AsyncClient) -> None:
    guide = (SAMPLES / "stromtarife-und-lastverschiebung.md").read_bytes()
    assert (await upload(client, guide, "stromtarife-und-lastverschiebung.md")).status_code in (200, 201, 202)


@pytest.mark.usefixtures("tariff_guide")
async def test_how_to_do_what_no_passage_speaks_of_is_refused_and_says_why(client: httpx.AsyncClient) -> None:
    refused = await ask(client, "Wie entlüfte ich meine Wärmepumpe, bevor ich den Strom günstig beziehe?")

    assert refused["citations"] == []
    assert "Wie das geht („entlüfte“), beschreiben die passenden Stellen" in str(refused["answer"])


@pytest.mark.usefixtures("tariff_guide")
@pytest.mark.parametrize(
    "question",
    [
        "Wie verschiebe ich den Verbrauch meiner Waschmaschine in günstige Stunden?",
        "Wie senke ich meine Stromkosten mit einem dynamischen Tarif?",  # an outcome, not a procedure
    ],
)
async def test_how_to_do_what_a_passage_describes_is_answered(
    client: httpx.AsyncClient, question: str
) -> None:
    answered = await ask(client, question)

    assert answered["citations"] != []
