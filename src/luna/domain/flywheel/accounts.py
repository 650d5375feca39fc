"""Service accounts: named API keys with scopes for machines (n8n, Grafana, a data team's notebook).

A key is shown once, at creation; only its SHA-256 is stored (the key is 256 random bits, so a fast
hash is enough: there is nothing to brute-force), with a short prefix so an operator can tell keys
apart in lists and logs. Revoked accounts stay listed, so the audit log's actors remain explainable.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

#: Every service key starts so, which lets the API tell it from a customer's JWT at a glance.
KEY_PREFIX: Final = "luna_sa_"
NAME_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class Scope(StrEnum):
    SESSIONS_WRITE = "sessions:write"  # send sessions to the webhook
    SESSIONS_READ_RAW = "sessions:read-raw"  # read stored session texts (every read is audited)
    KPI_READ = "kpi:read"  # read KPI values and alerts
    DATASETS_READ = "datasets:read"  # list and pull dataset versions (a trainer, a BI tool)


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    account_id: str
    name: str
    scopes: frozenset[Scope]
    key_sha256: str
    key_hint: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: Scope) -> bool:
        return self.active and scope in self.scopes


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_sha256(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_hint(key: str) -> str:
    """What lists show of a key: its first characters after the prefix (``luna_sa_Xy3k…``)."""
    return key[: len(KEY_PREFIX) + 4] + "…"
