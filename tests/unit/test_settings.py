"""Settings: profiles, overrides, seed aliases, clear failures and documentation of every setting."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from luna.settings import Settings, SettingsError, ensure_local_secrets, load_settings
from luna.settings.loader import default_config_dir

ROOT = Path(__file__).resolve().parents[2]


def _load(tmp_path: Path, profile: str | None = None, **environ: str) -> Settings:
    return load_settings(profile, environ=environ, env_file=tmp_path / "absent.env")


def test_default_profile_is_embedded_under_one_data_dir(tmp_path: Path) -> None:
    settings = _load(tmp_path, LUNA_DATA_DIR=str(tmp_path / "data"))
    assert settings.profile == "default"
    assert settings.database.kind == "sqlite" and settings.vectors.kind == "edge"
    assert settings.blobs.kind == "filesystem" and settings.jobs.kind == "inprocess"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'luna.db'}"
    assert settings.vectors_path == tmp_path / "data" / "vectors"
    assert settings.blobs_path == tmp_path / "data" / "blobs"


def test_server_profile_points_at_servers_and_needs_secrets(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"auth\.admin_api_key \(LUNA_AUTH__ADMIN_API_KEY\)"):
        _load(tmp_path, "server")  # the variable one can set: LUNA_AUTH.ADMIN_API_KEY cannot exist
    settings = _load(tmp_path, "server", ADMIN_API_KEY="a" * 20, JWT_SECRET="b" * 20)
    assert settings.database.kind == "postgresql" and settings.vectors.kind == "qdrant"
    assert settings.blobs.kind == "s3" and settings.jobs.kind == "redis"
    assert settings.extract.kind == "tika" and settings.chat.kind == "ollama"
    assert not settings.auth.allow_dev_user


def test_server_profile_retrieves_with_multilingual_embeddinggemma_and_its_own_fitted_values(
    tmp_path: Path,
) -> None:
    """The floor and the lexical weight were chosen on Gemma's cosines (bench/RESULTS.md); the compose
    stack's EMBED_MODEL default names the same model, or the values would meet another model."""
    settings = _load(tmp_path, "server", ADMIN_API_KEY="a" * 20, JWT_SECRET="b" * 20)
    compose = (ROOT / "deploy" / "docker-compose.yml").read_text(encoding="utf-8")

    assert settings.embeddings.kind == "ollama" and settings.embeddings.model == "embeddinggemma"
    assert settings.rag.lexical_weight == 0.5 and settings.dense_score_floor == 0.45
    assert "EMBED_MODEL: ${EMBED_MODEL:-embeddinggemma}" in compose


def test_environment_overrides_nested_values_and_seed_aliases(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        API_PORT="9001",
        SIM_MARKETS="EEX, EPEX",
        SIM_SMARTMETER_INTERVAL_SEC="15",
        LUNA_JOBS__WORKERS="4",
        LUNA_SIM__PRODUCTS='["BASE"]',
    )
    assert settings.api.port == 9001
    assert settings.sim.markets == ["EEX", "EPEX"]
    assert settings.sim.smartmeter_interval_sec == 15
    assert settings.sim.products == ["BASE"]
    assert settings.jobs.workers == 4


def test_luna_names_win_over_seed_aliases(tmp_path: Path) -> None:
    assert _load(tmp_path, API_PORT="9001", LUNA_API__PORT="9002").api.port == 9002


