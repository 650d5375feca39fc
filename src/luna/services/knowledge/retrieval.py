"""Hybrid retrieval: dense (e5 vectors) and lexical (German BM25) candidates, fused, read back from SQL.

Each leg fetches ``rag.candidates`` hits with the same filters; the fused list is then checked against
SQL, which drops whatever is not part of the searchable knowledge base any more (archived chunks, items
still pending, points left behind by a crash) and supplies the text and item fields of the payload. So a
search never shows a chunk that SQL does not vouch for.

In hybrid mode the learning loop's scores, read in the same unit of work for the candidates only, add a
bounded boost to the weighted fusion's score (``learning.boost_max`` of its largest score) or break exact
ties of reciprocal rank fusion (see :mod:`luna.domain.learning.boost` for why). The single-leg modes
exist for comparisons and stay unboosted.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from luna.domain.conversations import MAX_QUESTION_CHARS as MAX_QUESTION_CHARS
from luna.domain.errors import InvalidInput, field_problem
from luna.domain.fusion import in_order, rrf, ties_to, weighted_score_fusion
from luna.domain.german_text import GermanAnalyzer
from luna.domain.items import FILTERABLE_CHUNK_FIELDS, INTEGER_CHUNK_FIELDS, Item, ItemStatus
from luna.domain.learning.boost import Boosted, boost_strength, break_ties, fusion_scale, rerank
from luna.domain.legal_references import (
    asks_what_section_says,
    opens_paragraph,
    paragraph_asked,
    referenced,
    sections_asked,
)
from luna.domain.proper_names import name_parts
from luna.domain.scores import ScoreTarget
from luna.domain.storable import shows_something
from luna.ports.sql import Database, UnitOfWork
from luna.ports.vectors import PayloadFilter, VectorIndex
from luna.services.knowledge.indexing import CachedEmbedder, LexicalMirror, VectorCollections, chunk_payload
from luna.services.knowledge.refine import RefineLeg

SearchMode = Literal["hybrid", "dense", "lexical"]
FusionMethod = Literal["rrf", "weighted"]

#: How many chunks that mention a section number are read to find those of the section itself.
_SECTION_CANDIDATES = 200
#: The named section's weight, in multiples of both legs' together: enough to come first in either fusion.
_SECTION_WEIGHT = 2.0
MAX_TOP_K = 50
_MAX_FILTER_VALUES = 100
_MAX_FILTER_TEXT = 2000
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, slots=True)
class Citation:
    """One search hit: ``score`` is the fused score plus ``boost`` (hybrid) or the leg's own score."""

    chunk_id: str
    score: float
    payload: dict[str, Any]
    dense_score: float | None = None
    lexical_score: float | None = None
    boost: float = 0.0
    #: The chunk is part of a law section the question names ("Was regelt § 14a EnWG?").
    named_section: bool = False


@dataclass(frozen=True, slots=True)
class SearchResult:
    citations: list[Citation]
    #: Best cosine similarity of any dense candidate: how close the knowledge base came at all.
    best_dense_score: float | None = None
    #: Titles of items near the question, for Luna's "ask me about …" when nothing answers it.
    nearby_titles: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RetrievalSettings:
    candidates: int = 40
    fusion: FusionMethod = "weighted"
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    boost_enabled: bool = False
    #: Largest boost as a share of the fusion method's largest score.
    boost_max: float = 0.0
    #: The learning job's prior quality: only quality above it earns a boost.
    quality_prior_mean: float = 0.5


class BoostSource(Protocol):
    """Boost strengths in [0, 1] of the given chunks; chunks left out get none."""

    def strengths(self, uow: UnitOfWork, chunk_ids: Sequence[str]) -> Mapping[str, float]: ...


