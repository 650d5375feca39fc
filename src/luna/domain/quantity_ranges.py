"""Whether a sentence's size limits include the size a question states: "ein BHKW mit 40 kW" is
answered by "für den KWK-Leistungsanteil von bis zu 50 Kilowatt: 8 Cent", not by "mit einer Leistung
von mehr als 50 Megawatt bis einschließlich 100 Megawatt 1,3 Cent".

Statutes and tariffs set their rules by bands (Leistung, Jahresverbrauch, Nutzfläche, Einwohner), and
e5 hears the topic of every band alike. This reads the bands as numbers: a question's quantities
(value and unit, in one base unit per dimension) against a sentence's bounds ("bis zu", "mehr als",
"höchstens", "… oder weniger", "… nicht übersteigenden"), a lower bound followed by "bis" forming one
band. Measured in ``bench/quantity_ranges.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

#: Unit word → (dimension, factor to the dimension's base unit: kW, kWh, m², persons, litres).
_UNITS: Final[dict[str, tuple[str, float]]] = {
    "w": ("power", 1e-3),
    "watt": ("power", 1e-3),
    "kw": ("power", 1.0),
    "kwp": ("power", 1.0),
    "kilowatt": ("power", 1.0),
    "kilowattpeak": ("power", 1.0),
    "mw": ("power", 1e3),
    "megawatt": ("power", 1e3),
    "gw": ("power", 1e6),
    "gigawatt": ("power", 1e6),
    "kwh": ("energy", 1.0),
    "kilowattstunde": ("energy", 1.0),
    "kilowattstunden": ("energy", 1.0),
    "mwh": ("energy", 1e3),
    "megawattstunde": ("energy", 1e3),
    "megawattstunden": ("energy", 1e3),
    "gwh": ("energy", 1e6),
    "gigawattstunde": ("energy", 1e6),
    "gigawattstunden": ("energy", 1e6),
    "m²": ("area", 1.0),
    "m2": ("area", 1.0),
    "qm": ("area", 1.0),
    "quadratmeter": ("area", 1.0),
    "quadratmetern": ("area", 1.0),
    "einwohner": ("people", 1.0),
    "einwohnern": ("people", 1.0),
    "einwohnerinnen": ("people", 1.0),
    "liter": ("volume", 1.0),
    "litern": ("volume", 1.0),
}
#: A number as German texts write it ("40", "1,5", "8.000", "10 000"), then its unit; the longest unit
#: first, so "Kilowattstunden" is not read as "Kilowatt". A number starts only at its first group of
#: digits, so a long run of groups without a unit is read once, not once from every group (a group
#: after a year, "2026 100 000 Einwohner", still starts one).
_GROUP_BEFORE = "".join(rf"(?<!(?<!\d){digits}[\u00a0\u202f ])" for digits in (r"\d", r"\d\d", r"\d\d\d"))
_NUMBER = r"(?<![\d.,])" + _GROUP_BEFORE + r"(\d{1,3}(?:[.\u00a0\u202f ]\d{3})+(?:,\d+)?|\d+(?:,\d+)?)"
_UNIT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_QUANTITY: Final = re.compile(_NUMBER + r"\s*(" + _UNIT + r")(?![\wäöüß])", re.IGNORECASE)
#: Words before a quantity that make it a bound: (kind, strict). "bis" also closes a band.
_BEFORE: Final = re.compile(
    r"\b(?:(?P<upper>bis\s+(?:zu|einschließlich|zum)|bis|höchstens|maximal|nicht\s+mehr\s+als)"
    r"|(?P<below>weniger\s+als|unter|unterhalb\s+von|kleiner\s+als)"
    r"|(?P<lower>ab|mindestens|von\s+mindestens|wenigstens)"
    r"|(?P<above>mehr\s+als|über|oberhalb\s+von|größer\s+als))\s+"
    # what the bound is of may stand between: "bis einschließlich einer Bemessungsleistung von 75 kW"
    r"(?:(?:jeweils|einer?|der|des)\s+(?:[\wäöüß-]+\s+){0,2}?(?:von\s+)?(?:einschließlich\s+)?)?$",
    re.IGNORECASE,
)
#: How far before a quantity its bounding words may start.
_BEFORE_REACH = 80
#: Words after a quantity that make it a bound ("500 Quadratmeter überschreiten" is a lower bound).
_AFTER: Final = re.compile(
    r"^\s*(?:(?P<upper>oder\s+weniger|und\s+weniger|nicht\s+übersteig\w*|nicht\s+überschreit\w*)"
    r"|(?P<lower>oder\s+mehr|und\s+mehr)|(?P<above>überschreit\w*|übersteig\w*))\b",
    re.IGNORECASE,
)
#: A lower bound's band goes on to an upper bound within this many characters ("von mehr als 2 Megawatt
#: bis einschließlich 50 Megawatt").
_BAND_GAP = 80


@dataclass(frozen=True, slots=True)
class Quantity:
    dimension: str
    value: float


@dataclass(frozen=True, slots=True)
class Band:
    """The values a rule applies to in one dimension (None: no limit on that side)."""

    dimension: str
    low: float | None = None
    low_strict: bool = False
    high: float | None = None
    high_strict: bool = False

    def holds(self, value: float) -> bool:
        above_low = self.low is None or (value > self.low if self.low_strict else value >= self.low)
        below_high = self.high is None or (value < self.high if self.high_strict else value <= self.high)
        return above_low and below_high


def quantities(text: str) -> list[Quantity]:
    """The sizes ``text`` states with a unit, each in its dimension's base unit."""
    return [_quantity(match) for match in _QUANTITY.finditer(text)]


