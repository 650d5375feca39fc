"""Alert changes posted as JSON to a configured receiver (Alertmanager's webhook or any other)."""

from __future__ import annotations

from typing import Any

import httpx

from luna.domain.errors import Unavailable


class HttpAlertNotifier:
    """POSTs each payload once; the caller logs a failure and keeps the alert state (it is in SQL)."""

    def __init__(
        self, url: str, *, timeout_sec: float = 5.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._url = url
        self._client = httpx.Client(timeout=timeout_sec, transport=transport)

    def send(self, payload: dict[str, Any]) -> None:
        try:
            response = self._client.post(self._url, json=payload)
        except httpx.HTTPError as error:
            raise Unavailable(f"The alert receiver {self._url} cannot be reached: {error}.") from error
        if response.status_code >= 300:
            raise Unavailable(f"The alert receiver {self._url} answered {response.status_code}.")

    def close(self) -> None:
        self._client.close()
