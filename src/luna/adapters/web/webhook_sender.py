"""JSON POSTs to subscribers named in pipeline files (operators' own receivers, often on the private
network, so no SSRF guard: the URL comes from a file only an operator edits, as the alert webhook's)."""

from __future__ import annotations

from typing import Any

import httpx

from luna.domain.errors import Unavailable


class HttpWebhookSender:
    def __init__(self, *, timeout_sec: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(timeout=timeout_sec, transport=transport, follow_redirects=False)

    def post(self, url: str, payload: dict[str, Any]) -> None:
        try:
            response = self._client.post(url, json=payload)
        except httpx.HTTPError as error:
            raise Unavailable(f"The subscriber {url} cannot be reached: {error}.") from error
        if response.status_code >= 300:
            raise Unavailable(f"The subscriber {url} answered {response.status_code}.")

    def close(self) -> None:
        self._client.close()
