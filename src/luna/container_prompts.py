"""The composition root's prompt part (seed 003 phase 6): the versioned prompts and the extractive
answerers that answer with the active version.

Kept beside ``container.py`` and ``container_services.py`` (both near their size limit) and built on
first use like them. Every answering path takes its prompts from :meth:`PromptParts.active` per
question: the answer service (through the knowledge base), the extractive answerer and the answer gate.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from luna.domain.answers import LunaPrompts

if TYPE_CHECKING:
    from luna.adapters.models.extractive import ExtractiveChatModel, RefinedMeaning
    from luna.adapters.models.extractive_ranking import ReaderCheck
    from luna.container import Container
    from luna.services.knowledge.prompt_versions import PromptVersionService


class PromptParts:
    def __init__(self, container: Container) -> None:
        self._c = container

    @cached_property
    def service(self) -> PromptVersionService:
        from luna.services.knowledge.prompt_versions import PromptVersionService

        return PromptVersionService(self._c.database)

    def active(self) -> tuple[int, LunaPrompts]:
        """The prompt version to answer the next question with (0: the packaged file), and its prompts."""
        return self.service.active()

    def extractive(self, **options: Any) -> ExtractiveChatModel:
        """An extractive answerer in the active version's words that judges meaning with the container's
        cached sentence embedder and, with ``rag.refine``, the refine leg's judgement of the order;
        ``options`` as :class:`ExtractiveChatModel` takes them (``model_name``)."""
        from luna.adapters.models.extractive import ExtractiveChatModel

        return ExtractiveChatModel(
            self.active,
            meaning=self._c.sentence_embedder,
            reader=self.reader_check,
            refined=self._refined if self._c.settings.refine_active else None,
            **options,
        )

    def _refined(self) -> RefinedMeaning | None:
        """The refine leg, judging the sentences its job has read (looked up when an answer is made:
        the knowledge base that holds it is built with the answerer)."""
        return self._c.services.knowledge.refine

    @cached_property
    def reader_check(self) -> ReaderCheck | None:
        """The answer reader's second opinion on refusal when ``rag.reader.enabled`` (None: off)."""
        settings = self._c.settings.rag.reader
        if not settings.enabled:
            return None
        from luna.adapters.models.extractive_ranking import ReaderCheck
        from luna.adapters.models.onnx_reader import OnnxAnswerReader

        reader = OnnxAnswerReader(self._c.settings.model_cache_dir, precision=settings.precision)
        return ReaderCheck(
            reader, settings.min_score, settings.consult_below, settings.candidates, settings.scope == "laws"
        )
