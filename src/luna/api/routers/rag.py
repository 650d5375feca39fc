"""``/api/v1/rag``: hybrid search over the knowledge base and Luna's cited German answers.

When a customer with linked meters asks about their own consumption, costs or saving (see
:func:`~luna.services.energy.energy_advice.wants_energy_advice`), Luna ends the answer with a
"Handlungsempfehlung" from their meter data, streamed after the answer's own text.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sse_starlette import EventSourceResponse, ServerSentEvent

from luna.api.callers import Caller, current_caller
from luna.api.deps import Knowledge, from_services, get_container
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.rate_limits import count_question, count_search
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.knowledge import (
    SEARCH_TOP_K,
    AskOut,
    AskRequest,
    CitationOut,
    SearchOut,
    SearchRequest,
)
from luna.container import Container
from luna.domain.errors import InvalidInput, LunaError
from luna.services.energy.energy_advice import EnergyAdviceService, answer_section, wants_energy_advice
from luna.services.knowledge.answering import Answer, AnswerEvent
from luna.services.knowledge.knowledge import KnowledgeBase
from luna.services.knowledge.retrieval import Citation

router = APIRouter(prefix="/rag", tags=["rag"])
logger = logging.getLogger(__name__)

Advice = Annotated[EnergyAdviceService, from_services(lambda s: s.energy_advice)]
Limiters = Annotated[Container, Depends(get_container)]


@router.post("/search", summary="Hybrid search (dense + German BM25), filtered")
def search(
    knowledge: Knowledge,
    container: Limiters,
    caller: Annotated[Caller, Depends(current_caller)],
    body: SearchRequest,
) -> Envelope[SearchOut]:
    top_k = SEARCH_TOP_K if body.top_k is None else body.top_k
    count_search(container, caller)
    result = knowledge.retrieval.search(body.question, top_k, body.filters, mode=body.mode)
    citations = [CitationOut.from_citation(c) for c in result.citations]
    return ok(SearchOut(citations=citations), f"{len(citations)} chunks found.")


def _sse(event: AnswerEvent) -> ServerSentEvent:
    data: Any
    if event.kind == "token":
        data = {"text": event.data}
    elif event.kind == "citations":
        citations: list[Citation] = event.data
        data = [CitationOut.from_citation(c).model_dump(mode="json") for c in citations]
    else:
        answer: Answer = event.data
        data = AskOut.from_answer(answer).model_dump(mode="json")
    return ServerSentEvent(data=json.dumps(data, ensure_ascii=False), event=event.kind)


def _stream(first: AnswerEvent, rest: Iterator[AnswerEvent]) -> Iterator[ServerSentEvent]:
    try:
        for event in itertools.chain([first], rest):
            yield _sse(event)
    except LunaError as error:
        logger.warning("answer stream broke off: %s", error.message)
        yield ServerSentEvent(data=json.dumps({"code": error.code, "message": error.message}), event="error")


@router.post(
    "/ask",
    summary="Ask Luna (German answer with [chunk …] citations; SSE with stream=true)",
    responses={
        200: {
            "description": "The answer; with `stream=true` an event stream of `token`, `citations`, `done`",
            "content": {"text/event-stream": {}},
        },
        429: error_response("Too many questions from this caller (see Retry-After)"),
    },
)
def ask(
    knowledge: Knowledge,
    advice: Advice,
    container: Limiters,
    caller: Annotated[Caller, Depends(current_caller)],
    body: AskRequest,
) -> Any:
    appendix = _energy_appendix(advice, container.settings.recommend.energy_items, caller, body.question)
    events = _answer_events(container, knowledge, caller, body, appendix)
    count_question(container, caller)
    # Retrieval runs on the first step, so a bad filter or a down backend still gets its 4xx/5xx envelope.
    first = next(events)
    if body.stream:
        return EventSourceResponse(_stream(first, events), ping=15)
    done = [event.data for event in itertools.chain([first], events) if event.kind == "done"]
    answer: Answer = done[-1]
    return ok(AskOut.from_answer(answer), f"Answered by {answer.model}.")


def _answer_events(
    container: Container, knowledge: KnowledgeBase, caller: Caller, body: AskRequest, appendix: str
) -> Iterator[AnswerEvent]:
    """A customer's question is a turn of their conversation; the admin key asks without one."""
    if caller.user_id is None:
        if body.conversation_id is not None:
            raise InvalidInput("conversation_id: conversations belong to customers; the admin key has none.")
        return knowledge.answers.stream(body.question, body.top_k, body.filters, appendix=appendix)
    return container.services.conversations.ask(
        caller.user_id,
        body.question,
        body.conversation_id,
        top_k=body.top_k,
        filters=body.filters,
        appendix=appendix,
    )


def _energy_appendix(advice: EnergyAdviceService, limit: int, caller: Caller, question: str) -> str:
    """The customer's energy advice as a closing section, when the question is about their energy."""
    if caller.user_id is None or not wants_energy_advice(question):
        return ""
    return answer_section(advice.for_user(caller.user_id, limit))
