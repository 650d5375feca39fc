"""Ollama (the seed's model server): chat on ``/api/chat`` (streamed NDJSON), embeddings on ``/api/embed``.

``url`` is the server root (``http://ollama:11434``). Health asks ``/api/tags`` whether the model is
pulled (a model that is not pulled fails every request) and ``/api/ps`` whether it is loaded in memory
(the first request to an unloaded model waits for the load, which :meth:`warm_up` does ahead of time).
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

BACKEND = "ollama"


def _names(listing: Any) -> list[str]:
    models = listing.get("models") if isinstance(listing, dict) else None
    return [str(m.get("name") or m.get("model")) for m in models or [] if isinstance(m, dict)]


def _is_listed(model: str, names: Sequence[str]) -> bool:
    """Ollama lists ``name:tag``; a configured name without a tag means ``:latest``."""
    return model in names or (":" not in model and f"{model}:latest" in names)


def _model_health(
    http: ModelServerClient, component: str, model: str, extra: dict[str, Any]
) -> ComponentHealth:
    try:
        tags, latency_ms = http.get_json("/api/tags")
        pulled = _is_listed(model, _names(tags))
        try:
            loaded: bool | None = _is_listed(model, _names(http.get_json("/api/ps")[0]))
        except Exception:  # older servers have no /api/ps; being pulled is what matters
            loaded = None
    except Exception as exc:  # health never raises: it reports
        return ComponentHealth(component, HealthStatus.DOWN, BACKEND, detail=f"{http.base_url}: {exc}")
    return ComponentHealth(
        component,
        HealthStatus.UP if pulled else HealthStatus.DOWN,
        BACKEND,
        latency_ms=latency_ms,
        detail=None
        if pulled
        else f"model '{model}' is not pulled on {http.base_url}: run `ollama pull {model}`",
        extra={"model": model, "pulled": pulled, "loaded": loaded, **extra},
    )


class OllamaChatModel:
    def __init__(
        self,
        url: str,
        model: str,
        *,
        timeout_sec: float = 120.0,
        max_tokens: int = 512,
        temperature: float = 0.2,
        context_tokens: int = 4096,
        attempts: int = 3,
        backoff_sec: float = 0.25,
    ) -> None:
        """``context_tokens`` is sent as ``num_ctx``: left to the server, a small default window drops the
        start of a long prompt (the system prompt with the citation rule) without a word."""
        self._model = model
        self._options = {"temperature": temperature, "num_predict": max_tokens, "num_ctx": context_tokens}
        self._http = ModelServerClient(
            url, backend=BACKEND, timeout_sec=timeout_sec, attempts=attempts, backoff_sec=backoff_sec
        )

    @property
    def model_name(self) -> str:
        return self._model

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        body = {
            "model": self._model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "options": self._options,
        }
        for line in self._http.stream_lines("/api/chat", body):
            data = decode_json_line(BACKEND, line)
            if "error" in data:
                raise Unavailable(f"{BACKEND} stopped answering: {data['error']}")
            content = (data.get("message") or {}).get("content")
            if content:
                yield content
            if data.get("done"):
                return

    def warm_up(self) -> None:
        """An empty message list makes Ollama load the model without generating anything."""
        self._http.post_json("/api/chat", {"model": self._model, "messages": [], "stream": False})

    def health(self) -> ComponentHealth:
        return _model_health(self._http, "chat", self._model, {})

    def close(self) -> None:
        self._http.close()


class OllamaEmbedder(ServerEmbedder):
    """Ollama applies no query/passage prefixes itself; models that need them (e5, nomic) get them
    through ``query_prefix`` / ``passage_prefix``."""

    def __init__(
        self,
        url: str,
        model: str,
        *,
        timeout_sec: float = 60.0,
        batch_size: int = 16,
        query_prefix: str = "",
        passage_prefix: str = "",
        attempts: int = 3,
        backoff_sec: float = 0.25,
    ) -> None:
        http = ModelServerClient(
            url, backend=BACKEND, timeout_sec=timeout_sec, attempts=attempts, backoff_sec=backoff_sec
        )
        super().__init__(
            model, http, batch_size=batch_size, query_prefix=query_prefix, passage_prefix=passage_prefix
        )

    def health(self) -> ComponentHealth:
        return _model_health(self._http, "embeddings", self._model, {"dim": self.known_dim})

    def _embed_batch(self, texts: list[str], kind: EmbeddingKind) -> list[list[float]]:
        answer = self._http.post_json("/api/embed", {"model": self._model, "input": texts, "truncate": True})
        embeddings = answer.get("embeddings") if isinstance(answer, dict) else None
        if not isinstance(embeddings, list):
            raise Unavailable(f"{BACKEND} sent no embeddings: {str(answer)[:200]}")
        return [[float(x) for x in vector] for vector in embeddings]
