"""Blob keys: the rules every blob store enforces, so a key valid on one backend is valid on all."""

from __future__ import annotations

from luna.domain.errors import InvalidInput


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
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidInput(f"blob key {key!r} has an empty, '.' or '..' segment")
    return key


def check_blob_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key (optionally ending in ``/``)."""
    if prefix:
        check_blob_key(prefix.removesuffix("/"))
    return prefix
