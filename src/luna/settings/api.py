"""The API's and authentication's settings: where ``luna serve`` listens, its bounds, who may call it."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from luna.settings.section import SecretKey, Section

#: A browser origin: http(s), a host name, IPv4 or bracketed IPv6 address, an optional port.
_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


class ApiSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_upload_mb: int = Field(default=50, ge=1, le=2048)
    max_json_kb: int = Field(default=1024, ge=1)
    start_worker: bool = True
    request_deadline_sec: float = Field(default=30.0, gt=0, le=3600)
    long_request_deadline_sec: float = Field(default=900.0, gt=0, le=86400)
    shutdown_grace_sec: int = Field(default=10, ge=0, le=600)
    #: Web pages on other origins allowed to call the API from a browser ("https://chat.example.org");
    #: empty: none (the dashboards are served from the same origin and need no entry).
    cors_origins: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"'{origin}' is no origin: write scheme, host and an optional port, "
                    "without a path or a trailing slash ('https://chat.example.org:8443'), or '*' for any"
                )
        return origins


class AuthSettings(Section):
    admin_api_key: SecretKey | None = None
    jwt_secret: SecretKey | None = None
    jwt_algorithm: Literal["HS256"] = "HS256"
    jwt_leeway_sec: int = Field(default=30, ge=0)
    allow_dev_user: bool = False
