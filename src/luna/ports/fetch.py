"""Fetching a document from a URL the user gave, for ``POST /api/v1/ingest/url``.

The port hides HTTP, redirects and the server-side request forgery guard: the ingest service gets the
bytes plus the two hints it needs to pick an extractor and a title (declared media type, file name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, Protocol

#: Why a URL is refused, in ``InvalidInput.details["reason"]``, so every caller can say it in its own
#: words: not a URL Luna fetches at all, a host name nobody knows, or an address that is off limits.
RefusedUrl = Literal["invalid_url", "unknown_host", "forbidden_address", "too_many_redirects"]
REASON_KEY: Final = "reason"


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """The body of one successful fetch.

    ``url`` is what was asked for, ``final_url`` where the document was found after redirects.
    ``content_type`` is the media type the server declared (lower case, without parameters such as
    ``charset``), or None when it declared none; it is a hint only, the content decides.
    ``filename`` comes from ``Content-Disposition`` or else the last segment of the final URL's path.
    """

    url: str
    final_url: str
    data: bytes
    content_type: str | None
    filename: str | None


class Fetcher(Protocol):
    def fetch(self, url: str) -> FetchedDocument:
        """Download ``url``.

        Raises ``InvalidInput`` for a malformed or forbidden URL (also after a redirect; its
        ``details["reason"]`` is a :data:`RefusedUrl`), ``TooLarge``
        past the size limit, ``Unavailable`` when the remote does not answer in time or cannot be
        reached, ``Unprocessable`` for an error status or an empty body.
        """
        ...
