"""llama.cpp in-process: a GGUF file the user provides, no server.

``llama-cpp-python`` is an optional extra, because it is compiled on install (build it with
``CMAKE_ARGS="-DGGML_NATIVE=OFF"``: a native build uses CPU features, such as AMX, that virtual
machines may refuse, and then crashes with an illegal instruction). Without it this adapter still
builds, reports itself down in health, and raises a clear :class:`~luna.domain.errors.Unavailable`
when asked to answer. The model is loaded on first use (or :meth:`warm_up`), not when constructed,
so building the container stays instant. The chat template comes from the GGUF file itself.

A fine-tuned LoRA adapter (issue #17) is served with the base GGUF: ``adapter`` names the champion's
adapter file (asked again at most every few seconds, so a promotion or rollback in any process reaches
this one); a new file reloads the model. An adapter that fails its check (``llama_cpp_adapter.py``:
llama.cpp crashes on some malformed files instead of raising) or fails to load is logged and the base
model answers instead, until another adapter is promoted.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from luna.adapters.models.llama_cpp_adapter import check_lora_gguf
from luna.domain.answers import ChatMessage
from luna.domain.errors import Unavailable
from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.chat import ModelTimeout

log = logging.getLogger(__name__)
BACKEND = "llama-cpp"
#: How long the answer to "which adapter serves?" is reused before it is asked again.
ADAPTER_CHECK_SEC = 5.0
#: Tokens a chat template adds around each message's text (role markers, separators), a generous bound.
_TEMPLATE_TOKENS_PER_MESSAGE = 8
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
        adapter: Callable[[], Path | None] | None = None,
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
        self._adapter_source = adapter
        self._adapter_checked = -float("inf")
        self._adapter_wanted: Path | None = None
        self._adapter_loaded: Path | None = None
        self._adapter_failed: tuple[Path, str] | None = None
        self._load_lock = threading.Lock()
        # One llama.cpp context answers one question at a time.
        self._generate_lock = threading.Lock()

    @property
    def model_name(self) -> str:
        loaded = self._adapter_loaded
        return self._model_name if loaded is None else f"{self._model_name}+{_label(loaded)}"

    def warm_up(self) -> None:
        self._loaded()

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        llama = self._loaded()
        deadline = time.monotonic() + self._timeout_sec
        with self._generate_lock:
            fitting = within_window(messages, _token_counter(llama), self._n_ctx - self._max_tokens)
            chunks = llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in fitting],
                stream=True,
                max_tokens=self._max_tokens,
                temperature=self._temperature,
            )
            try:
                for chunk in chunks:
                    if time.monotonic() > deadline:
                        raise ModelTimeout(f"{BACKEND} did not finish within {self._timeout_sec:g} s")
                    content = chunk["choices"][0]["delta"].get("content")
                    if content:
                        yield content
            except ValueError as error:
                if "context window" not in str(error):
                    raise
                # A long context plus a conversation's earlier answers: the service answers extractively.
                raise Unavailable(
                    f"{BACKEND}: the question, its context and the answer do not fit the model's "
                    f"{self._n_ctx} tokens ({error})"
                ) from error

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
            extra={
                "model": self._model_name,
                "loaded": self._llama is not None,
                "adapter": None if self._adapter_loaded is None else _label(self._adapter_loaded),
                "adapter_error": None if self._adapter_failed is None else self._adapter_failed[1],
            },
        )

    def close(self) -> None:
        with self._load_lock, self._generate_lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    def _loaded(self) -> Any:
        with self._load_lock:
            wanted = self._wanted_adapter()
            if self._llama is not None and wanted == self._adapter_loaded:
                return self._llama
            module = _llama_cpp()
            if not self._path.is_file():
                raise Unavailable(f"GGUF file not found: {self._path} (chat.gguf_path)")
            with self._generate_lock:
                if self._llama is not None:
                    self._llama.close()
                    self._llama = None
                self._llama, self._adapter_loaded = self._load(module, wanted)
            return self._llama

    def _load(self, module: ModuleType, adapter: Path | None) -> tuple[Any, Path | None]:
        settings = {"model_path": str(self._path), "n_ctx": self._n_ctx, "n_threads": self._n_threads}
        if adapter is not None:
            try:
                check_lora_gguf(adapter, self._path)
                return module.Llama(**settings, lora_path=str(adapter), verbose=False), adapter
            except Exception as exc:  # a broken adapter must not take answering down: the base answers
                log.warning("llama_cpp.adapter_failed", extra={"adapter": str(adapter), "error": str(exc)})
                self._adapter_failed = (adapter, f"{type(exc).__name__}: {exc}")
        return module.Llama(**settings, verbose=False), None

    def _wanted_adapter(self) -> Path | None:
        """The champion's adapter file, asked at most every ADAPTER_CHECK_SEC; one that failed is skipped."""
        if self._adapter_source is None:
            return None
        now = time.monotonic()
        if now - self._adapter_checked >= ADAPTER_CHECK_SEC:
            self._adapter_checked = now
            try:
                self._adapter_wanted = self._adapter_source()
            except Exception as exc:  # the registry unreachable: keep serving what is loaded
                log.warning("llama_cpp.adapter_lookup_failed", extra={"error": str(exc)})
                return self._adapter_loaded
        failed = self._adapter_failed
        return None if failed is not None and failed[0] == self._adapter_wanted else self._adapter_wanted


def within_window(
    messages: Sequence[ChatMessage], count_tokens: Callable[[str], int], budget: int
) -> list[ChatMessage]:
    """``messages`` without the oldest exchanges of the conversation, until they leave the answer its
    ``max_tokens`` in the context window. Left in, llama.cpp silently shortens the answer to what
    remains; the system prompt and the question with its context are never dropped. When those alone
    leave too little room, the answer is shorter, and when they do not fit at all llama.cpp says so
    (:class:`Unavailable`)."""
    kept = list(messages)
    sizes = [count_tokens(m.content) + _TEMPLATE_TOKENS_PER_MESSAGE for m in kept]  # each counted once
    first = 1 if kept and kept[0].role == "system" else 0
    while sum(sizes) > budget and len(kept) - first > 1:
        # An exchange goes whole (question and answer), so the turns still alternate.
        drop = 2 if len(kept) - first > 2 and kept[first + 1].role == "assistant" else 1
        del kept[first : first + drop], sizes[first : first + drop]
    return kept


def _token_counter(llama: Any) -> Callable[[str], int]:
    def count(text: str) -> int:
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    return count


def _label(adapter: Path) -> str:
    """``luna-answers@v3`` from ``…/luna-answers/v3/adapter.gguf``."""
    return f"{adapter.parent.parent.name}@{adapter.parent.name}"
