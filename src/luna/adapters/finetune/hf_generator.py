"""Greedy answers of a base model, with or without an adapter, for the evaluation.

Batches of prompts are padded on the left (a decoder continues from the right end) and decoded with
``do_sample=False``, so the same model and prompts give the same answers in every run. On a CUDA host
the model runs there (bf16 where the GPU has it), on the CPU in fp32. The last model loaded stays in
memory: the regression sets ask one question at a time through Luna's answer path, and loading the
model for each would cost more than answering.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from luna.adapters.finetune.frameworks import framework
from luna.domain.finetune.training import ChatExample

_BATCH = 8


class TransformersAnswerGenerator:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: tuple[tuple[Path, Path | None], Any, Any] | None = None

    def answers(
        self, base_model: Path, adapter_dir: Path | None, prompts: Sequence[ChatExample], max_new_tokens: int
    ) -> list[str]:
        torch = framework("torch")
        with self._lock:
            tokenizer, model = self._model(base_model, adapter_dir)
            out: list[str] = []
            with torch.inference_mode():
                for start in range(0, len(prompts), _BATCH):
                    out.extend(_batch(tokenizer, model, prompts[start : start + _BATCH], max_new_tokens))
            return out

    def _model(self, base_model: Path, adapter_dir: Path | None) -> tuple[Any, Any]:
        """The tokenizer and model for this base and adapter: the ones in memory, or loaded now."""
        key = (base_model, adapter_dir)
        if self._loaded is not None and self._loaded[0] == key:
            return self._loaded[1], self._loaded[2]
        self._loaded = None  # the previous model is freed before the next one loads
        torch, transformers = framework("torch"), framework("transformers")
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(base_model), padding_side="left")
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        cuda = bool(torch.cuda.is_available())
        dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
        model: Any = transformers.AutoModelForCausalLM.from_pretrained(str(base_model), dtype=dtype)
        if adapter_dir is not None:
            model = framework("peft").PeftModel.from_pretrained(model, str(adapter_dir))
        model.to("cuda" if cuda else "cpu").eval()
        self._loaded = (key, tokenizer, model)
        return tokenizer, model


def _batch(tokenizer: Any, model: Any, prompts: Sequence[ChatExample], max_new_tokens: int) -> list[str]:
    texts = [
        tokenizer.apply_chat_template([dict(t) for t in p], add_generation_prompt=True, tokenize=False)
        for p in prompts
    ]
    encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    generated = model.generate(
        **encoded,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=tokenizer.pad_token_id,
    )
    width = encoded["input_ids"].shape[1]
    return [tokenizer.decode(row[width:], skip_special_tokens=True).strip() for row in generated]
