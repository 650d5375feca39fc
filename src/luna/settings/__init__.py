"""Luna's settings, built once at start-up: the public names of the package.

``model`` and ``backends`` hold the typed tree (every backend choice a tagged union on ``kind``),
``loader`` builds it from the YAML profiles and the environment, ``secrets`` gives an embedded
install its own keys. ``container.py`` is the only place that reads a ``kind`` to pick an adapter.
"""

from luna.settings.api import ApiSettings, AuthSettings
from luna.settings.backends import (
    BlobSettings,
    ChatSettings,
    DatabaseSettings,
    EmbeddingSettings,
    ExtractSettings,
    JobSettings,
    VectorSettings,
)
from luna.settings.energy import EnergySettings
from luna.settings.loader import SettingsError, load_settings
from luna.settings.model import (
    BackupSettings,
    DatasetSettings,
    FeedSettings,
    FlywheelSettings,
    HelpSettings,
    IngestSettings,
    LearningSettings,
    LoggingSettings,
    MetricsSettings,
    RecommendSettings,
    Settings,
    SimSettings,
    WebSettings,
)
from luna.settings.rag import AnswerReaderSettings, RagSettings
from luna.settings.secrets import ensure_local_secrets

__all__ = [
    "AnswerReaderSettings",
    "ApiSettings",
    "AuthSettings",
    "BackupSettings",
    "BlobSettings",
    "ChatSettings",
    "DatabaseSettings",
    "DatasetSettings",
    "EmbeddingSettings",
    "EnergySettings",
    "ExtractSettings",
    "FeedSettings",
    "FlywheelSettings",
    "HelpSettings",
    "IngestSettings",
    "JobSettings",
    "LearningSettings",
    "LoggingSettings",
    "MetricsSettings",
    "RagSettings",
    "RecommendSettings",
    "Settings",
    "SettingsError",
    "SimSettings",
    "VectorSettings",
    "WebSettings",
    "ensure_local_secrets",
    "load_settings",
]
