"""Posting a JSON notification to a subscriber's URL (dataset promotions)."""

from __future__ import annotations

from typing import Any, Protocol


class WebhookSender(Protocol):
    def post(self, url: str, payload: dict[str, Any]) -> None:
        """Deliver ``payload`` once; raises ``Unavailable`` when the receiver cannot be reached or
        answers with an error status (the caller retries)."""
        ...
