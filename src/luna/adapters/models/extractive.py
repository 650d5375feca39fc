"""Extractive answerer: Luna's offline default, because no German instruction model installs offline.

It answers only with sentences that stand in the retrieved context, so it cannot invent a tariff or a
kW limit: the question and the ``[chunk <id>]`` blocks are read back from the same chat messages a
generative model would get (:func:`~luna.domain.answers.parse_rag_messages`). Sentences are judged by
their meaning (the question-sentence cosine of the embedding model, when one is given) and by the
weighted share of the question's content words they contain, after casefolding and Snowball German
stemming; a stem that is the head or the modifier of a compound counts partly, since German glues
words together ("Netzentgelte" / "Entgelte … Netz"). How both weigh, for refusal and for the order
the sentences are read in, is :mod:`~luna.adapters.models.extractive_ranking`. Table rows compete as
statements that name their columns (:mod:`luna.domain.answer_tables`), and a question for a figure
("Was kostet …?") prefers a row or sentence that states an amount with its unit. The best sentences
are framed in Luna's voice from ``prompts/luna.yml``: a one-line summary (with the table it
introduces, by a colon or in words), the cited key points, and a Handlungsempfehlung only when a
source recommends an action, otherwise where to read on.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np

from luna.adapters.models.extractive_order import (
    Ranked,
    answers_for_questions,
    rows_move_together,
    table_order_among_tied_rows,
)
from luna.adapters.models.extractive_ranking import MeaningWeights, ReaderCheck, reading_order, sentence_score
from luna.adapters.models.extractive_sentences import (
    Sentence,
    chunk_sentences,
    cited,
    inlined,
    introduced_items,
    is_fragment,
    is_no_key_point,
    lead_ins,
    lead_table,
    list_opener,
    list_window,
    names_any,
    overlap,
    points_to_absent_table,
    section_sentences,
    was_said,
)
from luna.adapters.models.extractive_words import (
    WORD,
    GermanStemmer,
    contradicted,
    term_match,
    weighted_coverage,
)
from luna.domain.answer_sentences import ADVICE, CONTINUATION, DOCUMENT_DESCRIPTION
from luna.domain.answer_tables import FIGURE_QUESTION, without_tables_shown_before
from luna.domain.answers import (
    ChatMessage,
    ContextChunk,
    ExtractiveTexts,
    LunaPrompts,
    RagRequest,
    load_luna_prompts,
    parse_rag_messages,
)
from luna.domain.conversations import own_words
from luna.domain.evaluation import first_paragraph
from luna.domain.health import ComponentHealth, HealthStatus
from luna.domain.legal_references import names_an_absent_law
from luna.domain.quantity_ranges import band_fit, quantities
from luna.domain.question_types import REQUIREMENT_QUESTION, REQUIREMENT_STATED
from luna.domain.refusals import no_context_answer

_NEAR_DUPLICATE = 0.8
#: How much of a sentence's coverage comes from the question's nouns when it has any.
_NOUN_SHARE = 0.75
#: Sentences in the answer's first paragraph (fitted with the weights below: 0.43 vs 0.24 with one) …
_LEAD_SENTENCES = 2
#: … and one more when the first paragraph with it stays within this many characters: a short lead
#: has room for the sentence that so often holds the answer right after the second. Chosen on tune
#: by ``bench/lead_length.py`` (400 / 500 / 650); no view's median first paragraph grew (0 = never).
_LEAD_BUDGET_CHARS = 500
#: At most this many sentences are embedded per answer, each cut to this length (latency bound). The
#: judge reads a sentence after its whole section path (median 129 characters), so 600 cut 607 of the bench
#: corpus's 14,234 sentences (table rows aside); 900 states two more tune answers and changes no held-out one
#: (``bench/sentence_context.py --cut``).
_MAX_JUDGED_SENTENCES = 120
_MAX_JUDGED_CHARS = 900
#: The stemmer of :func:`judged_sentence_texts` (the refine job's, beside the answerers' own).
_STEMMER = GermanStemmer()


class SentenceEmbedder(Protocol):
    """The embedding model, for ranking sentences by meaning (e5 wants questions and passages apart)."""

    def embed_query(self, text: str) -> list[float]: ...

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]: ...


class RefinedMeaning(Protocol):
    """A stronger model's judgement of sentences it has read before (the refine leg's EmbeddingGemma)."""

    def sentence_cosines(self, question: str, texts: Sequence[str]) -> list[float] | None: ...


def judged_sentence_texts(chunk: ContextChunk) -> list[str]:
    """The texts the answerer judges the meaning of for ``chunk``'s sentences: what a model that judges
    them ahead of time (:class:`RefinedMeaning`) must have read."""
    return [s.meaning_text[:_MAX_JUDGED_CHARS] for s in chunk_sentences(chunk, 0, _STEMMER)]


class ExtractiveChatModel:
    """Answers from the context alone, in Luna's voice, streamed word by word."""

    def __init__(
        self,
        prompts: LunaPrompts | Callable[[], tuple[int, LunaPrompts]] | None = None,
        *,
        model_name: str = "luna-extractive",
        max_points: int = 4,
        min_coverage: float = 0.35,
        meaning: SentenceEmbedder | None = None,
        weights: MeaningWeights | None = None,
        reader: ReaderCheck | None = None,
        refined: Callable[[], RefinedMeaning | None] | None = None,
    ) -> None:
        """``min_coverage``: the share of the question's (idf-weighted) content words the best sentence
        must contain when only words judge (with ``meaning``, ``weights`` hold both thresholds); below
        it Luna says that the context does not answer the question. ``meaning`` ranks sentences by
        what they mean as well, so a paraphrased question ("Netznutzung" for "Netzentgelt") finds its
        sentence. ``prompts`` may be a callable (``luna.ports.prompts.ActivePrompts``): asked per answer.
        ``reader`` asks the answer reader before answering a question no sentence is close to in
        meaning (None: the thresholds alone decide). ``refined`` gives the stronger model that moves
        the reading order where it has read every judged sentence (asked per answer; None: e5 alone)."""
        self._prompts = prompts or load_luna_prompts()
        self._model_name = model_name
        self._max_points = max_points
        self._min_coverage = min_coverage
        self._meaning = meaning
        self._weights = weights or MeaningWeights()
        self._reader = reader
        self._refined = refined
        self._stemmer = GermanStemmer()

    @property
    def model_name(self) -> str:
        return self._model_name

    def warm_up(self) -> None:
        self._stemmer.content_stems("Aufwärmen")

    def stream(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        yield from re.findall(r"\s*\S+", self.answer(messages))

    def answers(self, question: str, chunks: Sequence[ContextChunk]) -> bool:
        """Whether some sentence of ``chunks`` answers ``question``: the refusal rule every answering
        model obeys (:class:`~luna.ports.chat.AnswerGate`)."""
        ranked = self._rank(question, chunks)
        return bool(ranked) and self._answers(question, ranked)

    def answer(self, messages: Sequence[ChatMessage]) -> str:
        """The whole answer at once (what :meth:`stream` sends piece by piece)."""
        prompts = self._prompts if isinstance(self._prompts, LunaPrompts) else self._prompts()[1]
        request = parse_rag_messages(prompts, messages)
        if not request.chunks:
            return no_context_answer(prompts, request.question)
        ranked = self._answering(request)
        if not ranked:
            titles = [chunk.title for chunk in request.chunks if chunk.title]
            passages = [(chunk.title, f"{chunk.section or ''} {chunk.text}") for chunk in request.chunks]
            return no_context_answer(prompts, request.question, titles, context_given=True, passages=passages)
        # What was said to another question is news to avoid; the same question asked again is not.
        said = [e.answer for e in request.history if e.answer and e.question != request.question]
        added = self._added_terms(request.question, [e.question for e in request.history])
        composed = self._compose(self._news_first(ranked, said, added), request.chunks, prompts.extractive)
        return without_tables_shown_before(composed, said)

    def health(self) -> ComponentHealth:
        started = time.perf_counter()
        try:
            self.warm_up()
        except Exception as exc:  # health never raises: it reports
            return ComponentHealth("chat", HealthStatus.DOWN, "extractive", detail=str(exc))
        return ComponentHealth(
            "chat",
            HealthStatus.UP,
            "extractive",
            latency_ms=(time.perf_counter() - started) * 1000,
            detail="answers with cited sentences from the retrieved context",
            extra={"model": self._model_name},
        )

    # -- ranking ---------------------------------------------------------------------------------------

    def _answering(self, request: RagRequest) -> list[Ranked]:
        """The sentences in reading order when one answers the question as searched or, for a
        follow-up, its own words ("Und im Niedriglastfenster?" after a question on the Hochlast
        window, whose joined words the row holds only half of); empty: none answers."""
        readings = [request.question]
        if request.history and (own := own_words(request.question, request.history[-1].question)):
            readings.append(own)
        for question in readings:
            ranked = self._rank(question, request.chunks)
            if ranked and self._answers(question, ranked):
                return ranked
        return []

    def _answers(self, question: str, ranked: Sequence[Ranked]) -> bool:
        """The best-scored sentence answers the question: by its words, or by its meaning when judged
        (the refusal thresholds were fitted on that sentence, not on the one that reads first), or the
        sentence that reads first holds the question's words (a price row "Grundförderung: Fördersatz
        30 %" for "Wie hoch ist die Grundförderung?", whose meaning e5 rates below a sentence on costs);
        and, where no sentence comes close in meaning, the answer reader agrees that one answers."""
        best = max(ranked, key=lambda r: r.score)
        if not (self._passes(best) or self._holds_words(ranked[0])):
            return False
        check = self._reader
        judged = [r.meaning for r in ranked if r.meaning is not None]
        # No cosine at all: a section read from its beginning ("Was regelt § 14a EnWG?"), or no judge.
        if check is None or not judged or max(judged) >= check.consult_below:
            return True
        if not check.judges(ranked[0].sentence.chunk.section):
            return True
        return check.agrees(question, [r.sentence.meaning_text[:_MAX_JUDGED_CHARS] for r in ranked])

    def _passes(self, sentence: Ranked) -> bool:
        """It answers by its words or, when judged, by its meaning."""
        meaning = sentence.meaning
        return self._holds_words(sentence) or (
            self._meaning is not None and meaning is not None and meaning >= self._weights.min_meaning
        )

    def _holds_words(self, sentence: Ranked) -> bool:
        threshold = self._min_coverage if self._meaning is None else self._weights.min_coverage
        return sentence.coverage >= threshold

    def _added_terms(self, question: str, asked: Sequence[str]) -> frozenset[str]:
        """The names a follow-up adds to the questions before it: its nouns and figures ("Gewerbe" in
        "… Und für Gewerbe?", "2025"), which say whom or what it is about now; its verbs ("Und was
        spare ich?") ask something new about the same thing, which a repeated sentence does not answer."""
        named = " ".join(w for w in WORD.findall(question) if w[:1].isupper() or any(c.isdigit() for c in w))
        before = {term for earlier in asked for term in self._stemmer.content_stems(earlier)}
        return frozenset(self._stemmer.content_stems(named)) - before

    def _news_first(
        self, ranked: Sequence[Ranked], said: Sequence[str], added: frozenset[str]
    ) -> list[Ranked]:
        """Sentences the conversation has not heard yet go first when one of them answers by itself: a
        follow-up answered with the previous answer's sentences tells the reader nothing new. When
        only what was said answers, it is said again rather than led by something that does not. A
        sentence that names what the follow-up adds (``added``) keeps its place though it was said:
        "Und für Gewerbe?" after an answer that quoted the trade row among others asks for that row."""
        is_heard = [was_said(r.sentence, said) and not names_any(r.sentence, added) for r in ranked]
        heard = [r for r, old in zip(ranked, is_heard, strict=True) if old]
        news = [r for r, old in zip(ranked, is_heard, strict=True) if not old]
        if not heard or not any(self._passes(r) for r in news):
            return list(ranked)
        return news + heard

    def _rank(self, question: str, chunks: Sequence[ContextChunk]) -> list[Ranked]:
        if names_an_absent_law(question, [chunk.title for chunk in chunks if chunk.title]):
            return []  # "§ 14a EStG" over the energy laws: nothing found answers it
        reading = section_sentences(question, chunks, self._stemmer)
        if reading:  # "Was regelt § 14a EnWG?": the section answers, from its beginning
            return [Ranked(s, 1.0, 1.0 - at / (2 * len(reading))) for at, s in enumerate(reading)]
        terms = list(dict.fromkeys(self._stemmer.content_stems(question)))
        nouns = set(
            self._stemmer.content_stems(" ".join(w for w in WORD.findall(question) if w[:1].isupper()))
        )
        sentences = [
            sentence
            for rank, chunk in enumerate(chunks)
            for sentence in chunk_sentences(chunk, rank, self._stemmer)
            if not points_to_absent_table(sentence, chunks)
        ]
        if not sentences or (not terms and self._meaning is None):
            return []
        weights = {term: self._idf(term, sentences) for term in terms}
        wants_figure = FIGURE_QUESTION.search(question) is not None
        wants_requirement = REQUIREMENT_QUESTION.search(question) is not None
        asked = quantities(question)
        polar = self._stemmer.with_and_without(question)
        cosines = self._cosines(question, sentences)
        shifts = self._refined_shifts(question, sentences, cosines)
        share = self._weights.meaning_share if self._meaning is not None else 0.0
        ranked = []
        for sentence, cosine, shift in zip(sentences, cosines, shifts, strict=True):
            opposite = (
                contradicted(polar, self._stemmer.with_and_without(sentence.text)) if any(polar) else ()
            )
            matches = {term: 0.0 if term in opposite else term_match(term, sentence.stems) for term in terms}
            coverage = weighted_coverage(matches, weights, terms)
            if nouns:
                # German nouns are capitalised and carry the topic; the question's verbs rarely recur.
                coverage = (
                    _NOUN_SHARE * weighted_coverage(matches, weights, nouns) + (1 - _NOUN_SHARE) * coverage
                )
            figure = wants_figure and sentence.has_figure
            score = sentence_score(coverage, cosine, sentence.chunk_rank, figure, share, self._weights)
            if score > 0:
                order = score
                if cosine is not None:
                    required = wants_requirement and REQUIREMENT_STATED.search(sentence.text) is not None
                    band = band_fit(sentence.text, asked) if asked else 0
                    order = shift + reading_order(
                        coverage, cosine, sentence.chunk_rank, figure, self._weights, required, band
                    )
                ranked.append(Ranked(sentence, coverage, score, cosine, order))
        ranked.sort(key=lambda r: (r.order, r.score), reverse=True)
        ranked = answers_for_questions(ranked)
        ranked = table_order_among_tied_rows(ranked, {s.key: at for at, s in enumerate(sentences)})
        # What the document covers ("Dieser Leitfaden erklärt, wie …") answers only when nothing else does.
        about_topic = [r for r in ranked if not DOCUMENT_DESCRIPTION.match(r.sentence.text)]
        return about_topic if any(self._passes(r) for r in about_topic) else ranked

    def _cosines(self, question: str, sentences: Sequence[Sentence]) -> list[float | None]:
        """Question-sentence cosines for the sentences of the best chunks (None for the rest)."""
        if self._meaning is None:
            return [None] * len(sentences)
        judged = [i for i, s in enumerate(sentences) if s.chunk_rank < self._weights.chunks][
            :_MAX_JUDGED_SENTENCES
        ]
        query = np.asarray(self._meaning.embed_query(question), dtype=np.float32)
        vectors = self._meaning.embed_passages(
            [sentences[i].meaning_text[:_MAX_JUDGED_CHARS] for i in judged]
        )
        cosines: list[float | None] = [None] * len(sentences)
        for index, vector in zip(judged, vectors, strict=True):
            cosines[index] = float(np.dot(np.asarray(vector, dtype=np.float32), query))
        return cosines

    def _refined_shifts(
        self, question: str, sentences: Sequence[Sentence], cosines: Sequence[float | None]
    ) -> list[float]:
        """How far the stronger model moves each judged sentence in the reading order, when it has read
        them all (else 0 for every sentence: a half-judged order would favour the sentences it knows)."""
        refined = self._refined() if self._refined is not None else None
        judged = [i for i, cosine in enumerate(cosines) if cosine is not None]
        weight = self._weights.refined_reading
        shifts = [0.0] * len(sentences)
        if refined is None or not judged or not weight:
            return shifts
        texts = [sentences[i].meaning_text[:_MAX_JUDGED_CHARS] for i in judged]
        found = refined.sentence_cosines(question, texts)
        if found is None:
            return shifts
        for index, better in zip(judged, found, strict=True):
            shifts[index] = weight * (better - (cosines[index] or 0.0))
        return rows_move_together(sentences, shifts)

    @staticmethod
    def _idf(term: str, sentences: Sequence[Sentence]) -> float:
        """Rarer terms weigh more; a term absent from the context weighs like one found once."""
        containing = max(1, sum(1 for s in sentences if term_match(term, s.stems) > 0))
        return math.log(1 + (len(sentences) + 1) / (containing + 0.5))

    def _select(self, ranked: Sequence[Ranked]) -> list[Sentence]:
        """The best sentence (after the one it refers back to, or the one that opens its list), the one
        that continues it, then others at least half as good; each once."""
        best = ranked[0]
        chosen = [*lead_ins(best.sentence), best.sentence]
        following = best.sentence.following
        if following is not None and CONTINUATION.match(following.text):
            chosen.append(following)
        for candidate in ranked[1:]:
            if len(chosen) >= self._max_points or candidate.score < best.score / 2:
                break
            if all(overlap(candidate.sentence, c) < _NEAR_DUPLICATE for c in chosen):
                chosen.append(candidate.sentence)
        return list({s.key: s for s in reversed(chosen)}.values())[::-1]

    # -- wording ---------------------------------------------------------------------------------------

    def _compose(
        self, ranked: Sequence[Ranked], chunks: Sequence[ContextChunk], texts: ExtractiveTexts
    ) -> str:
        """The answer with the two best sentences leading, or three where those fit the lead's budget. A
        third sentence only adds to the first paragraph: when two overrun the budget, three are not tried."""
        shorter = self._composed(ranked, chunks, texts, _LEAD_SENTENCES)
        if len(first_paragraph(shorter)) > _LEAD_BUDGET_CHARS:
            return shorter
        longer = self._composed(ranked, chunks, texts, _LEAD_SENTENCES + 1)
        return longer if len(first_paragraph(longer)) <= _LEAD_BUDGET_CHARS else shorter

    def _composed(
        self, ranked: Sequence[Ranked], chunks: Sequence[ContextChunk], texts: ExtractiveTexts, leading: int
    ) -> str:
        chosen = self._select(ranked)
        # The ``leading`` best sentences lead: the passage that answers often needs two (rule and figure).
        # A sentence that opens a list ("… folgende Pflichtangaben enthält:") leads with its items, as one
        # of them, and last: a line after a Markdown list would belong to its last item.
        group = next((s for s in chosen[:leading] if introduced_items(s)), None)
        items = [] if group is None else introduced_items(group)
        hidden = {s.key for s in (*items, *([group] if group else []))}
        rest = [s for s in chosen if s.key not in hidden]
        owed = leading - (group is not None)
        lead = [*rest[:owed], *([group] if group else [])] or chosen[:1]
        points = rest[owed:]
        lines = [texts.summary.format(sentence=" ".join(inlined(s, opens=s is group) for s in lead))]
        rank = {r.sentence.key: at for at, r in reversed(list(enumerate(ranked)))}
        lines += [
            "- …" if item is None else f"- {item.text.rstrip(',;. ')} [chunk {item.chunk.chunk_id}]"
            for item in list_window(items, rank)
        ]
        row = next((s for s in lead if s.is_row), None)
        table = row.chunk if row is not None else None if items else lead_table(lead, chunks)
        if row is not None:
            # A row comes with its whole table: the reader sees the other groups' figures too
            # ("Haushalt" or "Gewerbe"?) under the table's own headers.
            lines.append(row.chunk.text.strip())
        elif table is not None:
            lines += ["", table.text.strip(), f"[chunk {table.chunk_id}]"]
        if table is not None:  # its rows are shown: none is a key point again
            points = [p for p in points if p.chunk.chunk_id != table.chunk_id]
        # An item is quoted after the sentence that opens its list; that sentence alone says nothing more.
        opened = {opener.key for p in points if (opener := list_opener(p)) is not None}
        if shown := [p for p in points if p.key not in opened and not is_no_key_point(p)]:
            lines += ["", texts.key_points, *(f"- {inlined(p)}" for p in shown)]
        lines += ["", self._recommendation(chosen[0], [*lead, *points, *items], ranked, texts)]
        return "\n".join(lines)

    def _recommendation(
        self, best: Sentence, quoted: Sequence[Sentence], ranked: Sequence[Ranked], texts: ExtractiveTexts
    ) -> str:
        """An action the sources themselves recommend, when a relevant sentence names one; otherwise
        only where to read on (Luna invents no advice and repeats no aside). Advice fits the question
        only in a passage the answer already quotes: a "sollte" elsewhere is about something else."""
        used = {q.key for q in quoted}
        chunks = {q.chunk.chunk_id for q in quoted}
        for candidate in ranked:
            sentence = candidate.sentence
            fits = sentence.chunk.chunk_id in chunks and not is_fragment(sentence)
            if (
                sentence.key not in used
                and fits
                and not sentence.text.endswith("?")
                and ADVICE.search(sentence.text)
            ):
                return texts.recommendation_from_source.format(sentence=cited(candidate.sentence))
        chunk = best.chunk
        source = (
            texts.source_with_title.format(title=chunk.title) if chunk.title else texts.source_without_title
        )
        return texts.read_on.format(source=f"{source} [chunk {chunk.chunk_id}]")
