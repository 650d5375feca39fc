"""Blob keys: the rules every blob store enforces, so a key valid on one backend is valid on all."""

from __future__ import annotations

from luna.domain.errors import InvalidInput

#: S3 allows 1024 bytes per key; file systems 255 bytes per name. A key must fit every backend.
MAX_KEY_CHARS = 1024
MAX_NAME_BYTES = 255


def check_blob_key(key: str) -> str:
    """Return ``key`` when it is a clean ``/``-separated relative path, else raise InvalidInput.

    Shared by every blob store so that a key valid on one backend is valid on all.
    """
    if not key:
        raise InvalidInput("blob key is empty")
    if "\\" in key or "\x00" in key:
        raise InvalidInput(f"blob key {key!r} contains a backslash or NUL character")
    if key.startswith("/"):
        raise InvalidInput(f"blob key {key!r} is absolute")
    if len(key) > MAX_KEY_CHARS:
        raise InvalidInput(f"blob key is longer than {MAX_KEY_CHARS} characters")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidInput(f"blob key {key!r} has an empty, '.' or '..' segment")
        if len(segment.encode()) > MAX_NAME_BYTES:
            raise InvalidInput(
                f"blob key has a name longer than {MAX_NAME_BYTES} bytes (file systems refuse it)"
            )
    return key


def check_blob_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key (optionally ending in ``/``)."""
    if prefix:
        check_blob_key(prefix.removesuffix("/"))
    return prefix
