"""Bodies of Luna's OpenAI-compatible chat API (``/v1/chat/completions``, ``/v1/models``).

Only what chat clients (Open WebUI, LibreChat, the ``openai`` package) send and read is modelled;
sampling settings (temperature, max_tokens …) are accepted and ignored, since Luna's answers come
from the knowledge base and its answerer; what she cannot do is refused with the field named: ``n``
above 1 (there is one answer), a forced tool call, JSON output, log probabilities. Any model name is
answered (a client set up for another server still works), and the answer names the model that gave
it: ``luna``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

MODEL_ID = "luna"


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    @field_validator("content")
    @classmethod
    def _text_parts_hold_text(cls, content: str | list[dict[str, Any]] | None) -> Any:
        """A text part whose ``text`` is null or an object was asked as the question "None"."""
        for part in content if isinstance(content, list) else []:
            if part.get("type") == "text" and not isinstance(part.get("text"), str):
                raise ValueError("a content part of type 'text' needs its text as a string")
        return content

    def text(self) -> str:
        """The message's text; content parts of other kinds (images …) are left out."""
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return " ".join(str(part.get("text", "")) for part in parts if part.get("type") == "text")


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(MODEL_ID, max_length=200)
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=200)
    stream: bool = Field(False, strict=True)
    n: int = Field(1, ge=1, le=1, strict=True, description="Luna gives one answer per question: n must be 1")
    max_tokens: StrictInt | None = Field(
        None, ge=1, description="Accepted and ignored: the answer is as long as it is"
    )
    # What Luna cannot honour is refused, not ignored: a client that forces a tool call or JSON output
    # would otherwise fail later, in its own code, on an ordinary German answer.
    tool_choice: str | dict[str, Any] | None = Field(
        None, description="Only 'none' or 'auto': Luna calls no tools"
    )
    function_call: str | dict[str, Any] | None = Field(None, description="Only 'none' or 'auto'")
    response_format: dict[str, Any] | None = Field(
        None, description="Only {'type': 'text'}: Luna answers in text"
    )
    logprobs: StrictBool | None = Field(None, description="Not available: the answer is quoted, not sampled")
    stream_options: dict[str, Any] | None = Field(
        None, description="include_usage: a last chunk with the usage (counted in words)"
    )

    @field_validator("tool_choice", "function_call")
    @classmethod
    def _no_forced_tool(cls, choice: str | dict[str, Any] | None) -> Any:
        if choice is not None and choice not in ("none", "auto"):
            raise ValueError(
                "Luna answers from documents and calls no tools: leave it out, or 'none' or 'auto'"
            )
        return choice

    @field_validator("response_format")
    @classmethod
    def _text_only(cls, response_format: dict[str, Any] | None) -> Any:
        if response_format is not None and response_format.get("type") != "text":
            raise ValueError("Luna answers in German text with citations: only {'type': 'text'} is possible")
        return response_format

    @field_validator("logprobs")
    @classmethod
    def _no_logprobs(cls, logprobs: bool | None) -> Any:
        if logprobs:
            raise ValueError("Luna quotes her sources and samples no tokens: there are no log probabilities")
        return logprobs

    def wants_usage(self) -> bool:
        """The client asked for a last stream chunk with the usage (``stream_options.include_usage``)."""
        return bool((self.stream_options or {}).get("include_usage"))


class ChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ChoiceMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    """Counted in words, as ``/v1/embeddings`` counts: Luna's answerer reads no tokens, so there are none to
    count, and a chat tool shows a size rather than nothing."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def in_words(cls, prompt: str, completion: str) -> Usage:
        asked, answered = len(prompt.split()), len(completion.split())
        return cls(prompt_tokens=asked, completion_tokens=answered, total_tokens=asked + answered)


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage = Field(default_factory=Usage)


class OpenAIError(BaseModel):
    message: str
    type: str = Field(
        description="invalid_request_error, authentication_error, permission_error, "
        "not_found_error, rate_limit_error or server_error"
    )
    param: str | None = Field(None, description="The request field that was refused, where one was")
    code: str | None = Field(None, description="Luna's error code (invalid_input, rate_limited …)")
    trace_id: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        None, description="Every refused field as `{field, problem}`, where fields were refused"
    )


class OpenAIErrorBody(BaseModel):
    """Errors of ``/v1/…`` in the shape OpenAI clients read and show."""

    error: OpenAIError


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "luna"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


#: Bounds of one embeddings request: a batch a worker sends, not a corpus.
MAX_EMBED_INPUTS = 256
MAX_EMBED_CHARS = 32_000
#: All texts of one request together: about fifty chunks of Luna's size, a few seconds of two cores;
#: 256 texts of 32,000 characters would outlast the request's deadline and keep computing after it.
MAX_EMBED_TOTAL_CHARS = 128_000


class EmbeddingRequest(BaseModel):
    """``POST /v1/embeddings`` as OpenAI clients send it, plus e5's ``input_type`` (query or passage)."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(default="multilingual-e5-small", max_length=200)
    input: str | list[str] = Field(description=f"One text or up to {MAX_EMBED_INPUTS} texts")
    input_type: Literal["query", "passage", "document"] | None = Field(
        None,
        description="e5 embeds questions and passages differently; without it, a model name containing "
        "'query' means questions, anything else passages",
    )
    encoding_format: Literal["float", "base64"] = "float"

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)

    def is_query(self) -> bool:
        if self.input_type is not None:
            return self.input_type == "query"
        return "query" in self.model.casefold()


class EmbeddingData(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(BaseModel):
    object: Literal["list"] = "list"
    data: list[EmbeddingData]
    model: str
    usage: EmbeddingUsage
