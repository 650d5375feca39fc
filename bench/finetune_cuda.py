"""Luna's LoRA trainer on a CUDA GPU (issue #17): the path CI cannot run, run where a GPU is lent.

    .venv/bin/python bench/finetune_cuda.py prepare bench/out/cuda-bases     # here: tokenizer + configs
    python3 bench/finetune_cuda.py run bench/out/cuda-bases OUT              # on the GPU machine

``prepare`` writes two bases with SmolLM2's tokenizer: ``tiny`` (the two-layer random Llama the
fine-tuning suites train on the CPU, weights included) and ``smollm2-shape`` (SmolLM2-135M's own
config without weights: its 98 MB GGUF does not travel to the GPU machine, so ``run`` fills that
shape with random weights; the loss means nothing there, the speed and memory are SmolLM2's).

``run`` needs torch with CUDA, transformers, peft, trl, datasets and gguf, and Luna's ``src`` on the
path; it trains each base through :class:`PeftLoraTrainer` exactly as ``luna finetune run`` does
(``device: auto``), stops the tiny run half-way and resumes it from its checkpoint, exports each
adapter to GGUF for llama.cpp, has the evaluation's generator answer with the SmolLM2-shaped adapter,
checks what each step must give, and prints a Markdown table.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

from luna.adapters.finetune.hf_generator import TransformersAnswerGenerator
from luna.adapters.finetune.peft_trainer import PeftLoraTrainer
from luna.domain.finetune.training import LoraShape, TrainOutcome, TrainRequest

STEPS = 40
#: The tiny run is stopped here, between the checkpoints the schedule writes (every 20 steps): the
#: checkpoint it resumes from is the one the stop itself wrote.
STOP_AT = 15
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")


def prepare(folder: Path) -> None:
    import transformers

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.integration.finetune_support import build_tiny_base

    from luna.adapters.finetune.base_models import bundled_gguf

    build_tiny_base(folder / "tiny")
    gguf = bundled_gguf()
    config = transformers.AutoConfig.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    (folder / "smollm2-shape").mkdir(parents=True, exist_ok=True)
    config.save_pretrained(str(folder / "smollm2-shape"))
    tokenizer.save_pretrained(str(folder / "smollm2-shape"))
    print(f"bases written to {folder}")


def example(i: int) -> list[dict[str, str]]:
    """A grounded question with its cited answer, as Luna's SFT datasets hold them."""
    passage = f"[chunk c{i}] Tarif {i} kostet {30 + i} ct."
    return [
        {"role": "system", "content": "Du bist Luna."},
        {
            "role": "user",
            "content": f"Kontext:\n{passage}\n\nFrage: Was kostet Tarif {i}?",
        },
        {"role": "assistant", "content": f"Tarif {i} kostet {30 + i} ct [chunk c{i}]."},
    ]


def request(base: Path, out: Path, max_steps: int) -> TrainRequest:
    return TrainRequest(
        base_model=base,
        output_dir=out,
        train=[example(i) for i in range(64)],
        val=[example(i) for i in range(64, 72)],
        lora=LoraShape(r=8, alpha=16, dropout=0.05, target_modules=TARGETS),
        learning_rate=2e-3,
        epochs=50.0,
        max_steps=max_steps,
        batch_size=8,
        grad_accum=1,
        max_length=256,
        seed=0,
        precision="auto",
        save_every_steps=20,
        device="auto",
    )


def train(base: Path, out: Path, max_steps: int, stop_at: int | None = None) -> tuple[TrainOutcome, float]:
    import torch

    torch.cuda.reset_peak_memory_stats()
    steps_ended: list[int] = []

    def progress(step: int, total: int, message: str) -> None:
        if step % 10 == 0:
            print(f"  {base.name}: {message}", flush=True)

    def should_stop() -> str | None:  # asked once at the end of every step
        steps_ended.append(1)
        return "cancelled" if stop_at is not None and len(steps_ended) >= stop_at else None

    outcome = PeftLoraTrainer().train(request(base, out, max_steps), progress, should_stop)
    return outcome, torch.cuda.max_memory_allocated() / 2**20


