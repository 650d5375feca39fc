"""Text every database backend can store: PostgreSQL refuses NUL characters, psycopg lone surrogates.

A value that breaks this rule passes type validation and fails as a 500 in an adapter, so services
check the text they store from callers here (the API also refuses such text at the door,
:mod:`luna.api.text_guard`; this covers the CLI, the dashboards and form fields).
"""

from __future__ import annotations

import unicodedata
from typing import Final

from luna.domain.errors import InvalidInput, field_problem

#: The highest version number (of a dataset, an adapter, a prompt) the API and the CLI accept. None
#: comes near it, and a larger one would reach the database, whose integers end at 2**63 (SQLite's
#: driver raises OverflowError past it): a number beyond this names nothing, so it is refused at the door.
MAX_VERSION: Final = 2**31 - 1


def storable_text(value: str, name: str) -> str:
    """``value`` unless the database cannot store it: NUL characters and lone surrogates are refused."""
    if "\x00" in value:
        problem = "must not contain NUL characters"
        raise InvalidInput(f"{name} {problem}", details=field_problem(name, problem))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        problem = "is not valid Unicode text"
        raise InvalidInput(f"{name} {problem}", details=field_problem(name, problem)) from None
    return value


#: Unicode's explicit direction controls (embeddings, overrides, isolates). In a title or a file name
#: one right-to-left override ("Heizkosten \u202e sparen") reversed every German sentence of Luna's that
#: quoted it, up to the end of the line ("„Heizkosten .“retniW mi neraps“"); German text never needs them.
_DIRECTION_CONTROLS: Final = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def without_direction_controls(text: str) -> str:
    """``text`` without Unicode's explicit direction controls (the marks LRM and RLM stay: they only
    nudge the characters beside them)."""
    return text.translate(_DIRECTION_CONTROLS)


#: C0 and C1 control characters, each to a space (tabs and line ends become the spaces between words).
_CONTROLS: Final = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " ")


def one_line(text: str) -> str:
    """``text`` as a title shows it: one line, without direction controls and control characters (an
    ESC in a title would drive the terminal of whoever lists the documents)."""
    return " ".join(without_direction_controls(text).translate(_CONTROLS).split())


#: The same, without line ends and tabs: text printed on several lines keeps its lines.
_CONTROLS_BUT_LINES: Final = {code: " " for code in _CONTROLS if chr(code) not in "\n\t"}


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: an ESC sequence from a CSV cell or a file name would recolour
    the operator's terminal, retitle it or hide lines; line ends stay."""
    return without_direction_controls(text).translate(_CONTROLS_BUT_LINES)


#: Letters that show as blank space (Braille's blank, Hangul's fillers).
_BLANK_LETTERS: Final = frozenset("\u2800\u3164\u115f\u1160\uffa0")


def shows_something(text: str) -> bool:
    """Whether ``text`` has a character a reader sees: one made only of white space, format characters
    (zero-width space, BOM, direction marks, soft hyphen) and blank letters asks nothing and titles
    nothing, though ``str.strip`` keeps most of them."""
    return any(
        not char.isspace() and unicodedata.category(char) not in ("Cf", "Cc") and char not in _BLANK_LETTERS
        for char in text
    )
