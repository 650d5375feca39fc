"""Secrets an embedded install generates for itself; none ever live in the YAML profiles."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from luna.settings.loader import SettingsError
from luna.settings.model import Settings

#: The shortest key accepted, as for ``auth.admin_api_key`` and ``auth.jwt_secret`` in the settings.
MIN_SECRET_CHARS = 16


def ensure_local_secrets(settings: Settings) -> Settings:
    """Give an embedded install working secrets without putting any into YAML.

    Outside the server profile a missing admin key, JWT secret or pseudonym key is generated once and kept in
    ``<data_dir>/secrets.json`` (mode 0600), so ``make run`` works on a fresh machine and the key
    survives restarts. The server profile refuses to start without real secrets instead. A broken
    file or a data dir that cannot hold it is a :class:`SettingsError` naming it, never a traceback.
    """
    wanted = {
        "admin_api_key": settings.auth.admin_api_key,
        "jwt_secret": settings.auth.jwt_secret,
        "pseudonym_key": settings.flywheel.pseudonym_key,
    }
    if all(value is not None for value in wanted.values()):
        return settings
    if settings.profile == "server":
        absent = ", ".join(name for name, value in wanted.items() if value is None)
        raise SettingsError(f"Invalid settings:\n  {absent}: required in the server profile")
    store = settings.data_dir / "secrets.json"
    try:
        stored = _kept_secrets(store, list(wanted))
    except OSError as error:
        raise SettingsError(
            f"Invalid settings:\n  data_dir: {store.parent} cannot hold Luna's keys "
            f"({error.strerror or error}); it must be a writable folder"
        ) from None
    auth = settings.auth.model_copy(
        update={
            "admin_api_key": settings.auth.admin_api_key or SecretStr(stored["admin_api_key"]),
            "jwt_secret": settings.auth.jwt_secret or SecretStr(stored["jwt_secret"]),
        }
    )
    flywheel = settings.flywheel.model_copy(
        update={"pseudonym_key": settings.flywheel.pseudonym_key or SecretStr(stored["pseudonym_key"])}
    )
    return settings.model_copy(update={"auth": auth, "flywheel": flywheel})


def _kept_secrets(store: Path, names: list[str]) -> dict[str, str]:
    """The keys in ``store``, the missing ones of ``names`` generated and written first."""
    existed = store.is_file()
    stored = _read(store) if existed else {}
    missing = [name for name in names if name not in stored]
    if missing:
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        store.parent.mkdir(parents=True, exist_ok=True)
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
            stored = _read(store)
        finally:
            temporary.unlink(missing_ok=True)
    return stored


def _read(store: Path) -> dict[str, str]:
    """The keys kept in ``store``, or a SettingsError saying what is wrong with the file (an empty or
    truncated file gave a JSONDecodeError traceback on every command; a 3-character key was used)."""
    try:
        stored = json.loads(store.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        problem = f"not valid JSON ({error})"
    else:
        if isinstance(stored, dict) and all(isinstance(value, str) for value in stored.values()):
            short = sorted(key for key, value in stored.items() if len(value) < MIN_SECRET_CHARS)
            if not short:
                return stored
            problem = f"{', '.join(short)} shorter than {MIN_SECRET_CHARS} characters"
        else:
            problem = "not a JSON object of texts"
    raise SettingsError(
        f"Invalid settings:\n  {store}: {problem}. Fix it, or move it away and Luna makes new keys "
        "(then sign in with the new admin key it names)."
    )
