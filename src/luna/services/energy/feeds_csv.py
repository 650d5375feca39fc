"""Reading CSV drops in the seed's format, chunk by chunk.

A drop may hold millions of rows, so the file is read with the ``csv`` module straight into column
lists of ``CHUNK_ROWS`` rows each, which become the validator's columnar input; no row objects are
built and no more than one chunk is held at a time. Line numbers are the file's (the header is
line 1), so a problem report points at the line an operator opens in an editor.
"""

from __future__ import annotations

import csv
import io
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Final, Literal

import numpy as np

from luna.domain.energy_sequence import Problem
from luna.domain.energy_validation import RawRows, check_header
from luna.domain.errors import InvalidInput

CsvKind = Literal["smart_meter_readings", "market_prices"]
CSV_KINDS: Final[tuple[CsvKind, ...]] = ("smart_meter_readings", "market_prices")
CHUNK_ROWS: Final = 50_000
NAME_HINT: Final = "the file name must match smart_meter_readings*.csv or market_prices*.csv"


def csv_kind(key: str) -> CsvKind | None:
    """What a drop holds, from its file name (``smart_meter_readings*.csv``, ``market_prices*.csv``)."""
    name = posixpath.basename(key).lower()
    return next((kind for kind in CSV_KINDS if fnmatchcase(name, f"{kind}*.csv")), None)


@dataclass(frozen=True, eq=False)
class CsvChunk:
    """Up to ``CHUNK_ROWS`` well-formed rows, and the rows of the same stretch that had the wrong
    number of fields (refused before validation, as they cannot be read as a row at all)."""

    raw: RawRows
    malformed: list[Problem] = field(default_factory=list)
    malformed_rows: int = 0


def _text(data: bytes) -> io.TextIOWrapper:
    # utf-8-sig drops the BOM spreadsheet programs write; undecodable bytes become U+FFFD, so the
    # row holding them is refused by validation instead of the whole file. NUL becomes U+FFFD too:
    # PostgreSQL stores no NUL, and NumPy strings drop trailing ones ("m-3\x00" would become "m-3").
    if b"\x00" in data:
        data = data.replace(b"\x00", "\ufffd".encode())
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")


def read_header(data: bytes, kind: CsvKind) -> list[str]:
    """The checked header (raises :class:`InvalidInput` for an empty file or a wrong header)."""
    try:
        header = next(csv.reader(_text(data)), None)
    except csv.Error as error:
        raise InvalidInput(f"The header line cannot be read as CSV: {error}.") from None
    if header is None:
        raise InvalidInput("The file is empty; it needs the header line and rows.")
    return check_header(header, kind=kind)


def read_chunks(data: bytes, kind: CsvKind, *, max_listed: int) -> Iterator[CsvChunk]:
    """The rows of a CSV drop in chunks; the header is checked before the first chunk is produced.

    A line the CSV reader cannot read at all (an unterminated quote running to the end, a field over
    the reader's size limit) ends the file there with a problem on that line: rows before it count.
    """
    reader = csv.reader(_text(data))
    names = read_header(data, kind)
    next(reader)
    width = len(names)
    columns: list[list[str]] = [[] for _ in names]
    lines: list[int] = []
    malformed: list[Problem] = []
    malformed_rows = 0

    def chunk() -> CsvChunk:
        raw = RawRows(
            line=np.array(lines, dtype=np.int64),
            columns={
                name: np.array(values, dtype=np.str_) for name, values in zip(names, columns, strict=True)
            },
        )
        return CsvChunk(raw=raw, malformed=list(malformed), malformed_rows=malformed_rows)

    while True:
        try:
            row = next(reader, None)
        except csv.Error as error:
            malformed.append(
                Problem(line=reader.line_num, field="row", reason=f"cannot be read as CSV: {error}")
            )
            malformed_rows += 1
            row = None
        if row is None:
            break
        if not row or row == [""]:
            continue
        if len(row) != width:
            malformed_rows += 1
            if len(malformed) < max_listed:
                reason = f"has {len(row)} fields; the header has {width}"
                malformed.append(Problem(line=reader.line_num, field="row", reason=reason))
            continue
        lines.append(reader.line_num)
        for values, value in zip(columns, row, strict=True):
            values.append(value)
        if len(lines) >= CHUNK_ROWS:
            yield chunk()
            columns, lines, malformed, malformed_rows = [[] for _ in names], [], [], 0
    if lines or malformed_rows:
        yield chunk()
