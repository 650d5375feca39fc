"""Numbers as German readers write them, for texts the domain words itself (``12.345``, ``0,5``).

The dashboards' ``luna.web.components.formats`` formats with these too (the domain may not import the
web layer, and some of its texts are stored and shown by the API and the CLI as they are: a dataset's
failed gates), so a figure reads the same wherever it is shown. Figures go through
:class:`~decimal.Decimal` of their shortest text, so ``0.29`` is 29 %, not 28,999… %, and 2.675 is
rounded to 2,68 as written, not to 2,67 as the float's binary value would.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from itertools import count

#: Significant digits rounding works with at least (a float has 17).
_PRECISION = 40


#: What is shown for a figure that is not a number (NaN, infinite): a dash, as for a missing value.
NOT_A_FIGURE = "–"


def de_number(value: float | Decimal, digits: int = 0) -> str:
    """``value`` with a decimal comma and dots between thousands, rounded half up to ``digits``."""
    exact = _decimal(value)
    if not exact.is_finite():
        return NOT_A_FIGURE
    rounded = _rounded(exact, digits)
    text = f"{abs(rounded) if rounded.is_zero() else rounded:,.{digits}f}"  # never "-0,00"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def de_percent(share: float | Decimal, digits: int = 0) -> str:
    """A share in 0–1 as a percentage, ``0.285`` → ``29 %``: scaled as written, so the float product
    28.499999… cannot round it down."""
    exact = _decimal(share)
    return f"{de_number(exact.scaleb(2), digits)} %" if exact.is_finite() else NOT_A_FIGURE


def de_exact(value: float) -> str:
    """``value`` with as many decimals as it is written with: ``0,5``, ``1``, ``1.000``."""
    exact = _decimal(value)
    return de_number(exact, _decimals(exact)) if exact.is_finite() else NOT_A_FIGURE


def de_count(amount: float, singular: str, plural: str) -> str:
    """``1 Datensatz``, ``12.345 Datensätze``, ``0,5 Tage``: the noun agrees with the number."""
    return f"{de_exact(amount)} {singular if amount == 1 else plural}"


def de_percents_apart(value: float, bar: float) -> tuple[str, str]:
    """``value`` and the ``bar`` (shares in 0–1) it misses, as percentages that never read the same.

    The bar is shown exactly (``90 %``, ``85,5 %``); the value with no more decimals than the bar, and
    more while it would round to the bar: 0.896 under 0.9 reads ``89,6 %``, never ``90 %``, which would
    say the bar was met."""
    exact_value, exact_bar = _decimal(value).scaleb(2), _decimal(bar).scaleb(2)
    bar_digits = _decimals(exact_bar)
    digits = min(bar_digits, _decimals(exact_value))
    while _rounded(exact_value, digits) == exact_bar != exact_value:
        digits += 1
    return f"{de_number(exact_value, digits)} %", f"{de_number(exact_bar, bar_digits)} %"


def _decimal(value: float | Decimal) -> Decimal:
    """The figure as it is written: an int exactly, a float (NumPy's too, whose repr names its type)
    by its shortest text."""
    if isinstance(value, Decimal | int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def _rounded(value: Decimal, digits: int) -> Decimal:
    """Half up to ``digits``, with room for any float's digits (the default context's 28 would raise)."""
    with localcontext() as context:
        context.prec = max(_PRECISION, value.adjusted() + digits + 2)
        return value.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)


def _decimals(value: Decimal) -> int:
    """How many decimals ``value`` needs to be shown exactly (``85.50``: 1)."""
    return next(digits for digits in count() if _rounded(value, digits) == value)
