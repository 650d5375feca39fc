"""CSV and TSV files (a tariff sheet exported from Excel, "Zeitraum;Arbeitspreis ct/kWh") as a table.

Read as plain text, a price list's rows were one run-on paragraph, so no row could be quoted with its
column names. The standard library's ``csv`` sniffer finds the delimiter (German exports use ";" and a
decimal comma, others "," or a tab); the first row is the header, as in every export. A file whose rows
do not share one column count for the most part is no table, and is read as text as before.
"""

from __future__ import annotations

import csv
import io

from luna.domain.documents import TextBlock

_DELIMITERS = ";,\t|"
_SAMPLE_CHARS = 20_000
#: At least this share of the rows must have the header's number of columns.
_REGULAR_SHARE = 0.8


def delimited_table(text: str) -> TextBlock | None:
    """``text`` as one table block (header first), or None when it is not a regular delimited table."""
    sample = text[:_SAMPLE_CHARS]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:
        return None
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    regular = sum(len(row) == len(rows[0]) for row in rows[1:])
    if regular < _REGULAR_SHARE * (len(rows) - 1):
        return None
    return TextBlock.table(rows)
