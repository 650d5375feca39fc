"""The model card stored with every adapter version: what it is, what it was trained on, how it scored,
and how to serve it elsewhere (Ollama's ``ADAPTER``, vLLM's ``--lora-modules``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from luna.domain.finetune.config import FinetuneConfig
from luna.domain.finetune.registry import AdapterVersion


def model_card(adapter: AdapterVersion, config: FinetuneConfig, data: Mapping[str, Any]) -> str:
    checks = adapter.gates.get("checks", [])
    rows = "\n".join(
        f"| {c['gate']} | {_figure(c['value'])} | {c['threshold']:g} | {'ja' if c['passed'] else 'nein'} |"
        for c in checks
    )
    m = adapter.metrics
    return f"""# {adapter.label}

- Basismodell: `{adapter.base_model}`; Datensatz: `{adapter.dataset}`; Lauf: `{adapter.run_id}`
- LoRA: r={config.lora.r}, alpha={config.lora.alpha}, dropout={config.lora.dropout:g},
  Module {", ".join(config.lora.target_modules)}; Lernrate {config.training.learning_rate:g},
  {m.get("steps")} Schritte, Seed {config.training.seed}
- Daten: {data.get("used")} verwendet, {data.get("dropped_without_consent")} ohne Einwilligung verworfen,
  {data.get("dropped_as_leak")} Prüfbeispiele als Beinahe-Duplikat des Trainings verworfen
- Kennzahlen (Testteil, {m.get("test_examples")} Fragen): BLEU {_figure(m.get("bleu"))}
  (Basis {_figure(m.get("base_bleu"))}), ROUGE-L {_figure(m.get("rouge_l"))}
  (Basis {_figure(m.get("base_rouge_l"))}); Training {_figure(m.get("train_seconds"))} s,
  {_figure(m.get("tokens_per_second"))} Token/s

## Gates

| Gate | Wert | Schwelle | bestanden |
|---|---|---|---|
{rows}

## Bereitstellen

- Luna (llama.cpp): `luna finetune promote {adapter.name} {adapter.version}`; Luna lädt `adapter.gguf`
  zum Basis-GGUF (`chat.gguf_path`).
- Ollama (`Modelfile`):

  ```
  FROM <Basis-GGUF>
  ADAPTER ./adapter.gguf
  ```
- vLLM: `vllm serve <Basismodell-Ordner> --enable-lora`
  `--lora-modules {adapter.name}-v{adapter.version}=./adapter`
"""


def _figure(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, int | float) else "–"
