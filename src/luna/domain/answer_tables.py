"""Table rows as answers: a price sheet's row, quoted with its column headers, is the answer to "Was
kostet …?" far more often than any sentence around it.

The chunker keeps tables whole as Markdown (``| Kundengruppe | Grundpreis (€/a) | … |``). A row on its
own means nothing ("| Haushalt … | 60,00 | 8,12 | – |"), so each row becomes a statement that names
its columns: "Haushalt ohne Leistungsmessung (SLP): Grundpreis (€/a) 60,00 · Arbeitspreis (ct/kWh)
8,12". Units are spelled out for matching, since people ask per "Kilowattstunde" and sheets say "kWh".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_RULE = re.compile(r"^[\s|:\-]+$")
_EMPTY_CELL = {"", "–", "-", "—"}
#: Units as sheets write them → the words people ask with (added to what a row matches, never shown).
UNIT_WORDS = {
    "kwh": "Kilowattstunde Kilowattstunden Strom",
    "mwh": "Megawattstunde",
    "kw": "Kilowatt Leistung",
    "ct": "Cent",
    "€": "Euro Kosten Preis",
    "eur": "Euro Kosten Preis",
    "%": "Prozent",
}
_UNIT = re.compile(r"kwh|mwh|kw|ct|€|eur|%", re.IGNORECASE)
#: "Was kostet …", "Wie hoch …", "Wie viel …", "Bis wann …": the answer is a figure or a date. The
#: question may open with it or ask it in a later clause ("Wird … gefördert, und mit wie viel Euro …?").
FIGURE_QUESTION = re.compile(
    # at the start of a sentence, or of a clause joined by "und"/"oder" (an aside "…, wie viele andere, …"
    # asks for nothing)
    r"(?:^\s*|[.?!]\s+|(?:,\s*|\s)(?:und|oder)\s+(?:mit\s+)?)"
    r"(?:was\s+kostet|was\s+kosten|wie\s+hoch|wie\s+viel|wieviel|wie\s+teuer|wie\s+lange|bis\s+wann|"
    r"ab\s+wann|wann\s+(?:muss|müssen|darf|endet|beginnt)|welche[nrs]?\s+(?:preis|betrag|frist|höhe)|"
    r"um\s+wie\s+viel|in\s+welcher\s+höhe)",
    re.IGNORECASE,
)
#: An amount with its unit, as German and Swiss documents write them (8,12 ct/kWh · 30 Euro · 60 % ·
#: drei Wochen · 17 Rappen · 1'500 Franken · CHF 900), and the periods and sizes statutes spell out
#: (acht Werktage · zwölf Kalendermonate · 500 Quadratmeter · 19 Grad). Spelled-out energy is left
#: out: "drei bis fünf Kilowattstunden Wärme" in a heat-pump guide would lead "Was kostet die
#: Netznutzung pro Kilowattstunde?" (bench/RESULTS.md, "The statutes' spelled-out periods and sizes").
#: The number is matched once, from its first digit (an atomic group): a long run of digits without a
#: unit must not be retried from every digit.
FIGURE_WITH_UNIT = re.compile(
    r"(?:(?<![\d,'])(?<!\d\.)(?>\d+(?:[.,']\d+)*)|\b(?:ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|zwölf)\w*)\s*"
    r"(?:%|€|Euro\b|EUR\b|Cent\b|ct\b|CHF\b|Franken\b|Rappen\b|Rp\.|"
    r"kWh\b|MWh\b|kWp?\b|Prozent\b|Wochen?\b|Monate?n?\b|Tage?n?\b|"
    r"Jahre?n?\b|Stunden?\b|Minuten?\b|(?:Werk|Kalender)(?:tage?n?|wochen?|monate?n?|jahre?n?)\b|"
    r"Quadratmetern?\b|m²|Kubikmetern?\b|Grad\b|Kilometern?\b|Litern?\b|Tonnen?\b)"
    r"|(?:\bCHF|\bEUR|€)\s*\d",  # the currency first: "CHF 900", "€ 30"
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class TableRow:
    #: The row as a statement that names its columns (what the answer quotes).
    text: str
    #: Extra words for matching: the headers' units spelled out.
    match_text: str


def is_table(text: str) -> bool:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return len(lines) >= 3 and all(_ROW.match(line) for line in lines) and bool(_RULE.match(lines[1]))


def table_rows(text: str) -> list[TableRow]:
    """Each data row of a Markdown table as a statement; [] when ``text`` is no table."""
    if not is_table(text):
        return []
    lines = [line for line in text.strip().splitlines() if line.strip()]
    header = _cells(lines[0])
    if _is_pairs(header, lines):
        return _pairs(header, lines)
    rows = []
    for line in lines[2:]:
        cells = _cells(line)
        if not cells or all(cell in _EMPTY_CELL for cell in cells):
            continue
        label, values = cells[0].rstrip(" :"), list(zip(header[1:], cells[1:], strict=False))
        shown = [f"{name} {value}".strip() for name, value in values if value not in _EMPTY_CELL]
        statement = " · ".join(shown) if not label else f"{label}: {' · '.join(shown)}" if shown else label
        units = {unit.casefold() for name in header for unit in _UNIT.findall(name)}
        rows.append(TableRow(statement, " ".join(UNIT_WORDS[unit] for unit in sorted(units))))
    return rows


def is_header_only(text: str) -> bool:
    """A table of column names and no row (a form's frame whose cells stood apart): nothing to quote."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return len(lines) == 2 and bool(_ROW.match(lines[0])) and bool(_RULE.match(lines[1]))


def _is_pairs(header: list[str], lines: list[str]) -> bool:
    """A form's fields set as a two-column table ("| IBAN: | DE91… |"): its first row is a field as well
    ("| Zahlungstyp: | 58 … |", "|  | 76138 Karlsruhe |"), or the name of the group the fields belong to
    ("| Verkäufer |  |")."""
    two_columns = all(len(_cells(line)) == 2 for line in lines[2:])
    field = header[0].rstrip().endswith(":") or not header[0]
    return len(header) == 2 and two_columns and (field or not header[1])


def _pairs(header: list[str], lines: list[str]) -> list[TableRow]:
    """Each field as "Name: value"; under a group's name, with it ("Verkäufer – Nummer: 549910")."""
    grouped = not header[1] and bool(header[0]) and not header[0].rstrip().endswith(":")
    fields = lines[2:] if grouped else [lines[0], *lines[2:]]
    group = f"{header[0]} – " if grouped and header[0] else ""
    return [TableRow(group + _pair(cells), "") for line in fields if any(cells := _cells(line))]


def _pair(cells: list[str]) -> str:
    """A field as a statement ("IBAN: DE91…"); one without a name ("|  | 76138 Karlsruhe |") is its value."""
    name, value = (cell.strip() for cell in cells)
    name = name.rstrip(" :")
    return f"{name}: {value}" if name else value


def _cells(line: str) -> list[str]:
    matched = _ROW.match(line)
    return [cell.strip() for cell in matched.group(1).split("|")] if matched else []


_CHUNK_MARK_LINE = re.compile(r"^\[chunk [^\]]+\]$")


def without_tables_shown_before(answer: str, said: Sequence[str]) -> str:
    """``answer`` without the Markdown tables (header, rule and rows) an earlier answer of the conversation
    showed whole, line for line, and without the ``[chunk …]`` line that cites such a table: "Und für
    Gewerbe?" after the price sheet's answer is answered by its row, not by the same table again."""
    earlier = [f"\n{text}\n" for text in said]
    lines = answer.split("\n")
    kept: list[str] = []
    at, left_out = 0, False
    while at < len(lines):
        end = at
        while end < len(lines) and _ROW.match(lines[end]):
            end += 1
        table = "\n".join(lines[at:end])
        whole = end - at >= 2 and _RULE.match(lines[at + 1]) is not None
        if not whole or not any(f"\n{table}\n" in text for text in earlier):
            kept.extend(lines[at : max(end, at + 1)])
            at = max(end, at + 1)
            continue
        if end < len(lines) and _CHUNK_MARK_LINE.match(lines[end].strip()):
            end += 1
        while kept and not kept[-1].strip() and end < len(lines) and not lines[end].strip():
            kept.pop()  # one blank line where the table stood, not two
        at, left_out = end, True
    return "\n".join(kept).strip("\n") if left_out else answer
