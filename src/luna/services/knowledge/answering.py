"""Luna's answers: retrieve, decide whether the context answers anything, stream, check, cite.

The answer streams as events: ``token`` pieces (invented ``[chunk …]`` markers are filtered out while
streaming), then ``citations`` (the chunks the answer cites, with payload), then ``done`` (the full
checked answer, the chunk IDs used as context and any figure no cited chunk contains). When the
configured model fails before its first token, the extractive answerer takes over, so a question is
never left without an answer because a model server is down; the ``done`` event names the model that
answered.

An answer that cites nothing (a refusal) ends with up to two questions Luna can answer instead, about
the places of the knowledge base nearest to the question; each is offered only after a search for it
found its own document (``Answer.follow_ups``, clickable in the dashboard). A question refused because
it is set in another country is first offered for the readers' own, when the refusal rule lets the
knowledge base answer that one.

An ``appendix`` (the customer's own energy advice, "Handlungsempfehlung", built by the caller from their
meter data) streams after the model's text and ends the answer. It is added after the answer is
checked: its figures come from the meter, not from the cited chunks, so they are neither checked
against the chunks nor able to invent a citation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from luna.domain.answers import (
    ContextChunk,
    Exchange,
    LunaPrompts,
    build_rag_messages,
    check_answer,
    filter_citations,
)
from luna.domain.asked_actions import actions_not_found
from luna.domain.asked_years import years_not_found
from luna.domain.conversations import own_words, retrieval_question
from luna.domain.document_country import IN_COUNTRY, asked_at_home, uncovered_countries
from luna.domain.errors import Unavailable
from luna.domain.privacy import redact
from luna.domain.proper_names import firm_names, firms_not_found, law_names, names_to_look_up
from luna.domain.refusals import Passage, follow_up_candidates, follow_up_paragraph, no_context_answer
from luna.domain.small_talk import small_talk_reply
from luna.ports.chat import AnswerGate, ChatModel
from luna.ports.names import ProperNames
from luna.ports.prompts import ActivePrompts
from luna.services.knowledge.retrieval import Citation, RetrievalService, SearchResult

logger = logging.getLogger(__name__)

EventKind = Literal["token", "citations", "done"]

#: At most this many follow-up questions are offered with a refusal ...
MAX_FOLLOW_UPS = 2
#: ... out of this many candidates, each costing one search.
_FOLLOW_UP_CANDIDATES = 4
_FOLLOW_UP_CHECK_TOP_K = 3


@dataclass(frozen=True, slots=True)
class AnswerEvent:
    kind: EventKind
    data: Any


@dataclass(frozen=True, slots=True)
class Answer:
    answer: str
    chunks_used: list[str]
    citations: list[Citation]
    model: str
    unsupported_numbers: list[str] = field(default_factory=list)
    fallback_reason: str | None = None
    #: Questions offered instead when the answer cites nothing; a search answered each of them.
    follow_ups: list[str] = field(default_factory=list)
    #: The stored conversation this answer is a turn of (None when it was not kept).
    conversation_id: str | None = None
    #: The prompt version it was answered with (0: the packaged file; None: fixed prompts were given).
    prompt_version: int | None = None


def _context(citations: Sequence[Citation]) -> list[ContextChunk]:
    return [
        ContextChunk(
            chunk_id=c.chunk_id,
            text=str(c.payload.get("text", "")),
            title=c.payload.get("title"),
            section=c.payload.get("section"),
        )
        for c in citations
    ]


def _texts(chunks: Sequence[ContextChunk]) -> list[str]:
    """Each passage as a reader finds a country or a year in it: title, section and text."""
    return [f"{c.title or ''} {c.section or ''} {c.text}" for c in chunks]


class AnswerService:
    def __init__(
        self,
        retrieval: RetrievalService,
        chat: ChatModel,
        fallback: ChatModel,
        prompts: LunaPrompts | ActivePrompts,
        *,
        min_dense_score: float,
        gate: AnswerGate | None = None,
        home_country: str | None = None,
        names: ProperNames | None = None,
        top_k: int = 6,
    ) -> None:
        """``gate`` judges whether the context answers the question before ``chat`` sees it (the
        extractive answerer's rule), so a generating model refuses exactly when the extractive one
        would; a ``chat`` that is the gate itself is not asked twice. ``prompts`` may be the active
        version's source (:data:`~luna.ports.prompts.ActivePrompts`), asked once per question.
        ``home_country``: the readers' country; a question about another one that no passage of the
        context mentions is refused (None: no regard to country). ``names`` finds the proper names of a
        question; one that no document holds ("Viessmann", "Basel") makes Luna refuse (None: no such
        check; ``bench/absent_names.py``). ``top_k``: the chunks an answer reads when the caller does
        not say (``rag.top_k``; ``bench/context_size.py``)."""
        self._retrieval = retrieval
        self._chat = chat
        self._fallback = fallback
        self._prompts: Callable[[], tuple[int | None, LunaPrompts]] = (
            _fixed(prompts) if isinstance(prompts, LunaPrompts) else prompts
        )
        self._min_dense_score = min_dense_score
        self._gate = None if gate is None or id(gate) == id(chat) else gate
        #: The refusal rule itself, also when ``chat`` is the gate (a question offered instead is judged).
        self._judge = gate
        self._home_country = home_country
        self._names = names
        self._top_k = top_k

    def relevant(self, result: SearchResult) -> list[Citation]:
        """The hits worth answering from: close enough in meaning, sharing words with the question, or
        of the law section it names."""
        return [
            c
            for c in result.citations
            if c.named_section
            or c.lexical_score is not None
            or (c.dense_score or -1.0) >= self._min_dense_score
        ]

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Mapping[str, Any] | None = None,
        *,
        appendix: str = "",
    ) -> Answer:
        """The whole answer at once (the stream, collected)."""
        final: Answer | None = None
        for event in self.stream(question, top_k, filters, appendix=appendix):
            if event.kind == "done":
                final = event.data
        assert final is not None  # stream always ends with "done"
        return final

    def stream(
        self,
        question: str,
        top_k: int | None = None,
        filters: Mapping[str, Any] | None = None,
        *,
        appendix: str = "",
        earlier: Sequence[Exchange] = (),
    ) -> Iterator[AnswerEvent]:
        """The answer's events; the ``earlier`` exchanges of the conversation give a follow-up its
        topic (for retrieval) and tell the model what it has already said. ``top_k`` None: the
        service's own. A greeting alone is answered without a search (``domain/small_talk.py``)."""
        active = self._prompts()
        if (reply := small_talk_reply(question, active[1].small_talk)) is not None:
            return _said(reply + appendix, self._fallback.model_name, active[0])
        top_k = self._top_k if top_k is None else top_k
        return self._searched(question, top_k, filters, appendix, earlier, active)

    def _searched(
        self,
        question: str,
        top_k: int,
        filters: Mapping[str, Any] | None,
        appendix: str,
        earlier: Sequence[Exchange],
        active: tuple[int | None, LunaPrompts],
    ) -> Iterator[AnswerEvent]:
        version, prompts = active
        asked = question
        resolved = retrieval_question(question, [exchange.question for exchange in earlier])
        question = self.asked_as(resolved)
        result = self._retrieval.search(question, top_k, filters)
        context = self.relevant(result)
        chunks = _context(context)
        elsewhere = self._elsewhere(question, chunks)
        # This turn's names only: a follow-up ("Und allgemein?") drops the firm an earlier turn named.
        unknown = [] if elsewhere or not context else self._unknown_names(asked, chunks)
        years = [] if elsewhere or unknown or not context else years_not_found(asked, _texts(chunks))
        settled = bool(elsewhere or unknown or years) or not context  # a reason to refuse is known
        actions = [] if settled else actions_not_found(asked, _texts(chunks))
        if settled or actions or not self._gate_passes(question, chunks, earlier):
            at_home = self._at_home(asked, elsewhere, top_k, filters) if elsewhere else None
            yield from self._refusal(
                resolved,
                result,
                filters,
                appendix,
                (version, prompts),
                elsewhere,
                at_home,
                unknown,
                years,
                actions,
            )
            return
        messages = build_rag_messages(prompts, question, chunks, earlier)
        ids = [c.chunk_id for c in context]
        pieces: list[str] = []
        model = self._chat
        fallback_reason: str | None = None
        try:
            for piece in filter_citations(self._chat.stream(messages), ids):
                pieces.append(piece)
                yield AnswerEvent("token", piece)
        except Unavailable as error:
            if pieces:
                raise
            fallback_reason = f"{self._chat.model_name}: {error.message}"
            logger.warning("chat model failed, answering extractively: %s", fallback_reason)
            model = self._fallback
            for piece in filter_citations(self._fallback.stream(messages), ids):
                pieces.append(piece)
                yield AnswerEvent("token", piece)
        checked = check_answer("".join(pieces), chunks)
        follow_ups = [] if checked.cited else self._follow_ups(prompts, result.citations, filters)
        offered = follow_up_paragraph(prompts, follow_ups)
        for closing in (offered, appendix):  # the advice stays the last token of its own
            if closing:
                yield AnswerEvent("token", closing)
        cited = [c for c in context if c.chunk_id in checked.cited]
        yield AnswerEvent("citations", cited)
        yield AnswerEvent(
            "done",
            Answer(
                answer=checked.text + offered + appendix,
                chunks_used=ids,
                citations=cited,
                model=model.model_name,
                unsupported_numbers=list(checked.unsupported_numbers),
                fallback_reason=fallback_reason,
                follow_ups=follow_ups,
                prompt_version=version,
            ),
        )

    def asked_as(self, question: str) -> str:
        """The question as it is searched, judged and put to the model: with the statute's terms for
        its everyday words ("… Balkonkraftwerk … (Steckersolargerät)"; ``bench/everyday_synonyms.py
        --asked``). A refusal still names the words the reader used."""
        return self._retrieval.meaning_query(question)

    def _gate_passes(
        self, question: str, chunks: Sequence[ContextChunk], earlier: Sequence[Exchange]
    ) -> bool:
        """Some passage answers the question as searched or, for a follow-up, its own words: the
        answering model reads both (``domain.conversations.own_words``)."""
        if self._gate is None or self._gate.answers(question, chunks):
            return True
        own = own_words(question, earlier[-1].question) if earlier else None
        return own is not None and self._gate.answers(own, chunks)

    def _elsewhere(self, question: str, chunks: Sequence[ContextChunk]) -> list[str]:
        """The countries other than the readers' that the question is set in and no passage mentions
        (empty: the question is not set elsewhere, or the passages cover where it is)."""
        home = self._home_country
        if home is None:
            return []
        return sorted(uncovered_countries(question, _texts(chunks), home))

    def _unknown_names(self, question: str, chunks: Sequence[ContextChunk]) -> list[str]:
        """The proper names (personal data left out) and the laws ``question`` names that no document
        holds, neither as written nor, for an inflected noun, in its base form; then the utilities it
        names ("Stadtwerke München") that none of the ``chunks`` read names as such."""
        if self._names is None:
            return []
        asked = redact(question)
        tagged = self._names.names(asked)
        names = names_to_look_up(tagged, asked)
        unknown = [
            n for n in self._retrieval.unknown_names(names) if not self._inflected_known(self._names, n)
        ]
        firms = [firm for firm in firm_names(asked, tagged) if not set(firm.split()) & set(unknown)]
        laws = self._retrieval.unknown_names([], law_names(question))
        return unknown + firms_not_found(firms, _texts(chunks)) + laws

    def _inflected_known(self, tagger: ProperNames, name: str) -> bool:
        """Whether ``name`` is an inflected noun (its base form differs: "Boni" → "Bonus") that the
        documents speak of, if only in compounds ("Einkommensbonus")."""
        base = tagger.base_form(name)
        return base != name and self._retrieval.speaks_of(base)

    def _named(self, countries: Sequence[str]) -> tuple[str, str] | None:
        """The readers' country and ``countries`` as "in …" names them (None: no countries)."""
        if not countries:
            return None
        home = self._home_country or ""
        return IN_COUNTRY.get(home, home), " und ".join(IN_COUNTRY.get(c, c) for c in countries)

    def _at_home(
        self, question: str, countries: Sequence[str], top_k: int, filters: Mapping[str, Any] | None
    ) -> tuple[str, SearchResult] | None:
        """The customer's own ``question`` asked for the readers' country, with its search, when it
        stands on its own and the knowledge base answers it by the same refusal rule; else None."""
        home_question = asked_at_home(question, countries)
        if home_question is None:
            return None
        result = self._retrieval.search(home_question, top_k, filters)
        chunks = _context(self.relevant(result))  # the home question names no country: nothing is abroad
        if not chunks or (self._judge is not None and not self._judge.answers(home_question, chunks)):
            return None
        return home_question, result

    def _refusal(
        self,
        question: str,
        result: SearchResult,
        filters: Mapping[str, Any] | None,
        appendix: str,
        active: tuple[int | None, LunaPrompts],
        elsewhere: Sequence[str] = (),
        at_home: tuple[str, SearchResult] | None = None,
        unknown: Sequence[str] = (),
        years: Sequence[str] = (),
        actions: Sequence[str] = (),
    ) -> Iterator[AnswerEvent]:
        """Nothing relevant was found: say so (and that the question is set in another country, names
        what no document names, asks about a year no passage found mentions or how to do what none speaks
        of, when it does), name
        the nearest document, offer checked questions. ``at_home``: the question asked for the
        readers' own country and its search, offered first, its document the one named."""
        version, prompts = active
        nearest = result if at_home is None else at_home[1]
        offered_first = [] if at_home is None else [at_home[0]]
        follow_ups = offered_first + self._follow_ups(
            prompts, nearest.citations, filters, MAX_FOLLOW_UPS - len(offered_first)
        )
        text = no_context_answer(
            prompts,
            question,
            nearest.nearby_titles,
            context_given=bool(result.citations),
            elsewhere=self._named(elsewhere),
            unknown_name=unknown[0] if unknown else None,
            unknown_year=years[0] if years else None,
            unknown_action=actions[0] if actions else None,
            passages=[_passage(c.payload) for c in result.citations],
        ) + follow_up_paragraph(prompts, follow_ups)
        yield AnswerEvent("token", text)
        if appendix:
            yield AnswerEvent("token", appendix)
        yield AnswerEvent("citations", [])
        model = self._fallback.model_name
        answer = Answer(text + appendix, [], [], model, follow_ups=follow_ups, prompt_version=version)
        yield AnswerEvent("done", answer)

    def _follow_ups(
        self,
        prompts: LunaPrompts,
        hits: Sequence[Citation],
        filters: Mapping[str, Any] | None,
        wanted: int = MAX_FOLLOW_UPS,
    ) -> list[str]:
        """Up to ``wanted`` questions about the places nearest to an unanswered question that a search
        answers from the very document they name (checked one by one, the nearest first)."""
        places = [(str(c.payload["title"]), c.payload.get("section")) for c in hits if c.payload.get("title")]
        offered: list[str] = []
        for question, title in follow_up_candidates(prompts, places)[:_FOLLOW_UP_CANDIDATES]:
            found = self.relevant(self._retrieval.search(question, _FOLLOW_UP_CHECK_TOP_K, filters))
            if found and found[0].payload.get("title") == title:
                offered.append(question)
            if len(offered) >= wanted:
                break
        return offered


def _said(text: str, model: str, version: int | None) -> Iterator[AnswerEvent]:
    """An answer that needed no document (a greeting answered): its text, no citations, done."""
    yield AnswerEvent("token", text)
    yield AnswerEvent("citations", [])
    yield AnswerEvent("done", Answer(text, [], [], model, prompt_version=version))


def _passage(payload: Mapping[str, Any]) -> Passage:
    """A search hit as a refusal reads it: its document's title, and its section with its text."""
    title = payload.get("title")
    return (str(title) if title else None, f"{payload.get('section') or ''} {payload.get('text') or ''}")


def _fixed(prompts: LunaPrompts) -> Callable[[], tuple[int | None, LunaPrompts]]:
    """Prompts given once (no version): every question is answered with them."""
    return lambda: (None, prompts)
