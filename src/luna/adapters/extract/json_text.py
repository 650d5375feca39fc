"""JSON files as readable text: a website's texts (``locales/de.json``), an export of records.

Read as plain text, a JSON file was its syntax: quoted keys, braces and escaped quotes in every chunk, and
an answer quoted ``"contact.box.phone": "052 267 12 12",``. Here its structure decides: a list of flat
objects is a table (one row per object, the keys as header); the other values are grouped under the keys
of the objects that hold them (each a heading at its depth, dotted keys read as nested),
a text of several words as a paragraph of its own and a short value as "name: value"; addresses, file
names and empty values are left out (a link's target says nothing a reader asks about).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from luna.domain.documents import BlockKind, TextBlock

#: Values that are addresses, paths or file names, not text.
_NOT_TEXT = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://|/|www\.|mailto:)|^[\w./-]+\.(?:png|jpe?g|svg|gif|webp|pdf)$", re.IGNORECASE
)
_PROSE_WORDS = 4
_MAX_DEPTH = 32


def json_content(text: str) -> tuple[str | None, list[TextBlock]] | None:
    """The title (the shallowest value named "title") and blocks of a JSON document, or None when
    ``text`` is no JSON object or array."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict | list):
        return None
    blocks: list[TextBlock] = []
    heading: tuple[str, ...] | None = None
    titles: list[tuple[int, int, str]] = []
    while isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), dict):
        data = next(iter(data.values()))  # a wrapper ("translation": {…}) names nothing
    for path, value in _leaves(data, (), 0):
        if path and path[-1].lower() == "title" and _is_text(value):
            titles.append((len(path), len(titles), " ".join(str(value).split())))
        table = _records_table(value)
        if table is None and not _is_text(value):
            continue
        parent = path[:-1] if table is None else path
        if parent != heading and parent:
            # Each level its heading once: the chunker makes the section path of them ("a > b > c").
            shared = _shared_length(parent, heading or ())
            for depth in range(shared, len(parent)):
                blocks.append(TextBlock(BlockKind.HEADING, _words(parent[depth]), level=min(depth + 1, 6)))
        heading = parent
        blocks.append(table if table is not None else _value_block(path[-1] if path else "", str(value)))
    return (min(titles)[2] if titles else None), blocks


def _leaves(value: Any, path: tuple[str, ...], depth: int) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) for every text value and every list of records, dotted keys split into the path."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, (*path, *str(key).split(".")), depth + 1)
    elif isinstance(value, list) and _records_table(value) is None:
        for at, inner in enumerate(value, start=1):
            yield from _leaves(inner, (*path, str(at)) if isinstance(inner, dict | list) else path, depth + 1)
    else:
        yield path, value


def _records_table(value: Any) -> TextBlock | None:
    """A list of at least two flat objects as a table, keys in their first order as the header."""
    if not (isinstance(value, list) and len(value) >= 2 and all(isinstance(v, dict) for v in value)):
        return None
    if any(isinstance(cell, dict | list) for record in value for cell in record.values()):
        return None
    header = list(dict.fromkeys(key for record in value for key in record))
    rows = [[_words(key) for key in header]] + [
        [_cell(record.get(key)) for key in header] for record in value
    ]
    return TextBlock.table(rows)


def _shared_length(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    shared = 0
    while shared < min(len(a), len(b)) and a[shared] == b[shared]:
        shared += 1
    return shared


def _value_block(key: str, value: str) -> TextBlock:
    text = " ".join(value.split())
    words = [word for word in text.split() if any(char.isalpha() for char in word)]
    prose = len(words) >= _PROSE_WORDS or not key or key.isdigit()
    return TextBlock(BlockKind.PARAGRAPH, text if prose else f"{_words(key)}: {text}")


def _is_text(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    text = str(value).strip()
    return bool(text) and not _NOT_TEXT.search(text)


def _cell(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _words(key: str) -> str:
    """A key as words: "teaser_1_title" → "teaser 1 title", "heatPump" → "heat Pump"."""
    spaced = re.sub(r"(?<=[a-zäöü])(?=[A-ZÄÖÜ])", " ", key.replace("_", " ").replace("-", " "))
    return " ".join(spaced.split())