class LearnedBoosts:
    """Strengths from the newest score version, read for the candidates of one search.

    The newest version's number is cached for ``ttl_sec`` (a new version shows up in searches within
    that time; :meth:`invalidate` makes it immediate), so a search costs one indexed lookup of its
    candidates' scores.
    """

    def __init__(
        self, prior_mean: float, *, ttl_sec: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._prior_mean = prior_mean
        self._ttl_sec = ttl_sec
        self._clock = clock
        self._lock = threading.Lock()
        self._version: int | None = None
        self._read_at = -math.inf

    def strengths(self, uow: UnitOfWork, chunk_ids: Sequence[str]) -> dict[str, float]:
        version = self._newest(uow)
        if version is None or not chunk_ids:
            return {}
        scores = uow.scores.get_many(ScoreTarget.CHUNK, chunk_ids, version=version)
        return {
            chunk_id: boost_strength(score.popularity, score.quality, self._prior_mean)
            for chunk_id, score in scores.items()
        }

    def invalidate(self) -> None:
        with self._lock:
            self._read_at = -math.inf

    def _newest(self, uow: UnitOfWork) -> int | None:
        with self._lock:
            if self._clock() - self._read_at < self._ttl_sec:
                return self._version
        latest = uow.scores.latest_version()
        with self._lock:
            self._version = latest.version if latest is not None else None
            self._read_at = self._clock()
            return self._version


def validate_filters(filters: Mapping[str, Any] | None) -> PayloadFilter:
    """Seed ``filters``: payload key → value or list of values (any of them); tags match by membership.

    Each value must have its field's type (an integer the 64 bits of the stores hold, or a text): a
    float, a boolean or a list of mixed types would match nothing, or fail inside the vector store.
    """
    if not filters:
        return {}
    if not isinstance(filters, Mapping):
        raise InvalidInput("filters must be an object of payload key → value or list of values.")
    checked: dict[str, Any] = {}
    for key, value in filters.items():
        if not isinstance(key, str) or key not in FILTERABLE_CHUNK_FIELDS:
            fields = ", ".join(sorted(FILTERABLE_CHUNK_FIELDS))
            raise InvalidInput(f"Filter key {str(key)[:70]!r} is not a filterable field ({fields}).")
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > _MAX_FILTER_VALUES:
            raise InvalidInput(f"Filter {key!r} needs 1 to {_MAX_FILTER_VALUES} values.")
        for single in values:
            _check_filter_value(key, single)
        checked[key] = list(values) if isinstance(value, list) else value
    return checked


def _check_filter_value(key: str, value: Any) -> None:
    if key in INTEGER_CHUNK_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int) or not _INT64_MIN <= value <= _INT64_MAX:
            raise InvalidInput(
                f"Filter {key!r}: values must be whole numbers (64-bit); got {str(value)[:40]!r}."
            )
    elif not isinstance(value, str) or len(value) > _MAX_FILTER_TEXT:
        raise InvalidInput(
            f"Filter {key!r}: values must be texts of at most {_MAX_FILTER_TEXT} characters; "
            f"got {str(value)[:40]!r}."
        )


