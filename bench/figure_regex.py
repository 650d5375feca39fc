"""How long the "amount with its unit" pattern takes on a long run of digits, before and after it
matched each number once (an atomic group), in the same run.

    .venv/bin/python bench/figure_regex.py

A chunk of a table export or a hostile upload can hold such runs; the extractive answerer searches
every sentence of the context with this pattern on each answer.
"""

from __future__ import annotations

import re
import time

from luna.domain.answer_tables import FIGURE_WITH_UNIT

#: The pattern as it stood before (commit f3b89ed): each number was retried from every digit.
BEFORE = re.compile(
    r"(?:\d+(?:[.,']\d+)*|\b(?:ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|zwölf)\w*)\s*"
    r"(?:%|€|Euro\b|EUR\b|Cent\b|ct\b|CHF\b|Franken\b|Rappen\b|Rp\.|"
    r"kWh\b|MWh\b|kWp?\b|Prozent\b|Wochen?\b|Monate?n?\b|Tage?n?\b|"
    r"Jahre?n?\b|Stunden?\b)"
    r"|(?:\bCHF|\bEUR|€)\s*\d",
    re.IGNORECASE,
)


def main() -> None:
    print("| digits | before | after |")
    print("|---|---|---|")
    for digits in (1_000, 5_000, 20_000):
        text = "1" * digits + " Zeichen"
        timings = []
        for pattern in (BEFORE, FIGURE_WITH_UNIT):
            started = time.perf_counter()
            assert pattern.search(text) is None
            timings.append(time.perf_counter() - started)
        print(f"| {digits:,} | {timings[0]:.3f} s | {timings[1]:.4f} s |", flush=True)


if __name__ == "__main__":
    main()
