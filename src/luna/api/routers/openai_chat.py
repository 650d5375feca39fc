"""``/v1/chat/completions`` and ``/v1/models``: Luna inside the chat tools people already use.

Open WebUI, LibreChat or any OpenAI client pointed at ``http://<luna>/v1`` talks to Luna: the last
user message is the question, answered with Luna's retrieval, citations and refusal rule (the same
:class:`~luna.services.answering.AnswerService` as ``/api/v1/rag/ask``), with the sources listed
under the answer. Authentication is the API's: a customer's JWT as the client's API key (``Authorization:
Bearer``), or the admin key in ``X-Admin-Key``; questions count against the same per-caller limit.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from luna.api.callers import Caller, current_caller
from luna.api.deps import from_services
from luna.api.routers.rag import ask_rate_limit
from luna.api.schemas.openai_chat import (
    MODEL_ID,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    ChoiceMessage,
    ModelCard,
    ModelList,
)
from luna.domain.errors import InvalidInput
from luna.services.answering import Answer, AnswerEvent, AnswerService
from luna.services.retrieval import Citation

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
_STARTED = int(time.time())


@router.get("/models", summary="The one model this API offers: Luna", response_model=ModelList)
def models(caller: Annotated[Caller, Depends(current_caller)]) -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID, created=_STARTED)])


@router.post(
    "/chat/completions",
    summary="Ask Luna in the OpenAI chat format (streams with stream=true)",
    response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {}}, "description": "With stream=true: SSE chunks"}},
)
def chat_completions(
    answers: Annotated[AnswerService, from_services(lambda s: s.knowledge.answers)],
    caller: Annotated[Caller, Depends(ask_rate_limit)],
    body: ChatCompletionRequest,
) -> Any:
    question = _question(body)
    events = answers.stream(question)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if body.stream:
        first = next(events)  # retrieval runs here: a failure is still an HTTP error, not a broken stream
        return StreamingResponse(
            _chunks(completion_id, body.model, first, events), media_type="text/event-stream"
        )
    final = _final(events)
    content = final.answer + _sources(final.citations)
    return ChatCompletion(
        id=completion_id,
        created=int(time.time()),
        model=body.model,
        choices=[Choice(message=ChoiceMessage(content=content))],
    )


def _question(body: ChatCompletionRequest) -> str:
    users = [message.text().strip() for message in body.messages if message.role == "user"]
    if not users or not users[-1]:
        raise InvalidInput("The conversation needs a user message with text: that is the question.")
    return users[-1][:2000]


def _final(events: Iterator[AnswerEvent]) -> Answer:
    answer: Answer | None = None
    for event in events:
        if event.kind == "done":
            answer = event.data
    assert answer is not None  # the answer stream always ends with "done"
    return answer


def _sources(citations: list[Citation]) -> str:
    """The cited chunks under the answer, so a chat tool shows where each [chunk …] comes from."""
    if not citations:
        return ""
    lines = [
        f"- [chunk {c.chunk_id}] {c.payload.get('title') or 'Dokument'}"
        + (f" – {c.payload['section']}" if c.payload.get("section") else "")
        for c in citations
    ]
    return "\n\nQuellen:\n" + "\n".join(lines)


def _chunks(completion_id: str, model: str, first: AnswerEvent, rest: Iterator[AnswerEvent]) -> Iterator[str]:
    def chunk(delta: dict[str, str], finish: str | None = None) -> str:
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for event in itertools.chain([first], rest):
        if event.kind == "token":
            yield chunk({"content": event.data})
        elif event.kind == "citations":
            yield chunk({"content": _sources(event.data)})
    yield chunk({}, "stop")
    yield "data: [DONE]\n\n"