class RetrievalService:
    def __init__(
        self,
        database: Database,
        vectors: VectorIndex,
        embedder: CachedEmbedder,
        collections: VectorCollections,
        lexical: LexicalMirror,
        settings: RetrievalSettings,
        boosts: BoostSource | None = None,
        refine: RefineLeg | None = None,
    ) -> None:
        """``boosts`` defaults to the learned scores when ``settings.boost_enabled``, else none;
        ``refine`` re-scores a hybrid search's candidates with a stronger model once it has them all."""
        self._refine = refine
        self._database = database
        self._vectors = vectors
        self._embedder = embedder
        self._collections = collections
        self._lexical = lexical
        self._settings = settings
        self._analyzer = GermanAnalyzer()
        if boosts is None and settings.boost_enabled:
            boosts = LearnedBoosts(settings.quality_prior_mean)
        self.boosts = boosts

    def search(
        self,
        question: str,
        top_k: int = 6,
        filters: Mapping[str, Any] | None = None,
        *,
        mode: SearchMode = "hybrid",
        fusion: FusionMethod | None = None,
    ) -> SearchResult:
        question = question.strip()
        if not shows_something(question):
            raise InvalidInput(
                "The question is empty.", details=field_problem("question", "shows no character")
            )
        if len(question) > MAX_QUESTION_CHARS:
            raise InvalidInput(f"The question may have at most {MAX_QUESTION_CHARS} characters.")
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidInput(f"top_k must be between 1 and {MAX_TOP_K}.")
        where = validate_filters(filters) or None
        wanted = max(self._settings.candidates, top_k * 3)
        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            vector = self._embedder.embed_query(self.meaning_query(question))
            hits = self._vectors.search(self._collections.active(), vector, wanted, where)
            dense = [(hit.point_id, hit.score) for hit in hits]
        if mode in ("hybrid", "lexical"):
            self._lexical.ensure_fresh()
            lexical = [
                (hit.chunk_id, hit.score) for hit in self._lexical.index.search(question, wanted, where)
            ]
        method = fusion or self._settings.fusion
        named, from_its_beginning = self._named_section(question, where) if mode == "hybrid" else ([], False)
        refined = self._refined(question, dense, lexical) if mode == "hybrid" else []
        ranked = self._fuse(dense, lexical, method, named, refined) if mode == "hybrid" else dense or lexical
        if from_its_beginning:
            ranked = in_order(ranked, [chunk_id for chunk_id, _ in named])
        boosted = self.boosts is not None and self._settings.boost_max > 0 and mode == "hybrid"
        citations, titles = self._hydrate(
            ranked, top_k, dict(dense), dict(lexical), method if boosted else None, {cid for cid, _ in named}
        )
        return SearchResult(
            citations=citations,
            best_dense_score=max((score for _, score in dense), default=None),
            nearby_titles=titles,
        )

    def unknown_names(self, names: Sequence[str], laws: Sequence[str] = ()) -> list[str]:
        """The ``names`` no indexed document holds, in any of its parts ("Basel-Stadt": "Basel" and
        "Stadt"), then the ``laws`` none holds as one word ("EU-F-Gase-Verordnung"): whoever asks about
        them asks about something the knowledge base does not know."""
        self._lexical.ensure_fresh()
        index = self._lexical.index
        unknown = [name for name in names if not all(index.holds_word(part) for part in name_parts(name))]
        return unknown + [law for law in laws if not index.holds_word(law)]

    def speaks_of(self, word: str) -> bool:
        """Some indexed document holds ``word`` or a compound that ends in it ("Einkommensbonus")."""
        self._lexical.ensure_fresh()
        return self._lexical.index.holds_head(word)

    def meaning_query(self, question: str) -> str:
        """The question as the dense leg embeds it: with the statutes' terms for its everyday words in
        brackets ("Wie groß darf ein Balkonkraftwerk sein? (Steckersolargerät)"). Measured in
        ``bench/everyday_synonyms.py --dense``; the lexical leg matches them through the analyzer."""
        terms = self._analyzer.statute_terms(question)
        asked = f"{question} ({', '.join(terms)})" if terms else question
        # A question near the length limit is searched as it came: the terms must not make it too long.
        return asked if len(asked) <= MAX_QUESTION_CHARS else question

    def _named_section(
        self, question: str, where: PayloadFilter | None
    ) -> tuple[list[tuple[str, float]], bool]:
        """The chunks of the law section ``question`` names ("Was regelt § 14a EnWG?"), as a result list
        of their own, and whether the question asks what the section says (then they are listed in the
        law's order, to be read from the beginning). Found as every chunk whose indexed text holds the
        number (its section heading does), kept where SQL says that its section is the one named, of
        the law named (:mod:`~luna.domain.legal_references`)."""
        numbers = sections_asked(question)
        if not numbers:
            return [], False
        query = " ".join(f"§ {number}" for number in numbers)
        hits = self._lexical.index.search(query, _SECTION_CANDIDATES, where)
        with self._database.unit_of_work(read_only=True) as uow:
            chunks = {chunk.chunk_id: chunk for chunk in uow.chunks.get_many([hit.chunk_id for hit in hits])}
            items = {item_id: uow.items.get(item_id) for item_id in {c.item_id for c in chunks.values()}}
        places = {}
        for hit in hits:
            chunk = chunks.get(hit.chunk_id)
            item = items.get(chunk.item_id) if chunk is not None else None
            if chunk is not None and item is not None:
                places[hit.chunk_id] = (item.title, chunk.metadata.get("section"), chunk.chunk_idx)
        named = referenced(question, [(cid, title, section) for cid, (title, section, _) in places.items()])
        if not named:
            return [], False
        title, section, _ = places[named[0]]
        if asks_what_section_says(question, title, section):
            paragraph = paragraph_asked(question)  # "§ 41 Abs. 3 EnWG": read from that paragraph on
            named.sort(
                key=lambda cid: (
                    not (paragraph and opens_paragraph(chunks[cid].text, paragraph)),
                    places[cid][2],
                )
            )
            return [(cid, 1.0) for cid in named], True
        return [(cid, 1.0) for cid in named], False

    def _refined(
        self, question: str, dense: Sequence[tuple[str, float]], lexical: Sequence[tuple[str, float]]
    ) -> list[tuple[str, float]]:
        """The refine leg's cosines for every candidate of both legs, best first; empty without it."""
        if self._refine is None or self._refine.weight == 0:
            return []
        scores = self._refine.scores(self.meaning_query(question), [cid for cid, _ in [*dense, *lexical]])
        return sorted((scores or {}).items(), key=lambda pair: -pair[1])

    def _fuse(
        self,
        dense: Sequence[tuple[str, float]],
        lexical: Sequence[tuple[str, float]],
        method: FusionMethod,
        named: Sequence[tuple[str, float]] = (),
        refined: Sequence[tuple[str, float]] = (),
    ) -> list[tuple[str, float]]:
        """The legs fused (the refine leg's list too when it has one); the chunks of a section the
        question names (``named``) come first, as a list that outweighs the legs together (among
        themselves, the legs order them)."""
        lists, legs = [dense, lexical], [self._settings.dense_weight, self._settings.lexical_weight]
        if refined and self._refine is not None:
            lists, legs = [*lists, refined], [*legs, self._refine.weight]
        lists, weights = [*lists, named], [*legs, _SECTION_WEIGHT * sum(legs)]
        if method == "rrf":
            fused = rrf(lists, k=self._settings.rrf_k, weights=weights)
        else:
            fused = weighted_score_fusion(lists, weights)
        # Meaning settles a tie (the best chunk of each leg both fuse to the top score), not a random ID.
        return ties_to(fused, dict(dense))

    def _learned_order(
        self, uow: UnitOfWork, ranked: Sequence[tuple[str, float]], boost: FusionMethod | None
    ) -> list[Boosted]:
        """The fused ranking after the learned scores: boosted (weighted), tie-broken (RRF) or as it is."""
        if boost is None or self.boosts is None:
            return [Boosted(chunk_id, score, 0.0) for chunk_id, score in ranked]
        strengths = self.boosts.strengths(uow, [chunk_id for chunk_id, _ in ranked])
        if boost == "rrf":
            return break_ties(ranked, strengths)
        s = self._settings
        amount = s.boost_max * fusion_scale(boost, s.dense_weight, s.lexical_weight, s.rrf_k)
        return rerank(ranked, strengths, amount)

    def _hydrate(
        self,
        ranked: Sequence[tuple[str, float]],
        top_k: int,
        dense: Mapping[str, float],
        lexical: Mapping[str, float],
        boost: FusionMethod | None,
        named: Set[str] = frozenset(),
    ) -> tuple[list[Citation], list[str]]:
        """The best ``top_k`` hits SQL confirms, with text and item fields as payload; ``boost`` names the
        fusion whose ranking the learned scores adjust (None: leave it)."""
        citations: list[Citation] = []
        titles: list[str] = []
        items: dict[str, Item | None] = {}
        with self._database.unit_of_work(read_only=True) as uow:
            chunks = {chunk.chunk_id: chunk for chunk in uow.chunks.get_many([cid for cid, _ in ranked])}
            for hit in self._learned_order(uow, ranked, boost):
                chunk_id = hit.chunk_id
                chunk = chunks.get(chunk_id)
                if chunk is None or chunk.archived:
                    continue
                if chunk.item_id not in items:
                    items[chunk.item_id] = uow.items.get(chunk.item_id)
                item = items[chunk.item_id]
                if item is None or item.status != ItemStatus.INDEXED:
                    continue
                if item.title and item.title not in titles:
                    titles.append(item.title)
                payload = {**chunk_payload(item, chunk), "text": chunk.text}
                scores = (dense.get(chunk_id), lexical.get(chunk_id))
                citations.append(
                    Citation(chunk_id, hit.score, payload, *scores, hit.boost, chunk_id in named)
                )
                if len(citations) == top_k:
                    break
        return citations, titles
