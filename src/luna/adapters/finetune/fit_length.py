"""Examples that fit ``max_length``: the context is shortened, never the answer.

TRL cuts a sequence longer than ``max_length`` at its end, which is where Luna's answer is; an example
whose answer is cut away entirely is dropped as "fully masked". With passages as context (the
``documents-qa`` pipeline) most examples are longer than a CPU-sized ``max_length``: measured on four
law texts, about 90 of 112 training examples were silently dropped at 320 tokens. So the ``Kontext:`` part of
the user turn is cut from its end until the whole example fits; the question and the answer stay whole.
An example without a context that is still too long is left to TRL (and counted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from luna.domain.finetune.training import ChatExample

_CONTEXT: Final = re.compile(r"(Kontext:\s*)(.*?)(\n\s*\nFrage:.*)", re.DOTALL)
_ATTEMPTS: Final = 6
_MARGIN_TOKENS: Final = 8


def fitted(
    tokenizer: Any, examples: Sequence[ChatExample], max_length: int
) -> tuple[list[list[dict[str, str]]], int, int]:
    """(the examples, how many were shortened, how many still do not fit)."""
    out: list[list[dict[str, str]]] = []
    shortened = too_long = 0
    for example in examples:
        turns = [dict(t) for t in example]
        fits, changed = _fit(tokenizer, turns, max_length)
        out.append(turns)
        shortened += changed
        too_long += not fits
    return out, shortened, too_long


def _fit(tokenizer: Any, turns: list[dict[str, str]], max_length: int) -> tuple[bool, bool]:
    changed = False
    for _ in range(_ATTEMPTS):
        excess = _length(tokenizer, turns) - max_length
        if excess <= 0:
            return True, changed
        user = next((t for t in reversed(turns[:-1]) if t["role"] == "user"), None)
        match = _CONTEXT.fullmatch(user["content"]) if user is not None else None
        if user is None or match is None or not match[2]:
            return False, changed
        context = match[2]
        context_tokens = max(len(tokenizer(context, add_special_tokens=False)["input_ids"]), 1)
        keep = int(len(context) * max(0.0, 1 - (excess + _MARGIN_TOKENS) / context_tokens))
        user["content"] = (
            f"{match[1]}{context[:keep].rstrip()} …{match[3]}" if keep else f"{match[1]}…{match[3]}"
        )
        changed = True
    return _length(tokenizer, turns) <= max_length, changed


def _length(tokenizer: Any, turns: list[dict[str, str]]) -> int:
    text = tokenizer.apply_chat_template(turns, tokenize=False)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])
