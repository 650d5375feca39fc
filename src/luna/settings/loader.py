"""Loading the settings tree: YAML profiles, ``.env``, the environment, and errors that name the setting.

Order (later wins): ``config/default.yaml`` → ``config/<profile>.yaml`` → ``.env`` → environment.
Environment variables are ``LUNA_<SECTION>__<KEY>`` (e.g. ``LUNA_DATABASE__URL``); the seed's plain
names (``API_PORT``, ``ADMIN_API_KEY``, ``SIM_MARKETS`` …) are accepted as aliases with lower
priority than the ``LUNA_`` names, so one ``.env`` serves docker compose and Luna alike.

Invalid settings raise :class:`SettingsError` naming the setting and its environment variable, so a
bad deployment fails at start instead of at the first request.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

import yaml
from dotenv import dotenv_values
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from luna.settings.model import Settings

CONFIG_DIR_ENV = "LUNA_CONFIG_DIR"
ENV_FILE_ENV = "LUNA_ENV_FILE"
PROFILE_ENV = "LUNA_PROFILE"
ENV_PREFIX = "LUNA_"
ENV_NESTED_DELIMITER = "__"
#: ``LUNA_`` variables that steer the process rather than name a setting (``LUNA_TEST_*`` too).
NOT_SETTINGS = frozenset({PROFILE_ENV, CONFIG_DIR_ENV, ENV_FILE_ENV, "LUNA_GIT_SHA", "LUNA_MIGRATIONS_DIR"})

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


def env_name(path: tuple[str | int, ...]) -> str:
    """The ``LUNA_…`` environment variable that sets the setting at ``path``."""
    return ENV_PREFIX + ENV_NESTED_DELIMITER.join(str(part).upper() for part in path if isinstance(part, str))


def default_config_dir() -> Path:
    """``config/`` of the source tree, or of the working directory when installed elsewhere."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    source_tree = Path(__file__).resolve().parents[3] / "config"
    return source_tree if source_tree.is_dir() else Path.cwd() / "config"


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:  # was a scanner traceback on every command
        raise SettingsError(
            f"Invalid settings:\n  {path}: not valid UTF-8 YAML ({_first_line(error)})"
        ) from None
    if not isinstance(loaded, dict):
        raise SettingsError(f"{path}: must be a mapping of settings at the top level")
    return loaded


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split("\n")[0].split())


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


#: Sections that are a tagged union on ``kind``: pydantic names the chosen kind after the section.
_TAGGED_SECTIONS = frozenset(name for name, field in Settings.model_fields.items() if field.discriminator)


def _located(item: ErrorDetails) -> tuple[tuple[str, ...], str]:
    """The setting an error is about, and its message (without pydantic's kind tag and prefixes)."""
    location = tuple(str(part) for part in item["loc"] if not str(part).startswith("function-after"))
    message = item["msg"].removeprefix("Value error, ")
    kind = None
    if location[:1] and location[0] in _TAGGED_SECTIONS:
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            location, message = (location[0], "kind"), _kind_message(location[0])
        elif len(location) > 1:
            kind, location = location[1], (location[0], *location[2:])
    if item["type"] == "missing" and kind is not None:
        message = f"required when kind is {kind}{_example(location, kind)}"
    # Model-level validators name their field as "field: message".
    if ": " in message and " " not in message.split(": ", 1)[0]:
        field, message = message.split(": ", 1)
        location = (*location, *field.split("."))  # "auth.admin_api_key: …" names a nested one
    if item["type"] == "extra_forbidden":
        message = "unknown setting (check the spelling; docs/settings.md lists every setting)"
    return location, message


def _variants(section: str) -> dict[str, type[BaseModel]]:
    """The models of a tagged section by their ``kind``."""
    annotation = Settings.model_fields[section].annotation
    return {get_args(model.model_fields["kind"].annotation)[0]: model for model in get_args(annotation)}


def _kind_message(section: str) -> str:
    kinds = ", ".join(f"'{kind}'" for kind in _variants(section))
    return f"must be one of {kinds}"


def _example(location: tuple[str, ...], kind: str) -> str:
    model = _variants(location[0]).get(kind)
    field = model.model_fields.get(location[-1]) if model is not None and len(location) == 2 else None
    return f" ({field.examples[0]})" if field is not None and field.examples else ""


def _format_errors(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        location, message = _located(item)
        lines.append(f"  {'.'.join(location) or 'settings'} ({env_name(location)}): {message}")
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
    combined_env = {**_dotenv(env_file, env), **env}
    chosen = profile or combined_env.get(PROFILE_ENV) or "default"
    directory = config_dir or _config_dir(combined_env)
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
    _resolve_config_files(tree, directory)
    try:
        return Settings.model_validate(tree)
    except ValidationError as error:
        raise SettingsError(_format_errors(error)) from None


def _dotenv(env_file: Path | None, env: Mapping[str, str]) -> dict[str, str]:
    """The ``.env`` values: of ``env_file``, else of the file ``LUNA_ENV_FILE`` names, which must exist
    (a mistyped name was ignored, and Luna ran on defaults), else of ``./.env`` when there is one."""
    named = env.get(ENV_FILE_ENV)
    chosen = env_file or Path(named or ".env")
    if env_file is None and named and (chosen.is_dir() or not chosen.exists()):
        raise SettingsError(f"Invalid settings:\n  {ENV_FILE_ENV}: there is no file {chosen}")
    if not (chosen.is_file() or (env_file is None and named)):
        return {}
    try:
        return {k: v for k, v in dotenv_values(chosen).items() if v is not None}
    except UnicodeDecodeError as error:
        raise SettingsError(f"Invalid settings:\n  {chosen}: not UTF-8 text ({error.reason})") from None
    except OSError as error:  # a file its user may not read
        raise SettingsError(f"Invalid settings:\n  {chosen}: cannot be read ({error.strerror})") from None


def _config_dir(env: Mapping[str, str]) -> Path:
    """``LUNA_CONFIG_DIR`` when set, which must be a folder (a mistyped one meant no profile, silently),
    else the checkout's ``config/``."""
    if CONFIG_DIR_ENV not in env:
        return default_config_dir()
    directory = Path(env[CONFIG_DIR_ENV])
    if not directory.is_dir():
        raise SettingsError(f"Invalid settings:\n  {CONFIG_DIR_ENV}: there is no folder {directory}")
    return directory


def _resolve_config_files(tree: dict[str, Any], directory: Path) -> None:
    """A relative ``flywheel.thresholds_file`` lies in the config folder beside the profiles, not in
    the working directory: `luna alerts` run outside the checkout would not find it otherwise."""
    flywheel = tree.setdefault("flywheel", {})
    if isinstance(flywheel, dict):
        file = Path(str(flywheel.get("thresholds_file", "thresholds.yaml"))).expanduser()
        flywheel["thresholds_file"] = file if file.is_absolute() else directory / file
