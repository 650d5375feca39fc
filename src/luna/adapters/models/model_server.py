"""What every model-server adapter (Ollama, OpenAI-compatible) needs besides its protocol.

:class:`ModelServerClient` is one httpx client with the configured timeout, retries with exponential
backoff on connect errors and 5xx answers (a model server that is starting or reloading a model
answers like that for a few seconds), and httpx errors turned into Luna's errors:
:class:`~luna.domain.errors.Unavailable`, or :class:`~luna.ports.chat.ModelTimeout` when the model is
too slow. Timeouts are not retried: a retry would only double the wait of a user who already waited.

:class:`ServerEmbedder` holds the protocol-independent part of the server embedders: batching, the
optional query/passage prefixes, L2 normalisation and learning the vector size from the model.
"""

from __future__ import annotations

import json
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from luna.adapters.models.embedding_prompts import EmbeddingPrompts, named_with_prompts
from luna.domain.errors import Unavailable
from luna.ports.chat import ModelTimeout

#: Health checks answer quickly even when the configured model timeout is minutes.
HEALTH_TIMEOUT_SEC = 5.0
#: A TCP connect that takes longer than this will not succeed; the model timeout is for generating.
CONNECT_TIMEOUT_SEC = 5.0

EmbeddingKind = Literal["query", "passage"]


class _ServerError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


def _is_transient(exc: BaseException) -> bool:
    return isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.RemoteProtocolError | _ServerError
    )


def _error_message(response: httpx.Response) -> str:
    """The server's own explanation (Ollama: ``{"error": "…"}``; OpenAI: ``{"error": {"message": …}}``)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return response.text[:300] or response.reason_phrase
    if isinstance(error, dict):
        error = error.get("message")
    return str(error or response.reason_phrase)[:300]


class ModelServerClient:
    def __init__(
        self,
        base_url: str,
        *,
        backend: str,
        timeout_sec: float,
        api_key: str | None = None,
        attempts: int = 3,
        backoff_sec: float = 0.25,
    ) -> None:
        self.backend = backend
        self.base_url = base_url.rstrip("/")
        self.timeout_sec = timeout_sec
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_sec, connect=min(timeout_sec, CONNECT_TIMEOUT_SEC)),
        )
        self._attempts = attempts
        self._backoff_sec = backoff_sec

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """POST ``body`` and return the decoded JSON answer; retried while the server is down or failing."""
        with self._translated():
            response = self._send(self._client.build_request("POST", path, json=body), stream=False)
            return response.json()

    def stream_lines(self, path: str, body: dict[str, Any]) -> Iterator[str]:
        """POST ``body`` and yield the non-empty lines of the streamed answer (NDJSON or SSE).

        Only opening the stream is retried: pieces already given to the user cannot be taken back.
        The whole stream must finish within the timeout, or :class:`ModelTimeout` ends it.
        """
        deadline = time.monotonic() + self.timeout_sec
        with self._translated():
            response = self._send(self._client.build_request("POST", path, json=body), stream=True)
            try:
                for line in response.iter_lines():
                    if time.monotonic() > deadline:
                        raise ModelTimeout(f"{self.backend} did not finish within {self.timeout_sec:g} s")
                    if line.strip():
                        yield line
            finally:
                response.close()

    def get_json(self, path: str) -> tuple[Any, float]:
        """GET with the short health timeout and no retries; returns the JSON and the latency in ms."""
        started = time.perf_counter()
        response = self._client.get(path, timeout=min(self.timeout_sec, HEALTH_TIMEOUT_SEC))
        response.raise_for_status()
        return response.json(), (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self._client.close()

    def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff_sec, max=self._backoff_sec * 8),
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        return retrying(self._send_once, request, stream)

    def _send_once(self, request: httpx.Request, stream: bool) -> httpx.Response:
        response = self._client.send(request, stream=stream)
        if response.is_success:
            return response
        response.read()
        response.close()
        if response.status_code >= 500:
            raise _ServerError(response.status_code, _error_message(response))
        raise Unavailable(
            f"{self.backend} rejected the request (HTTP {response.status_code}): {_error_message(response)}"
        )

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except _ServerError as exc:
            raise Unavailable(
                f"{self.backend} at {self.base_url} failed after {self._attempts} attempts: {exc}"
            ) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Unavailable(f"cannot reach {self.backend} at {self.base_url}: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise ModelTimeout(f"{self.backend} did not answer within {self.timeout_sec:g} s") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"{self.backend} at {self.base_url} broke off: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise Unavailable(f"{self.backend} at {self.base_url} sent invalid JSON: {exc}") from exc


def decode_json_line(backend: str, line: str) -> dict[str, Any]:
    """One line of a streamed answer as a JSON object; anything else means the server is broken."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise Unavailable(f"{backend} sent a line that is not JSON: {line[:200]!r}") from exc
    if not isinstance(data, dict):
        raise Unavailable(f"{backend} sent a line that is not a JSON object: {line[:200]!r}")
    return data


def l2_normalised(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else [float(x) for x in vector]


class ServerEmbedder(ABC):
    """The embedding port for models behind a server: batching, prefixes, normalisation, vector size.

    Subclasses send one batch in their server's protocol (:meth:`_embed_batch`) and report health.
    The vector size is the model's, learnt from its first answer (or :meth:`warm_up`), never a
    setting: a setting could disagree with the model and corrupt the index.
    """

    def __init__(
        self,
        model: str,
        http: ModelServerClient,
        *,
        batch_size: int,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        self._model = model
        self._http = http
        self._batch_size = batch_size
        self._prefixes: dict[EmbeddingKind, str] = {"query": query_prefix, "passage": passage_prefix}
        #: The model with a digest of its prompts, if any: the passage cache is keyed by this name.
        self._name = named_with_prompts(model, EmbeddingPrompts(query_prefix, passage_prefix))
        self._dim: int | None = None

    @abstractmethod
    def _embed_batch(self, texts: list[str], kind: EmbeddingKind) -> list[list[float]]:
        """Raw vectors for one batch of already prefixed texts, in input order."""

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def known_dim(self) -> int | None:
        return self._dim

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.warm_up()
        assert self._dim is not None  # set by warm_up
        return self._dim

    def warm_up(self) -> None:
        """Loads the model on the server (one tiny request) and learns its vector size."""
        self.embed_query("Luna")

    def embed_query(self, text: str) -> list[float]:
        return self._embed_many([text], "query")[0]

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return self._embed_many(texts, "passage")

    def close(self) -> None:
        self._http.close()

    def _embed_many(self, texts: Sequence[str], kind: EmbeddingKind) -> list[list[float]]:
        vectors: list[list[float]] = []
        prefix = self._prefixes[kind]
        for start in range(0, len(texts), self._batch_size):
            batch = [prefix + text for text in texts[start : start + self._batch_size]]
            answer = self._embed_batch(batch, kind)
            if len(answer) != len(batch):
                raise Unavailable(f"embedding server returned {len(answer)} vectors for {len(batch)} texts")
            vectors.extend(self._checked(vector) for vector in answer)
        return vectors

    def _checked(self, vector: list[float]) -> list[float]:
        if self._dim is None:
            self._dim = len(vector)
        elif len(vector) != self._dim:
            raise Unavailable(f"embedding server changed the vector size from {self._dim} to {len(vector)}")
        return l2_normalised(vector)
