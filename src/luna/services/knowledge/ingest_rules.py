"""What an ingest request may say (kinds, sources, tags) and where an item's blobs are stored.

Shared by ingest, the corpus service (tags of an existing item) and the consistency check (which
lists an item's blobs by these prefixes).
"""

from __future__ import annotations

from collections.abc import Sequence

from luna.domain.errors import InvalidInput

KINDS = ("document", "regulation", "note")
SOURCES = ("upload", "crawler", "api")
MAX_TAGS = 20
MAX_TAG_CHARS = 64


def raw_blob_prefix(item_id: str) -> str:
    return f"docs/raw/{item_id}/"


def processed_blob_prefix(item_id: str) -> str:
    return f"docs/processed/{item_id}/"


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Trimmed, de-duplicated tags; empty ones dropped, too many or too long ones refused."""
    cleaned = list(dict.fromkeys(tag.strip() for tag in tags if tag and tag.strip()))
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags are allowed, {len(cleaned)} were given.")
    too_long = [tag for tag in cleaned if len(tag) > MAX_TAG_CHARS]
    if too_long:
        raise InvalidInput(
            f"Tags may have at most {MAX_TAG_CHARS} characters: {too_long[0][:80]!r} is longer."
        )
    return cleaned


def choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InvalidInput(f"{name} must be one of {', '.join(allowed)}; got {value[:40]!r}.")
    return value