def test_dotenv_file_is_read_and_environment_wins_over_it(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("API_PORT=7000\nLUNA_JOBS__WORKERS=3\n", encoding="utf-8")
    settings = load_settings(environ={"LUNA_JOBS__WORKERS": "5"}, env_file=env_file)
    assert settings.api.port == 7000
    assert settings.jobs.workers == 5


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"LUNA_API__PORT": "not-a-port"}, "api.port (LUNA_API__PORT)"),
        ({"LUNA_API__PORT": "70000"}, "api.port (LUNA_API__PORT)"),
        ({"LUNA_DATABASE__KIND": "postgresql"}, "database.url (LUNA_DATABASE__URL)"),
        ({"LUNA_DATABASE__KIND": "mysql"}, "database.kind (LUNA_DATABASE__KIND)"),
        ({"LUNA_VECTORS__KIND": "qdrant"}, "vectors.url (LUNA_VECTORS__URL)"),
        ({"LUNA_BLOBS__KIND": "s3"}, "blobs.endpoint_url (LUNA_BLOBS__ENDPOINT_URL)"),
        ({"LUNA_CHAT__KIND": "llama_cpp"}, "chat.gguf_path (LUNA_CHAT__GGUF_PATH)"),
        ({"ADMIN_API_KEY": "short"}, "auth.admin_api_key (LUNA_AUTH__ADMIN_API_KEY)"),
        ({"LUNA_DATABSE__URL": "sqlite:///x"}, "databse (LUNA_DATABSE)"),
        # Found at start-up, not when the first `luna grafana sync` or alert tries the URL.
        (
            {"LUNA_FLYWHEEL__GRAFANA_URL": "grafana.local:3000"},
            "flywheel.grafana_url (LUNA_FLYWHEEL__GRAFANA_URL)",
        ),
        ({"LUNA_FLYWHEEL__ALERT_WEBHOOK_URL": "file:///etc/passwd"}, "flywheel.alert_webhook_url"),
    ],
)
def test_invalid_settings_fail_naming_the_setting(
    tmp_path: Path, environ: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, **environ)
    assert named in str(caught.value)


def test_a_data_dir_that_is_a_file_fails_naming_the_setting(tmp_path: Path) -> None:
    afile = tmp_path / "luna.txt"
    afile.write_text("not a folder", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, LUNA_DATA_DIR=str(afile))
    assert "data_dir (LUNA_DATA_DIR)" in str(caught.value) and "is a file, not a folder" in str(caught.value)


def test_each_backend_kind_takes_only_its_own_settings(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as missing:
        _load(tmp_path, LUNA_DATABASE__KIND="postgresql")
    assert (
        "database.url (LUNA_DATABASE__URL): required when kind is postgresql (postgresql+psycopg://"
        in str(missing.value)
    )
    with pytest.raises(SettingsError, match=r"vectors\.url \(LUNA_VECTORS__URL\): unknown setting"):
        _load(tmp_path, LUNA_VECTORS__URL="http://qdrant:6333")
    with pytest.raises(
        SettingsError, match=r"jobs\.kind \(LUNA_JOBS__KIND\): must be one of 'inprocess', 'redis'"
    ):
        _load(tmp_path, LUNA_JOBS__KIND="celery")
    qdrant = _load(tmp_path, LUNA_VECTORS__KIND="qdrant", LUNA_VECTORS__URL=":memory:").vectors
    assert qdrant.kind == "qdrant" and qdrant.url == ":memory:"


def test_unknown_profile_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"known: \['default', 'quality', 'server', 'test'\]"):
        _load(tmp_path, "prod")


def test_local_secrets_are_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = _load(tmp_path, LUNA_DATA_DIR=str(tmp_path / "data"))
    first = ensure_local_secrets(settings)
    second = ensure_local_secrets(settings)
    assert first.auth.admin_api_key is not None and second.auth.admin_api_key is not None
    assert first.auth.admin_api_key.get_secret_value() == second.auth.admin_api_key.get_secret_value()
    assert first.flywheel.pseudonym_key is not None and second.flywheel.pseudonym_key is not None
    assert first.flywheel.pseudonym_key.get_secret_value() == second.flywheel.pseudonym_key.get_secret_value()
    assert stat.S_IMODE((tmp_path / "data" / "secrets.json").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("", "not valid JSON"),
        ('{"admin_api_key": "abc', "not valid JSON"),
        ('["a"]', "not a JSON object of texts"),
        ('{"admin_api_key": "abc", "jwt_secret": "x' + "x" * 20 + '"}', "admin_api_key shorter than 16"),
    ],
)
def test_a_broken_secrets_file_is_named_with_what_is_wrong_not_a_traceback(
    tmp_path: Path, content: str, said: str
) -> None:
    (tmp_path / "secrets.json").write_text(content, encoding="utf-8")
    settings = _load(tmp_path, LUNA_DATA_DIR=str(tmp_path))

    with pytest.raises(SettingsError, match=said) as refused:
        ensure_local_secrets(settings)

    assert "move it away" in str(refused.value)
    assert (tmp_path / "secrets.json").read_text(encoding="utf-8") == content  # left as it was


