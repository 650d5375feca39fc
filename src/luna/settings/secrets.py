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

    Outside the server profile a missing admin key, JWT secret or pseudonym key is generated once and kept in
    ``<data_dir>/secrets.json`` (mode 0600), so ``make run`` works on a fresh machine and the key
    survives restarts. The server profile refuses to start without real secrets instead.
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
    existed = store.is_file()
    stored: dict[str, str] = json.loads(store.read_text(encoding="utf-8")) if existed else {}
    missing = [name for name in wanted if name not in stored]
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
    flywheel = settings.flywheel.model_copy(
        update={"pseudonym_key": settings.flywheel.pseudonym_key or SecretStr(stored["pseudonym_key"])}
    )
    return settings.model_copy(update={"auth": auth, "flywheel": flywheel})
