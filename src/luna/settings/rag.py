"""The ``rag`` section: retrieval, refusal and the answer reader (kept apart from ``model.py`` for size)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from luna.settings.section import Section

#: The cosine of multilingual-e5-small under which a chunk sharing no word with the question is no context.
E5_MIN_DENSE_SCORE = 0.86


class AnswerReaderSettings(Section):
    """The answer reader's second opinion on refusal (``adapters/models/onnx_reader.py``): where no
    retrieved sentence comes within ``consult_below`` in cosine, the reader reads the first
    ``candidates`` and Luna answers only if one scores ``min_score`` or more. Values chosen on the
    tune split by ``bench/answer_reader.py``; it costs a reading of up to 30 sentences per such question."""

    enabled: bool = False
    min_score: float = Field(default=0.08, ge=-50, le=50)
    consult_below: float = Field(default=0.89, ge=-1, le=1.01)
    candidates: int = Field(default=30, ge=1, le=120)
    precision: Literal["int8", "fp32"] = "int8"
    #: ``laws``: only answers that lead with a law's numbered section ("§ 41a …") are judged; the reader
    #: misjudges price-sheet rows and guides. ``all``: every answer.
    scope: Literal["laws", "all"] = "laws"


class RefineSettings(Section):
    """A second, stronger retriever that re-scores the fast legs' candidates
    (``services/knowledge/refine.py``): EmbeddingGemma in-process, its vectors added by a background
    job after a document is already searchable, so an upload takes no longer. A search uses it once
    every candidate has its vector; until then it runs on the fast legs alone. ``weight`` is its share
    in the weighted fusion beside ``dense_weight`` and ``lexical_weight``, chosen on the tune questions
    (``bench/refine_leg.py``; 4 until a re-run on a later index chose 6). ``threads`` bounds the job's
    CPU, so the server keeps a core to answer."""

    enabled: bool = False
    weight: float = Field(default=6.0, ge=0)
    #: How often the worker checks whether vectors are missing (and queues the job that adds them).
    catch_up_sec: float = Field(default=30.0, ge=1)
    threads: int = Field(default=1, ge=1, le=64)


class RagSettings(Section):
    collection: str = Field(default="chunks", pattern=r"^[a-z][a-z0-9_]{0,40}$")
    #: Chunks an answer reads when the request does not say (chosen on tune, ``bench/context_size.py``).
    top_k: int = Field(default=6, ge=1, le=50)
    candidates: int = Field(default=40, ge=5, le=500)
    fusion: Literal["rrf", "weighted"] = "weighted"
    rrf_k: int = Field(default=60, ge=1)
    dense_weight: float = Field(default=1.0, ge=0)
    lexical_weight: float = Field(default=1.0, ge=0)
    #: Unset: 0.86 with multilingual-e5-small (fitted on its cosines), no floor with another model,
    #: whose cosines live on another scale (the answer gate, which judges with e5-small, still refuses).
    min_dense_score: float | None = Field(default=None, ge=-1, le=1)
    ask_per_minute: int = Field(default=20, ge=1)
    search_per_minute: int = Field(default=120, ge=1)
    refuse_unknown_names: bool = True
    reader: AnswerReaderSettings = AnswerReaderSettings()
    refine: RefineSettings = RefineSettings()
