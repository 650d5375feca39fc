"""The composition root's fine-tuning part (issue #17): trainer, generator, tracker, registry, service.

Kept beside ``container.py`` and ``container_services.py`` (both near their size limit) and built on
first use like them: the training stack is imported only when a run, an evaluation or the registry is
asked for.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from luna.container_models import proper_name_tagger
from luna.ports.finetune import ExperimentTracker

if TYPE_CHECKING:
    from luna.container import Container
    from luna.ports.chat import ChatModel
    from luna.services.evaluation.evaluation import EvaluationService
    from luna.services.finetune.fallback import KpiFallback
    from luna.services.finetune.registry import AdapterRegistry
    from luna.services.finetune.reviews import ReviewService
    from luna.services.finetune.runs import FinetuneService


class FinetuneParts:
    def __init__(self, container: Container) -> None:
        self._c = container

    def tracker(self) -> ExperimentTracker:
        """A new tracker per run (a tracker holds its open run)."""
        from luna.adapters.finetune.mlflow_tracker import MlflowTracker, NoTracking

        s = self._c.settings
        if not s.finetune.tracking:
            return NoTracking()
        folder = s.data_dir / "mlflow"
        folder.mkdir(parents=True, exist_ok=True)
        uri = s.finetune.tracking_uri or f"sqlite:///{(folder / 'mlflow.db').resolve().as_posix()}"
        return MlflowTracker(uri, folder / "artifacts")

    @cached_property
    def kpi_fallback(self) -> KpiFallback:
        """Rolls the served adapter back when a watched KPI threshold turns critical (flywheel cycle)."""
        from luna.services.finetune.fallback import KpiFallback

        s = self._c.settings.finetune
        return KpiFallback(self.registry, s.serve_adapter, s.rollback_on_alerts)

    @cached_property
    def registry(self) -> AdapterRegistry:
        from luna.services.finetune.registry import AdapterRegistry

        c = self._c
        return AdapterRegistry(
            c.database, c.blobs, c.settings.data_dir / "finetune" / "serving", self.tracker
        )

    @cached_property
    def reviews(self) -> ReviewService:
        """The blind human review of adapter versions (votes in SQL, pairs from the blob store)."""
        from luna.services.finetune.reviews import ReviewService

        return ReviewService(self._c.database, self._c.blobs)

    @cached_property
    def service(self) -> FinetuneService:
        from luna.adapters.finetune.hf_generator import TransformersAnswerGenerator
        from luna.adapters.finetune.peft_trainer import PeftLoraTrainer
        from luna.services.finetune.chat_judge import ChatJudge
        from luna.services.finetune.regression import RegressionEvaluation
        from luna.services.finetune.runs import FinetuneBackends, FinetuneService, FinetuneServiceSettings
        from luna.settings.loader import default_config_dir

        c, s = self._c, self._c.settings
        config = s.finetune.config_file or default_config_dir() / "finetune" / "lora.yaml"
        settings = FinetuneServiceSettings(config, s.data_dir / "finetune")
        backends = FinetuneBackends(
            PeftLoraTrainer(),
            TransformersAnswerGenerator,
            self.tracker,
            c.alert_notifier,
            prompt_version=lambda: c.prompts.active()[0],
            judge=lambda: ChatJudge(c.chat) if c.settings.chat.kind in ("ollama", "openai") else None,
            regression=RegressionEvaluation(self._evaluation_for, s.data_dir),
        )
        return FinetuneService(c.database, c.blobs, backends, self.registry, settings)

    def _evaluation_for(self, chat: ChatModel) -> EvaluationService:
        """The evaluation core with ``chat`` writing Luna's answers: the same retrieval, answer gate,
        prompt version and checks as ``/rag/ask``, and runs kept beside ``luna eval``'s."""
        from luna.services.evaluation.evaluation import EvaluationService
        from luna.services.knowledge.answering import AnswerService

        c, s = self._c, self._c.settings
        kb = c.services.knowledge
        answers = AnswerService(
            kb.retrieval,
            chat,
            c.fallback_chat,
            c.prompts.active,
            min_dense_score=s.dense_score_floor,
            gate=c.answer_gate,
            home_country=s.recommend.country,
            names=proper_name_tagger() if s.rag.refuse_unknown_names else None,
            top_k=s.rag.top_k,
        )
        return EvaluationService(
            c.database,
            kb.retrieval,
            answers,
            s.data_dir / "eval" / "runs",
            lambda: {"embedder": c.embedder.model_name, "chat": chat.model_name, "finetune": True},
        )
