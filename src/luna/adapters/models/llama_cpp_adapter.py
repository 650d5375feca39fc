"""Check a LoRA GGUF before llama.cpp sees it: llama.cpp crashes the whole process (a segmentation
fault, not an error) on some malformed adapter files, so a broken file must be refused here.

The file is read with gguf-py's reader (pure Python over a memory map): it must be a LoRA adapter for
the base model's architecture, and every tensor must change a tensor the base model has, with the
shapes llama.cpp multiplies (A: [n_in, r], B: [r, n_out] against a base weight [n_in, n_out]).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from luna.domain.errors import InvalidInput


def check_lora_gguf(adapter: Path, base: Path) -> None:
    """Raise InvalidInput naming what is wrong; return quietly for an adapter llama.cpp can load."""
    try:
        gguf = importlib.import_module("gguf")
    except ImportError as exc:
        raise InvalidInput("serving an adapter needs the gguf package (Luna's 'finetune' extra)") from exc
    try:
        reader, base_reader = gguf.GGUFReader(str(adapter)), gguf.GGUFReader(str(base))
    except Exception as exc:  # whatever the reader trips over, the file is refused, never loaded
        raise InvalidInput(f"{adapter.name} is not a readable GGUF file: {exc}") from exc
    if (_text(reader, "general.type"), _text(reader, "adapter.type")) != ("adapter", "lora"):
        raise InvalidInput(f"{adapter.name} is not a LoRA adapter")
    if _text(reader, "general.architecture") != _text(base_reader, "general.architecture"):
        raise InvalidInput(f"{adapter.name} was made for another model architecture than {base.name}")
    shapes = {t.name: [int(n) for n in t.shape] for t in base_reader.tensors}
    pairs: dict[str, dict[str, list[int]]] = {}
    for tensor in reader.tensors:
        name, _, side = tensor.name.rpartition(".lora_")
        pairs.setdefault(name, {})[side] = [int(n) for n in tensor.shape]
    if not pairs:
        raise InvalidInput(f"{adapter.name} holds no LoRA tensors")
    for name, sides in pairs.items():
        _check_pair(adapter, name, sides, shapes.get(name))


def _check_pair(adapter: Path, name: str, sides: dict[str, list[int]], base: list[int] | None) -> None:
    a, b = sides.get("a"), sides.get("b")
    if base is None or a is None or b is None or len(a) != 2 or len(b) != 2:
        raise InvalidInput(f"{adapter.name}: {name} does not match a weight of the base model")
    if a[0] != base[0] or b[1] != base[1] or a[1] != b[0]:
        raise InvalidInput(f"{adapter.name}: the shapes of {name} do not fit the base model")


def _text(reader: Any, key: str) -> str | None:
    field = reader.fields.get(key)
    if field is None or not field.data:
        return None
    return bytes(field.parts[field.data[0]]).decode("utf-8", errors="replace")
