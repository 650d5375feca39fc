"""What an ingest request may say (kinds, sources, tags) and where an item's blobs are stored.

Shared by ingest, the corpus service (tags of an existing item) and the consistency check (which
lists an item's blobs by these prefixes and finds a version's blobs by the name its chunks record).

An item's blobs are ``docs/raw/<item>/<stem><ext>`` (the uploaded file) and
``docs/processed/<item>/<stem>.json`` (the extracted text), where the stem names the version: ``v1`` for
the first, ``v<n>-<12 hex>`` for every later one (:func:`upload_blob_stem`). Each chunk records its
version's stem under :data:`BLOB_STEM_KEY`, so a version's files are found from its rows.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Final

from luna.domain.errors import Conflict, InvalidInput, TooLarge
from luna.domain.items import Item, ItemChunk, ItemStatus

KINDS = ("document", "regulation", "note")
SOURCES = ("upload", "crawler", "api")
MAX_TAGS = 20
MAX_TAG_CHARS = 64


def raw_blob_prefix(item_id: str) -> str:
    return f"docs/raw/{item_id}/"


def processed_blob_prefix(item_id: str) -> str:
    return f"docs/processed/{item_id}/"


#: The chunk metadata key that names the stem of the blobs of the chunk's version.
BLOB_STEM_KEY: Final = "blob_stem"
_UPLOAD_STEM: Final = re.compile(r"v([0-9]+)-[0-9a-f]{12}")


def plain_blob_stem(version: int) -> str:
    """``v<n>``: the stem of a first version's blobs, and of any version stored before stems were recorded."""
    return f"v{version}"


def upload_blob_stem(version: int) -> str:
    """A stem for one upload of ``version`` that no other upload of it uses: ``v<n>-<12 hex>``.

    A new version's files are written before the compare-and-set that decides whether the upload becomes
    that version, so that no blob is written while the write transaction holds the database's lock; two
    uploads made from the same version then must not write the same keys, or the refused one would
    overwrite or delete the files of the one that won.
    """
    return f"{plain_blob_stem(version)}-{secrets.token_hex(6)}"


def upload_version(stem: str) -> int | None:
    """The version an upload's blob stem (:func:`upload_blob_stem`) was made for; None for other stems."""
    match = _UPLOAD_STEM.fullmatch(stem)
    return None if match is None else int(match.group(1))


def version_blob_stem(chunk: ItemChunk) -> str:
    """The stem of the blobs of ``chunk``'s version; chunks stored before it was recorded are ``v<n>``."""
    stem, version = chunk.metadata.get(BLOB_STEM_KEY), chunk.metadata.get("version")
    if isinstance(stem, str):
        return stem
    return plain_blob_stem(version if isinstance(version, int) else 1)


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


def duplicate_conflict(existing: Item) -> Conflict:
    """The 409 for a file stored already (or being stored right now) as ``existing``."""
    if existing.status is ItemStatus.PENDING:
        return Conflict(
            f"This document is being ingested right now as item {existing.item_id}.",
            details={"item_id": existing.item_id, "sha256": existing.sha256, "status": existing.status.value},
        )
    return Conflict(
        f"This document was already ingested as item {existing.item_id} ({existing.title or 'untitled'}).",
        details={"item_id": existing.item_id, "sha256": existing.sha256, "status": existing.status.value},
    )


def too_large(size: int, max_bytes: int) -> TooLarge:
    """The refusal of a file of ``size`` bytes, larger than ``max_bytes`` (``api.max_upload_mb``)."""
    limit = f"at most {max_bytes / 2**20:g} MiB are accepted (setting api.max_upload_mb)"
    return TooLarge(f"The file has {size / 2**20:.1f} MiB; {limit}.", details={"max_bytes": max_bytes})
