"""llama.cpp in-process: a GGUF file the user provides, no server.

``llama-cpp-python`` is an optional extra, because it is compiled on install (build it with
``CMAKE_ARGS="-DGGML_NATIVE=OFF"``: a native build uses CPU features, such as AMX, that virtual
machines may refuse, and then crashes with an illegal instruction). Without it this adapter still
builds, reports itself down in health, and raises a clear :class:`~luna.domain.errors.Unavailable`
when asked to answer. The model is loaded on first use (or :meth:`warm_up`), not when constructed,
so building the container stays instant. The chat template comes from the GGUF file itself.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from luna.domain.answers import ChatMessage
from luna.domain.errors import Unavailable
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.chat import ModelTimeout

BACKEND = "llama-cpp"
INSTALL_HINT = (
    "llama-cpp-python is not installed; install Luna's optional 'llama' extra, built with "
    'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install --no-cache-dir llama-cpp-python'
)


def _llama_cpp() -> ModuleType:
    try:
        return importlib.import_module("llama_cpp")
    except ImportError as exc:
        raise Unavailable(INSTALL_HINT) from exc


class LlamaCppChatModel:
    def __init__(
        self,
        gguf_path: Path,
        *,
        model_name: str | None = None,
        timeout_sec: float = 120.0,
        max_tokens: int = 512,
        temperature: float = 0.2,
        n_ctx: int = 4096,
        n_threads: int | None = None,
    ) -> None:
        """``n_threads=None`` lets llama.cpp choose; on a busy 2-core machine 1 thread is faster than 2,
        because ggml's per-operation barriers stall when a thread is descheduled."""
        self._path = Path(gguf_path)
        self._model_name = model_name or self._path.stem
        self._timeout_sec = timeout_sec
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._llama: Any = None
        self._load_lock = threading.Lock()
        # One llama.cpp context answers one question at a time.
        self._generate_lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self._model_name

    def warm_up(self) -> None:
        self._loaded()

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        llama = self._loaded()
        deadline = time.monotonic() + self._timeout_sec
        with self._generate_lock:
            chunks = llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                stream=True,
                max_tokens=self._max_tokens,
                temperature=self._temperature,
            )
            for chunk in chunks:
                if time.monotonic() > deadline:
                    raise ModelTimeout(f"{BACKEND} did not finish within {self._timeout_sec:g} s")
                content = chunk["choices"][0]["delta"].get("content")
                if content:
                    yield content

    def health(self) -> ComponentHealth:
        """Checks that the engine and the file are there; does not load the model (that takes seconds)."""
        started = time.perf_counter()
        try:
            module = _llama_cpp()
            if not self._path.is_file():
                raise Unavailable(f"GGUF file not found: {self._path}")
        except Exception as exc:  # health never raises: it reports
            return ComponentHealth("chat", HealthStatus.DOWN, BACKEND, detail=str(exc))
        return ComponentHealth(
            "chat",
            HealthStatus.UP,
            BACKEND,
            latency_ms=(time.perf_counter() - started) * 1000,
            version=str(getattr(module, "__version__", "")) or None,
            detail=str(self._path),
            extra={"model": self._model_name, "loaded": self._llama is not None},
        )

    def close(self) -> None:
        with self._load_lock, self._generate_lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    def _loaded(self) -> Any:
        with self._load_lock:
            if self._llama is None:
                module = _llama_cpp()
                if not self._path.is_file():
                    raise Unavailable(f"GGUF file not found: {self._path} (chat.gguf_path)")
                self._llama = module.Llama(
                    model_path=str(self._path),
                    n_ctx=self._n_ctx,
                    n_threads=self._n_threads,
                    verbose=False,
                )
            return self._llama
