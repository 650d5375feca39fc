"""Secrets an embedded install generates for itself; none ever live in the YAML profiles."""

from __future__ import annotations

import json
import os
import secrets

from pydantic import SecretStr

from luna.settings.loader import SettingsError
from luna.settings.model import Settings


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
