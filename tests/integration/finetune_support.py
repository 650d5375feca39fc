"""What the fine-tuning suites share: a tiny base model, SFT examples, LoRA templates, dataset files.

The base model is a two-layer Llama with SmolLM2's tokenizer and random weights, so training takes
seconds on the CPU. The SFT files are written straight into the blob store, as a promoted dataset
version leaves them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from luna.ports.blobs import BlobStore
from tests.conftest import smollm2_gguf

DATASET = "tiny-qa"

#: Gates every finished run passes.
OPEN_GATES = {
    "min_win_rate_vs_base": 0.0,
    "min_win_rate_vs_champion": 0.0,
    "min_citation_validity": 0.0,
    "min_refusal_correctness": 0.0,
}


def build_tiny_base(folder: Path) -> Path:
    """Save a two-layer Llama with random weights and SmolLM2's tokenizer into ``folder``.

    Skips the calling test without ``transformers`` or SmolLM2's GGUF (see ``smollm2_gguf``)."""
    transformers = pytest.importorskip("transformers")
    gguf = smollm2_gguf()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=True,
    )
    transformers.set_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def sft_example(i: int, *, consent: str | None = None) -> dict[str, Any]:
    """SFT example ``i``: a question about tariff ``i`` answered from chunk ``c{i}`` with its citation."""
    meta = {} if consent is None else {"consent": consent}
    return {
        "messages": [
            {"role": "system", "content": "Du bist Luna."},
            {
                "role": "user",
                "content": (
                    f"Kontext:\n[chunk c{i}] Tarif {i} kostet {30 + i} ct.\n\nFrage: Was kostet Tarif {i}?"
                ),
            },
            {"role": "assistant", "content": f"Tarif {i} kostet {30 + i} ct [chunk c{i}]."},
        ],
        "meta": meta,
    }


def write_template(
    path: Path,
    base: Path,
    *,
    training: Mapping[str, Any] | None = None,
    evaluation: Mapping[str, Any] | None = None,
    **changes: Any,
) -> Path:
    """Write a LoRA template for the tiny model ``base`` whose gates every run passes (JSON is YAML).

    ``path`` is the file, or a folder in which the next free ``lora-<n>.yaml`` is written.
    ``training`` and ``evaluation`` change single keys of those sections (two steps, two test
    examples by default); ``changes`` replace top-level keys (``gates``, ``promote``, ``budgets``…).
    """
    text = {
        "name": "tiny",
        "base_model": str(base),
        "dataset": {"name": DATASET},
        "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
        "training": {
            "max_steps": 2,
            "batch_size": 2,
            "max_length": 96,
            "save_every_steps": 1,
            "learning_rate": 0.01,
            **(training or {}),
        },
        "evaluation": {"test_examples": 2, "max_new_tokens": 4, "canaries": 1, **(evaluation or {})},
        "gates": dict(OPEN_GATES),
        **changes,
    }
    if path.is_dir():
        path = path / f"lora-{len(list(path.glob('lora-*')))}.yaml"
    path.write_text(json.dumps(text), "utf-8")
    return path


def put_sft_splits(
    blobs: BlobStore, dataset: str, splits: Mapping[str, Iterable[Mapping[str, Any]]], *, version: str = "v1"
) -> None:
    """Write each split's examples as ``datasets/<dataset>/<version>/sft/<split>.jsonl``."""
    for split, rows in splits.items():
        blobs.put(
            f"datasets/{dataset}/{version}/sft/{split}.jsonl",
            "".join(json.dumps(r) + "\n" for r in rows).encode(),
        )


def small_sft_splits() -> dict[str, list[dict[str, Any]]]:
    """Eight training, two validation and two test examples, all with consent."""
    return {
        "train": [sft_example(i) for i in range(8)],
        "val": [sft_example(i) for i in range(8, 10)],
        "test": [sft_example(i) for i in range(10, 12)],
    }