def filled(shape: Path, target: Path) -> Path:
    """SmolLM2's shape with random weights (seeded), saved as a model folder the trainer loads."""
    import transformers

    transformers.set_seed(0)
    config = transformers.AutoConfig.from_pretrained(str(shape))
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(str(target))
    transformers.AutoTokenizer.from_pretrained(str(shape)).save_pretrained(str(target))
    return target


def check(outcome: TrainOutcome, steps: int) -> dict[str, Any]:
    """What every run must give; the first and last loss logged by this run (after a resume: since it)."""
    losses = [e["loss"] for e in outcome.history if e.get("step", 0) > outcome.resumed_from_step]
    assert outcome.device == "cuda", outcome.device
    assert outcome.precision == "bf16", outcome.precision
    assert outcome.steps == steps, (outcome.steps, steps)
    assert (outcome.adapter_dir / "adapter_model.safetensors").is_file()
    return {
        "first loss": losses[0] if losses else float("nan"),
        "last loss": losses[-1] if losses else float("nan"),
    }


def generate(base: Path, outcome: TrainOutcome) -> None:
    """The evaluation's generator with the trained adapter: on the GPU in bf16, one answer a prompt."""
    import torch

    generator = TransformersAnswerGenerator()
    prompts = [example(i)[:-1] for i in range(64, 72)]
    started = time.monotonic()
    answers = generator.answers(base, outcome.adapter_dir, prompts, 16)
    wall = time.monotonic() - started
    loaded = generator._model(base, outcome.adapter_dir)[1]
    assert any("lora_" in name for name, _ in loaded.named_parameters()), "the adapter was not loaded"
    model = next(loaded.parameters())  # the base model's embedding
    assert len(answers) == len(prompts) and model.device.type == "cuda" and model.dtype == torch.bfloat16
    print(
        f"generator: {len(answers)} answers of ≤ 16 tokens with the adapter in {wall:.1f} s, base on "
        f"{model.device} in {model.dtype}"
    )


def run(bases: Path, out: Path) -> None:
    import peft
    import torch
    import transformers
    import trl

    assert torch.cuda.is_available(), "no CUDA GPU: run this where one is"
    print(
        f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}, transformers "
        f"{transformers.__version__}, peft {peft.__version__}, trl {trl.__version__}"
    )
    shutil.rmtree(out, ignore_errors=True)  # a run left there would be resumed
    rows = []
    tiny = bases / "tiny"
    stopped, _ = train(tiny, out / "tiny", STEPS, stop_at=STOP_AT)
    assert stopped.stopped == "cancelled" and stopped.steps == STOP_AT, (stopped.stopped, stopped.steps)
    resumed, memory = train(tiny, out / "tiny", STEPS)
    assert resumed.resumed_from_step == STOP_AT, resumed.resumed_from_step
    rows.append((f"tiny (2 layers), stopped at step {STOP_AT} and resumed", resumed, memory))
    shape = filled(bases / "smollm2-shape", out / "smollm2-random")
    full, memory = train(shape, out / "smollm2", STEPS)
    rows.append(("SmolLM2-135M shape, random weights", full, memory))
    generate(shape, full)
    trainer = PeftLoraTrainer()
    print("| base | device / precision | steps | first → last loss | steps/s | peak MiB allocated | GGUF |")
    print("|---|---|---|---|---|---|---|")
    for (label, outcome, memory), base in zip(rows, (tiny, shape), strict=True):
        losses = check(outcome, STEPS)
        target = outcome.adapter_dir.parent / "adapter.gguf"
        trainer.export_gguf(outcome.adapter_dir, base, target)
        assert target.stat().st_size > 0
        rate = (outcome.steps - outcome.resumed_from_step) / outcome.metrics["train_seconds"]
        print(
            f"| {label} | {outcome.device} / {outcome.precision} | {outcome.steps} | "
            f"{losses['first loss']:.3f} → {losses['last loss']:.3f} | {rate:.2f} | {memory:.0f} | "
            f"{target.stat().st_size / 1024:.0f} KiB |"
        )


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(Path(sys.argv[2]))
    else:
        run(Path(sys.argv[2]), Path(sys.argv[3]))