def test_explicit_secrets_are_not_replaced(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        LUNA_DATA_DIR=str(tmp_path),
        ADMIN_API_KEY="k" * 20,
        JWT_SECRET="s" * 20,
        LUNA_FLYWHEEL__PSEUDONYM_KEY="p" * 20,
    )
    kept = ensure_local_secrets(settings)
    assert kept.auth.admin_api_key is not None and kept.auth.admin_api_key.get_secret_value() == "k" * 20
    assert (
        kept.flywheel.pseudonym_key is not None and kept.flywheel.pseudonym_key.get_secret_value() == "p" * 20
    )
    assert not (tmp_path / "secrets.json").exists()


def test_secrets_never_appear_in_yaml_profiles() -> None:
    for profile in (ROOT / "config").glob("*.yaml"):
        text = profile.read_text(encoding="utf-8")
        assert not re.search(
            r"(admin_api_key|jwt_secret|secret_key|access_key|api_key|pseudonym_key|webhook_secret|grafana_token)\s*:",
            text,
        ), profile


def _setting_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every setting's dotted path; a section that is a union on ``kind`` counts each backend's."""
    paths = []
    for name, field in model.model_fields.items():
        sections = [
            option
            for option in (field.annotation, *get_args(field.annotation))
            if isinstance(option, type) and issubclass(option, BaseModel)
        ]
        for section in sections:
            paths.extend(_setting_paths(section, f"{prefix}{name}."))
        if not sections:
            paths.append(f"{prefix}{name}")
    return sorted(set(paths))


def test_every_setting_is_documented() -> None:
    documented = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [path for path in _setting_paths(Settings) if f"`{path}`" not in documented]
    assert not missing, f"undocumented settings in docs/settings.md: {missing}"


def test_the_dense_score_floor_is_e5_smalls_wherever_it_runs_unless_another_model_retrieves_or_one_is_set(
    tmp_path: Path,
) -> None:
    """0.86 is a cosine of multilingual-e5-small: another model's cosines live on another scale."""
    served = {
        "LUNA_EMBEDDINGS__KIND": "ollama",
        "LUNA_EMBEDDINGS__URL": "http://ollama:11434",
        "LUNA_EMBEDDINGS__MODEL": "embeddinggemma",
    }

    assert _load(tmp_path).dense_score_floor == 0.86
    assert _load(tmp_path, **served).dense_score_floor == -1.0
    assert _load(tmp_path, **served, LUNA_RAG__MIN_DENSE_SCORE="0.5").dense_score_floor == 0.5
    served_e5 = served | {"LUNA_EMBEDDINGS__MODEL": "jeffh/intfloat-multilingual-e5-small:f16"}
    assert _load(tmp_path, **served_e5).dense_score_floor == 0.86
    served_e5_instruct = served | {"LUNA_EMBEDDINGS__MODEL": "intfloat/multilingual-e5-large-instruct"}
    assert _load(tmp_path, **served_e5_instruct).dense_score_floor == -1.0


def test_the_flywheels_golden_sets_lie_under_the_data_dir_unless_absolute(tmp_path: Path) -> None:
    sets = json.dumps(["eval/golden/feedback-golden.yaml", "/srv/golden/ours.yaml"])
    settings = _load(tmp_path, LUNA_DATA_DIR=str(tmp_path / "data"), LUNA_FLYWHEEL__EVALUATION_SETS=sets)

    assert _load(tmp_path).evaluation_sets == []
    assert settings.evaluation_sets == [
        tmp_path / "data" / "eval" / "golden" / "feedback-golden.yaml",
        Path("/srv/golden/ours.yaml"),
    ]


