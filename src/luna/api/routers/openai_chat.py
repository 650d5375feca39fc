"""``/v1/chat/completions``, ``/v1/models`` and ``/v1/embeddings``: Luna in the tools people already use.

Open WebUI, LibreChat or any OpenAI client pointed at ``http://<luna>/v1`` talks to Luna: the last
user message is the question, answered with Luna's retrieval, citations and refusal rule (the same
:class:`~luna.services.knowledge.answering.AnswerService` as ``/api/v1/rag/ask``), with the sources listed
under the answer. Authentication is the API's: a customer's JWT as the client's API key (``Authorization:
Bearer``), or the admin key in ``X-Admin-Key``; questions count against the same per-caller limit.

``/v1/embeddings`` serves Luna's own embedding model (the fast ONNX Runtime one) to other processes:
several workers on other machines set ``embeddings.kind: openai`` with this API's ``/v1`` as URL and
the admin key as API key, and share one model instead of loading one each.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import struct
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from luna.api.callers import Caller, admin_key_caller, current_caller
from luna.api.deps import from_services, get_container
from luna.api.rate_limits import count_question
from luna.api.schemas.openai_chat import (
    MAX_EMBED_CHARS,
    MAX_EMBED_INPUTS,
    MAX_EMBED_TOTAL_CHARS,
    MODEL_ID,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    ChoiceMessage,
    EmbeddingData,
    EmbeddingList,
    EmbeddingRequest,
    EmbeddingUsage,
    ModelCard,
    ModelList,
    Usage,
)
from luna.container import Container
from luna.domain.answers import Exchange
from luna.domain.errors import InvalidInput, LunaError, NotFound, TooLarge
from luna.services.knowledge.answering import Answer, AnswerEvent, AnswerService
from luna.services.knowledge.retrieval import MAX_QUESTION_CHARS, Citation

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
logger = logging.getLogger(__name__)
_STARTED = int(time.time())


@router.get("/models", summary="The one model this API offers: Luna", response_model=ModelList)
def models(caller: Annotated[Caller, Depends(current_caller)]) -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID, created=_STARTED)])


@router.get("/models/{model}", summary="Luna's model card (the openai client's models.retrieve)")
def model_card(model: str, caller: Annotated[Caller, Depends(current_caller)]) -> ModelCard:
    if model != MODEL_ID:
        raise NotFound(f"No model named {model[:80]!r}: this API offers one, {MODEL_ID!r}.")
    return ModelCard(id=MODEL_ID, created=_STARTED)


@router.post(
    "/chat/completions",
    summary="Ask Luna in the OpenAI chat format (streams with stream=true)",
    response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {}}, "description": "With stream=true: SSE chunks"}},
)
def chat_completions(
    answers: Annotated[AnswerService, from_services(lambda s: s.knowledge.answers)],
    container: Annotated[Container, Depends(get_container)],
    caller: Annotated[Caller, Depends(current_caller)],
    body: ChatCompletionRequest,
) -> Any:
    earlier, question = _conversation(body)
    count_question(container, caller)
    events = answers.stream(question, earlier=earlier)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if body.stream:
        first = next(events)  # retrieval runs here: a failure is still an HTTP error, not a broken stream
        usage_for = question if body.wants_usage() else None
        return StreamingResponse(
            _chunks(completion_id, first, events, usage_for), media_type="text/event-stream"
        )
    final = _final(events)
    content = final.answer + _sources(final.citations)
    return ChatCompletion(
        id=completion_id,
        created=int(time.time()),
        model=MODEL_ID,  # what answered, whatever name the client asked for
        choices=[Choice(message=ChoiceMessage(content=content))],
        usage=Usage.in_words(question, content),
    )


@router.post(
    "/embeddings",
    summary="Embed texts with Luna's embedding model (OpenAI format; the admin key is the API key)",
    response_model=EmbeddingList,
)
def embeddings(
    container: Annotated[Container, Depends(get_container)],
    caller: Annotated[Caller, Depends(admin_key_caller)],
    body: EmbeddingRequest,
) -> EmbeddingList:
    texts = body.texts()
    if not 1 <= len(texts) <= MAX_EMBED_INPUTS:
        raise InvalidInput(f"input: between 1 and {MAX_EMBED_INPUTS} texts per request, got {len(texts)}.")
    if any(len(text) > MAX_EMBED_CHARS for text in texts):
        raise InvalidInput(f"input: each text may have at most {MAX_EMBED_CHARS} characters.")
    if not all(text.strip() for text in texts):
        raise InvalidInput("input: a text must not be empty or only white space.")
    unique = list(dict.fromkeys(texts))  # a text sent twice is embedded once
    if sum(map(len, unique)) > MAX_EMBED_TOTAL_CHARS:
        raise TooLarge(
            f"input: at most {MAX_EMBED_TOTAL_CHARS} characters per request in all; send fewer texts at "
            "once (a Luna worker: a smaller embeddings.batch_size)."
        )
    embedder = container.embedder
    if body.is_query():
        found = [embedder.embed_query(text) for text in unique]
    else:
        found = embedder.embed_passages(unique)
    vector_of = dict(zip(unique, found, strict=True))
    vectors = [vector_of[text] for text in texts]
    words = sum(len(text.split()) for text in texts)  # usage is informative; e5 counts subword tokens
    return EmbeddingList(
        data=[
            EmbeddingData(index=index, embedding=_encoded(vector, body.encoding_format))
            for index, vector in enumerate(vectors)
        ],
        model=embedder.model_name,
        usage=EmbeddingUsage(prompt_tokens=words, total_tokens=words),
    )


def _encoded(vector: list[float], encoding: str) -> list[float] | str:
    """OpenAI's ``base64`` format (little-endian float32, what the ``openai`` package asks for by
    default) or plain floats."""
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector


def _conversation(body: ChatCompletionRequest) -> tuple[list[Exchange], str]:
    """The question (the last user message) and the exchanges before it, each user message with the
    assistant's reply that follows it: as in Luna's own conversations, they give a follow-up ("Und für
    Gewerbe?") its topic and tell the model what it has already said. The question is bounded as on
    ``/rag/ask`` (a longer one is a 400, not silently cut); earlier messages are only context and are
    cut to that length."""
    exchanges: list[Exchange] = []
    question = ""
    for message in body.messages:
        text = message.text().strip()
        if message.role == "user":
            question = text
            exchanges.append(Exchange(text[:MAX_QUESTION_CHARS], ""))
        elif message.role == "assistant" and exchanges:
            exchanges[-1] = Exchange(exchanges[-1].question, text[:MAX_QUESTION_CHARS])
    if not exchanges or not question:
        raise InvalidInput("The conversation needs a user message with text: that is the question.")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInput(
            f"The last user message is the question; it may have at most {MAX_QUESTION_CHARS} characters."
        )
    return exchanges[:-1], question


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


def _chunks(
    completion_id: str, first: AnswerEvent, rest: Iterator[AnswerEvent], usage_for: str | None
) -> Iterator[str]:
    """The answer as OpenAI's stream chunks; with ``usage_for`` (the question, when the client asked for
    the usage) a last chunk with the usage and no choices. A failure after the first chunk ends the
    stream with an error event the openai client raises, never with a silent cut."""

    def event(body: dict[str, Any]) -> str:
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield event(chunk({"role": "assistant", "content": ""}))
    said: list[str] = []
    try:
        for answered in itertools.chain([first], rest):
            if answered.kind in ("token", "citations"):
                said.append(answered.data if answered.kind == "token" else _sources(answered.data))
                yield event(chunk({"content": said[-1]}))
    except LunaError as error:
        logger.warning("chat stream broke off: %s", error.message)
        yield event({"error": {"message": error.message, "type": "server_error", "code": error.code}})
        yield "data: [DONE]\n\n"
        return
    yield event(chunk({}, "stop"))
    if usage_for is not None:
        usage = Usage.in_words(usage_for, "".join(said)).model_dump()
        yield event({**chunk({}), "choices": [], "usage": usage})
    yield "data: [DONE]\n\n"
