"""Greedy answers of a base model, with or without an adapter, for the evaluation.

Batches of prompts are padded on the left (a decoder continues from the right end) and decoded with
``do_sample=False``, so the same model and prompts give the same answers in every run. On a CUDA host
the model runs there (bf16 where the GPU has it), on the CPU in fp32.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from luna.adapters.finetune.frameworks import framework
from luna.domain.finetune.training import ChatExample

_BATCH = 8


class TransformersAnswerGenerator:
    def answers(
        self, base_model: Path, adapter_dir: Path | None, prompts: Sequence[ChatExample], max_new_tokens: int
    ) -> list[str]:
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
        out: list[str] = []
        with torch.inference_mode():
            for start in range(0, len(prompts), _BATCH):
                out.extend(_batch(tokenizer, model, prompts[start : start + _BATCH], max_new_tokens))
        return out


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