def bands(text: str) -> list[Band]:
    """The bands ``text`` sets: each bounded quantity, a lower bound and the upper bound right after it
    joined into one band. A quantity without a bounding word sets none."""
    found: list[tuple[int, int, Band]] = []
    for match in _QUANTITY.finditer(text):
        kind = _bound_kind(text, match)
        if kind is None:
            continue
        quantity = _quantity(match)
        band = _band(quantity, kind)
        if found and _closes(found[-1], match.start(), band, text):
            start, _, opened = found.pop()
            band = Band(opened.dimension, opened.low, opened.low_strict, band.high, band.high_strict)
            found.append((start, match.end(), band))
        else:
            found.append((match.start(), match.end(), band))
    return [band for _, _, band in found]


def band_fit(text: str, asked: list[Quantity]) -> int:
    """+1 when a band of ``text`` in a dimension the question states includes an asked value, −1 when
    it has such bands and none does, 0 when it sets no band in those dimensions."""
    dimensions = {q.dimension for q in asked}
    relevant = [band for band in bands(text) if band.dimension in dimensions]
    if not relevant:
        return 0
    fits = any(band.holds(q.value) for band in relevant for q in asked if q.dimension == band.dimension)
    return 1 if fits else -1


def _quantity(match: re.Match[str]) -> Quantity:
    digits = re.sub(r"[.\u00a0\u202f ]", "", match.group(1)).replace(",", ".")
    dimension, factor = _UNITS[match.group(2).casefold()]
    return Quantity(dimension, float(digits) * factor)


def _bound_kind(text: str, match: re.Match[str]) -> str | None:
    before = _BEFORE.search(text[max(0, match.start() - _BEFORE_REACH) : match.start()])
    if before is not None:
        return before.lastgroup
    after = _AFTER.match(text[match.end() : match.end() + 40])
    return after.lastgroup if after is not None else None


def _band(quantity: Quantity, kind: str) -> Band:
    value, dimension = quantity.value, quantity.dimension
    if kind in ("upper", "below"):
        return Band(dimension, high=value, high_strict=kind == "below")
    return Band(dimension, low=value, low_strict=kind == "above")


def _closes(last: tuple[int, int, Band], start: int, band: Band, text: str) -> bool:
    """``band`` (an upper bound) ends the open lower bound ``last`` right before it in the same
    dimension."""
    _, end, opened = last
    return (
        opened.high is None
        and band.low is None
        and opened.dimension == band.dimension
        and start - end <= _BAND_GAP
        and "bis" in text[end:start].casefold()
    )