def test_the_thresholds_file_lies_in_the_config_folder_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`luna alerts` outside the checkout read ``config/thresholds.yaml`` relative to the working dir."""
    monkeypatch.chdir(tmp_path)
    shipped = _load(tmp_path).flywheel.thresholds_file
    own = _load(tmp_path, LUNA_CONFIG_DIR=str(ROOT / "config"), LUNA_FLYWHEEL__THRESHOLDS_FILE="ours.yaml")
    absolute = _load(tmp_path, LUNA_FLYWHEEL__THRESHOLDS_FILE=str(tmp_path / "t.yaml"))

    assert shipped == default_config_dir() / "thresholds.yaml" and shipped.is_file()
    assert own.flywheel.thresholds_file == ROOT / "config" / "ours.yaml"
    assert absolute.flywheel.thresholds_file == tmp_path / "t.yaml"


@pytest.mark.parametrize(
    "entry", [".", "..", "~", "eval", "eval/golden/", "~nosuchuser123/x.yaml", "a.yaml/.."]
)
def test_a_flywheel_golden_set_that_names_no_yaml_file_fails_at_start_up(tmp_path: Path, entry: str) -> None:
    """``.`` or ``~`` made the data dir or the home directory readable to the job ``eval.run``."""
    sets = json.dumps(["eval/golden/feedback-golden.yaml", entry])

    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, LUNA_FLYWHEEL__EVALUATION_SETS=sets)

    assert "flywheel.evaluation_sets (LUNA_FLYWHEEL__EVALUATION_SETS): " in str(caught.value)
    assert repr(entry.rstrip("/")) in str(caught.value)
    assert _load(tmp_path, LUNA_FLYWHEEL__EVALUATION_SETS='["~/golden.YML"]').evaluation_sets == [
        Path("~/golden.YML").expanduser()
    ]


@pytest.mark.parametrize(
    ("profile", "refines"), [("default", True), ("quality", False), ("server", False), ("test", False)]
)
def test_only_the_default_profile_refines_with_embeddinggemma(
    profile: str, refines: bool, tmp_path: Path
) -> None:
    """The quality and server profiles retrieve with EmbeddingGemma already; the test suites switch the
    refine leg on where they test it."""
    keys = {"LUNA_AUTH__ADMIN_API_KEY": "test-admin-key-0123456789", "LUNA_AUTH__JWT_SECRET": "x" * 32}
    settings = _load(tmp_path, profile, **keys)
    assert settings.refine_active is refines
    assert settings.rag.refine.weight == 6.0


def test_a_broken_profile_or_env_file_is_named_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    with (config / "default.yaml").open("a", encoding="utf-8") as file:
        file.write("\napi:\n  host: [unclosed\n")
    with pytest.raises(SettingsError, match=r"default\.yaml: not valid UTF-8 YAML"):
        load_settings(environ={}, env_file=tmp_path / "absent.env", config_dir=config)

    env_file = tmp_path / ".env"
    env_file.write_bytes(b"LUNA_RAG__TOP_K=5\nNAME=\xff\xfe\n")
    with pytest.raises(SettingsError, match=r"\.env: not UTF-8 text"):
        load_settings(environ={}, env_file=env_file)


def test_an_env_file_or_config_folder_named_but_missing_is_an_error_not_silent_defaults(
    tmp_path: Path,
) -> None:
    """A mistyped LUNA_ENV_FILE or LUNA_CONFIG_DIR ran Luna on the defaults without a word."""
    with pytest.raises(SettingsError, match=r"LUNA_ENV_FILE: there is no file .*lun\.env"):
        load_settings(environ={"LUNA_ENV_FILE": str(tmp_path / "lun.env")})
    with pytest.raises(SettingsError, match=r"LUNA_CONFIG_DIR: there is no folder .*confg"):
        load_settings(environ={"LUNA_ENV_FILE": os.devnull, "LUNA_CONFIG_DIR": str(tmp_path / "confg")})
    with pytest.raises(SettingsError, match=r"LUNA_ENV_FILE: there is no file"):
        load_settings(environ={"LUNA_ENV_FILE": str(tmp_path)})

    named = tmp_path / "luna.env"
    named.write_text("LUNA_RAG__TOP_K=7\n", encoding="utf-8")
    assert load_settings(environ={"LUNA_ENV_FILE": str(named)}).rag.top_k == 7
