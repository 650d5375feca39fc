"""LoRA training with PEFT and TRL's ``SFTTrainer``: no home-made loop, the same code on CPU and CUDA.

Examples are given to TRL as conversational prompt/completion pairs, so the loss counts only Luna's
answer, not the context it was given. Checkpoints every ``save_every_steps`` make a crashed or cancelled
run resumable: the same output folder continues from its last checkpoint. Precision ``auto`` is bf16 on
a CUDA GPU that has it and fp32 on the CPU: bf16 autocast measured 12× slower than fp32 on this
machine's CPU (torch 2.13; bench/RESULTS.md, "Fine-tuning").
"""

from __future__ import annotations

import re
import resource
import time
from pathlib import Path
from typing import Any

from luna.adapters.finetune.base_models import located_base, resolve_base
from luna.adapters.finetune.fit_length import fitted
from luna.adapters.finetune.frameworks import framework
from luna.adapters.finetune.lora_gguf import write_lora_gguf
from luna.domain.errors import InvalidInput, Unavailable
from luna.domain.finetune.training import BaseModelFiles, TrainOutcome, TrainRequest
from luna.ports.finetune import Progress, StopReason

_VAL_EXAMPLES = 32


class PeftLoraTrainer:
    def base(self, spec: str, cache_dir: Path) -> BaseModelFiles:
        return resolve_base(spec, cache_dir)

    def check_base(self, spec: str) -> None:
        located_base(spec)

    def train(self, request: TrainRequest, progress: Progress, should_stop: StopReason) -> TrainOutcome:
        torch, transformers, peft, trl = (framework(n) for n in ("torch", "transformers", "peft", "trl"))
        device, precision = _device(torch, request), _precision(torch, request)
        transformers.set_seed(request.seed)
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(request.base_model))
        model = transformers.AutoModelForCausalLM.from_pretrained(
            str(request.base_model), dtype=torch.bfloat16 if precision == "bf16" else torch.float32
        )
        _check_target_modules(model, request.lora.target_modules)
        checkpoints = request.output_dir / "checkpoints"
        last = (
            transformers.trainer_utils.get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
        )
        watcher = _watcher(transformers, progress, should_stop)
        train, shortened, too_long = fitted(tokenizer, request.train, request.max_length)
        if too_long >= len(train):  # torch's sampler said "num_samples should be a positive integer value"
            raise InvalidInput(
                f"No training example fits in training.max_length = {request.max_length} tokens, not even "
                f"without its context ({too_long} of {len(train)}); raise training.max_length."
            )
        val, _, _ = fitted(tokenizer, request.val[:_VAL_EXAMPLES], request.max_length)
        trainer = trl.SFTTrainer(
            model=model,
            args=_arguments(trl, request, checkpoints, device, precision),
            train_dataset=_dataset(train),
            eval_dataset=_dataset(val) if val else None,
            processing_class=tokenizer,
            peft_config=peft.LoraConfig(
                r=request.lora.r,
                lora_alpha=request.lora.alpha,
                lora_dropout=request.lora.dropout,
                target_modules=list(request.lora.target_modules),
                task_type="CAUSAL_LM",
            ),
            callbacks=[watcher],
        )
        started = time.monotonic()
        result = trainer.train(resume_from_checkpoint=last)
        wall = time.monotonic() - started
        adapter_dir = request.output_dir / "adapter"
        trainer.model.save_pretrained(str(adapter_dir))
        metrics = _metrics(trainer, result.metrics, wall, request.val)
        metrics.update(examples_context_shortened=float(shortened), examples_too_long=float(too_long))
        return TrainOutcome(
            adapter_dir=adapter_dir,
            steps=int(trainer.state.global_step),
            stopped=watcher.stopped,
            resumed_from_step=_step_of(last),
            metrics=metrics,
            history=[dict(entry) for entry in trainer.state.log_history if "loss" in entry],
            device=device,
            precision=precision,
        )

    def export_gguf(self, adapter_dir: Path, base_model: Path, target: Path) -> None:
        write_lora_gguf(adapter_dir, base_model, target)


