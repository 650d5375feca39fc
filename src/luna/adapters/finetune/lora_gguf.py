"""A PEFT LoRA adapter written as a llama.cpp LoRA GGUF, so llama.cpp serves base + adapter.

llama.cpp names a LoRA tensor after the base tensor it changes (``blk.3.attn_q.weight.lora_a``) and
reads the scale from ``adapter.lora.alpha`` (scale = alpha / r, as PEFT). Its Llama conversion permutes
the rows of the query and key weights for its rotary layout, so the B matrices of ``q_proj`` and
``k_proj`` (whose rows are those output rows) are permuted the same way; A is untouched. Checked here
by the behaviour that matters: a base model that never says the trained answer says it with the
adapter under llama.cpp (``tests/integration/test_finetune_serving.py``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

from luna.adapters.finetune.frameworks import framework
from luna.domain.errors import InvalidInput

_GGUF_NAMES: Final = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}
_LLAMA_FAMILY: Final = frozenset({"llama", "mistral"})
_TENSOR = re.compile(r"layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])\.weight$")


def write_lora_gguf(adapter_dir: Path, base_folder: Path, target: Path) -> None:
    adapter = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    base = json.loads((base_folder / "config.json").read_text(encoding="utf-8"))
    if base.get("model_type") not in _LLAMA_FAMILY:
        raise InvalidInput(
            f"GGUF export knows Llama-family models, not {base.get('model_type')!r}: serve the adapter "
            "with vLLM (--lora-modules) or merge it into the base model"
        )
    gguf, safetensors = framework("gguf"), framework("safetensors.numpy")
    tensors = safetensors.load_file(str(adapter_dir / "adapter_model.safetensors"))
    heads = {"q_proj": base["num_attention_heads"], "k_proj": base["num_key_value_heads"]}
    partial = target.with_name(target.name + ".partial")
    writer = gguf.GGUFWriter(str(partial), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(adapter["lora_alpha"]))
    for name, tensor in sorted(tensors.items()):
        writer.add_tensor(*_gguf_tensor(name, tensor, heads))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    partial.rename(target)


def _gguf_tensor(name: str, tensor: Any, heads: dict[str, int]) -> tuple[str, Any]:
    match = _TENSOR.search(name)
    if match is None or match[2] not in _GGUF_NAMES:
        raise InvalidInput(f"cannot place adapter tensor {name} in a llama.cpp model")
    layer, module, side = int(match[1]), match[2], match[3]
    data = tensor.astype("float32")
    if side == "B" and module in heads:
        data = _rope_permute(data, heads[module])
    return f"blk.{layer}.{_GGUF_NAMES[module]}.weight.lora_{side.lower()}", data.copy(order="C")


def _rope_permute(rows: Any, heads: int) -> Any:
    """llama.cpp's row order for rotary heads: each head's two halves interleaved."""
    shape = rows.shape
    return rows.reshape(heads, 2, shape[0] // heads // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)
