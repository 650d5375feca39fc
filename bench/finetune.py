"""A LoRA on SmolLM2-135M-Instruct from a Luna-answer dataset built by the pipeline, measured end to end.

    .venv/bin/python bench/finetune.py [--laws stromgvv.md,edl-g.md,stromstg.md,enefg.md]

A fresh data dir with the default profile ingests German law texts from ``shared/corpus/gesetze``
through Luna's real ingest; the ``documents-qa`` pipeline turns their passages into templated questions
answered from a cited passage (``config/pipelines/documents-qa.yaml``: 70/15/15 split by question, seed
42); ``luna finetune run`` with the packaged template (``config/finetune/lora.yaml``; the regression set's
documents folder added) converts the
SmolLM2 GGUF once, trains, exports the adapter for llama.cpp, evaluates candidate and base model on the
held-out test split and on a regression set (the team's golden questions about these laws from
``bench/questions_de.yaml`` plus five unanswerable ones, asked through Luna's answer path), judges the
gates and registers the version (MLflow tracking on).

Reported: wall time of each phase and of the whole run (data → train → eval → register; goal ≤ 20 min
on two cores), training tokens/s and peak RSS, and base vs fine-tuned on the test split: win-rate of
the reference judge, ROUGE-L, BLEU, citation validity, refusal correctness, canary and PII leaks.

The resume path: a second, small run (``max_steps`` 8) is cancelled after its fourth step (a checkpoint
every two steps), then resumed with ``--resume``: it must continue from step 4, not start over.
Results go to ``bench/out/finetune.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from corpus_container import corpus_container

from luna.container import Container
from luna.domain.errors import Conflict
from luna.services.knowledge.ingest import IngestRequest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
WORK = REPO / "bench" / "out" / "finetune"
LAWS = "stromgvv.md,edl-g.md,stromstg.md,enefg.md"


def progress_printer(label: str) -> Any:
    last = [""]

    def progress(fraction: float, message: str) -> None:
        if message != last[0]:
            last[0] = message
            print(f"  [{label}] {fraction:4.0%} {message}", flush=True)

    return progress


def write_regression_set(data_dir: Path, laws: list[str]) -> int:
    """The team's golden questions about the ingested laws and five it must refuse, where the template's
    ``regression_sets`` (``eval/golden``) finds them."""
    answerable = yaml.safe_load((REPO / "bench" / "questions_de.yaml").read_text("utf-8"))
    unanswerable = yaml.safe_load((REPO / "bench" / "unanswerable_de.yaml").read_text("utf-8"))
    chosen = [q for q in answerable if q.get("file") in laws] + unanswerable[:5]
    folder = data_dir / "eval" / "golden"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench-laws.yaml").write_text(yaml.safe_dump(chosen, allow_unicode=True), "utf-8")
    return len(chosen)


def resume_demo(container: Container, work: Path) -> dict[str, Any]:
    template = json.loads(json.dumps(container.finetune.service.config().model_dump()))
    template.update(name="resume-demo", promote="manual")
    template["training"].update(max_steps=8, save_every_steps=2)
    template["evaluation"].update(test_examples=4, max_new_tokens=48)
    path = work / "resume-demo.yaml"
    path.write_text(json.dumps(template), "utf-8")
    steps = {"seen": 0}

    def cancel_after_four(fraction: float, message: str) -> None:
        if message.startswith("Schritt "):
            steps["seen"] = int(message.split()[1].split("/")[0])

    started = time.perf_counter()
    stopped = container.finetune.service.run(
        "bench", cancel_after_four, lambda: steps["seen"] >= 4, config_file=path
    )
    resumed = container.finetune.service.run("bench", progress_printer("resume"), resume=stopped["run_id"])
    return {
        "stopped_at_step": stopped.get("steps"),
        "stop_reason": stopped.get("stopped"),
        "resumed_from_step": resumed["metrics"]["resumed_from_step"],
        "final_steps": resumed["metrics"]["steps"],
        "version": resumed["version"],
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laws", default=LAWS)
    parser.add_argument("--skip-resume", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    container = corpus_container(WORK / "var")
    figures: dict[str, Any] = {"command": "python bench/finetune.py " + " ".join(sys.argv[1:])}
    try:
        container.database.upgrade()
        started = time.perf_counter()
        for name in args.laws.split(","):
            with contextlib.suppress(Conflict):
                container.services.knowledge.ingest.ingest(
                    IngestRequest(
                        data=(SHARED / "corpus" / "gesetze" / name).read_bytes(),
                        filename=name,
                        kind="regulation",
                    )
                )
        figures["ingest_seconds"] = time.perf_counter() - started
        figures["regression_questions"] = write_regression_set(WORK / "var", args.laws.split(","))
        run_started = time.perf_counter()
        dataset = container.services.datasets.run("documents-qa")
        figures["dataset_seconds"] = time.perf_counter() - run_started
        figures["dataset"] = {
            "status": str(dataset.status),
            "records": dataset.report.get("records") if hasattr(dataset, "report") else None,
        }
        template = container.finetune.service.config().model_dump(mode="json")
        template["evaluation"]["regression_documents"] = str(SHARED / "corpus" / "gesetze")
        (WORK / "lora.yaml").write_text(json.dumps(template), "utf-8")  # the packaged one + the laws' folder
        result = container.finetune.service.run(
            "bench", progress_printer("run"), config_file=WORK / "lora.yaml"
        )
        figures["finetune_seconds"] = time.perf_counter() - run_started - figures["dataset_seconds"]
        figures["data_to_register_seconds"] = time.perf_counter() - run_started
        figures["result"] = result
        figures["process_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if not args.skip_resume:
            figures["resume"] = resume_demo(container, WORK)
    finally:
        container.close()
    out = REPO / "bench" / "out" / "finetune.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str), "utf-8")
    if figures["result"].get("stopped"):
        print("stopped:", figures["result"]["alert"])
        return
    m = figures["result"]["metrics"]
    print(
        json.dumps(
            {
                k: figures[k]
                for k in ("ingest_seconds", "dataset_seconds", "finetune_seconds", "data_to_register_seconds")
            },
            indent=1,
        )
    )
    for key in (
        "steps",
        "train_seconds",
        "train_tokens",
        "tokens_per_second",
        "peak_rss_mb",
        "train_loss",
        "eval_loss",
        "test_examples",
        "win_rate_vs_base",
        "rouge_l",
        "base_rouge_l",
        "bleu",
        "base_bleu",
        "citation_validity",
        "refusal_correctness",
        "canary_leaks",
        "pii_leaks",
        "regression_score",
        "regression_opponent_score",
    ):
        print(f"{key:>22}: {m.get(key)}")
    regression = m.get("regression", {})
    print("regression:", {k: v for k, v in regression.items() if k not in ("better", "worse")})
    print("gates passed:", figures["result"]["gates"]["passed"], "| data:", figures["result"]["data"])
    print("resume:", figures.get("resume"))


if __name__ == "__main__":
    main()