def _check_target_modules(model: Any, wanted: tuple[str, ...]) -> None:
    """PEFT's own refusal of a module name the model lacks is a long dump of its internals; this one
    names the template key and the layer names the model does have (the leaves PEFT matches)."""
    names = [name for name, _ in model.named_modules() if name]
    missing = [key for key in wanted if not any(name == key or name.endswith(f".{key}") for name in names)]
    if missing:
        linear = sorted(
            {name.rsplit(".", 1)[-1] for name, module in model.named_modules() if _is_linear(module)}
        )
        raise InvalidInput(
            f"lora.target_modules names layers the base model does not have: {', '.join(missing)}. "
            f"Its linear layers are: {', '.join(linear)}."
        )


def _is_linear(module: Any) -> bool:
    return type(module).__name__ in ("Linear", "Conv1D")


def _device(torch: Any, request: TrainRequest) -> str:
    has_cuda = bool(torch.cuda.is_available())
    if request.device == "cuda" and not has_cuda:
        raise Unavailable("training.device is cuda, but torch sees no CUDA GPU")
    return "cuda" if has_cuda and request.device != "cpu" else "cpu"


def _precision(torch: Any, request: TrainRequest) -> str:
    if request.precision != "auto":
        return request.precision
    cuda = _device(torch, request) == "cuda"
    return "bf16" if cuda and bool(torch.cuda.is_bf16_supported()) else "fp32"


def _arguments(trl: Any, request: TrainRequest, checkpoints: Path, device: str, precision: str) -> Any:
    return trl.SFTConfig(
        output_dir=str(checkpoints),
        num_train_epochs=request.epochs,
        max_steps=request.max_steps or -1,
        per_device_train_batch_size=request.batch_size,
        per_device_eval_batch_size=request.batch_size,
        gradient_accumulation_steps=request.grad_accum,
        learning_rate=request.learning_rate,
        logging_steps=1,
        save_strategy="steps",
        save_steps=request.save_every_steps,
        save_total_limit=2,
        report_to=[],
        max_length=request.max_length,
        seed=request.seed,
        use_cpu=device == "cpu",
        bf16=precision == "bf16",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )


def _dataset(examples: Any) -> Any:
    """Prompt (every turn before the answer) and completion (the answer), as TRL's conversational form."""
    rows = [
        {"prompt": [dict(turn) for turn in example[:-1]], "completion": [dict(example[-1])]}
        for example in examples
    ]
    return framework("datasets").Dataset.from_list(rows)


def _watcher(transformers: Any, progress: Progress, should_stop: StopReason) -> Any:
    class Watcher(transformers.TrainerCallback):  # type: ignore[misc]
        """Progress per logged step; a stop reason ends training after a checkpoint is written."""

        stopped: str | None = None

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **_: Any) -> None:
            loss = (logs or {}).get("loss")
            message = f"Schritt {state.global_step}/{state.max_steps}" + (
                f", Verlust {loss:.3f}" if isinstance(loss, float) else ""
            )
            progress(int(state.global_step), int(state.max_steps), message)

        def on_step_end(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            if state.max_steps and state.global_step >= state.max_steps:
                return  # the last step is done: the run ends as planned, whatever the clock says
            reason = should_stop()
            if reason is not None:
                self.stopped = reason
                control.should_training_stop = True
                control.should_save = True

    return Watcher()


def _metrics(trainer: Any, train: dict[str, Any], wall: float, val: Any) -> dict[str, float]:
    tokens = max((float(e.get("num_tokens", 0.0)) for e in trainer.state.log_history), default=0.0)
    metrics = {
        "train_loss": float(train.get("train_loss", 0.0)),
        "train_seconds": wall,
        "train_tokens": tokens,
        "tokens_per_second": tokens / wall if wall > 0 else 0.0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if val:
        metrics["eval_loss"] = float(trainer.evaluate().get("eval_loss", 0.0))
    return metrics


def _step_of(checkpoint: str | None) -> int:
    match = re.search(r"checkpoint-(\d+)$", checkpoint or "")
    return int(match[1]) if match else 0
