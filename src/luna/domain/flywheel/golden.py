"""The evaluation core's golden-set scores as flywheel KPIs, so thresholds and charts see them too.

Sessions say how users feel about answers; a golden set says whether the answers are right. Each
kept evaluation run (``luna eval run``, the ``eval.run`` job) falls into the buckets of its start
time; a bucket's value is the mean over its runs, its samples the answerable questions asked. The
scope is always ``all``: golden questions have no session topic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from luna.domain.evaluation import RunFigures
from luna.domain.flywheel.kpi_values import ALL, Kpi, KpiValue, Window
from luna.domain.flywheel.kpis import bucket_start


def golden_kpis(runs: Iterable[tuple[datetime, RunFigures]]) -> list[KpiValue]:
    """Hit@5 and the share of answers holding the expected figure, per bucket of every window."""
    buckets: defaultdict[tuple[Window, datetime], list[RunFigures]] = defaultdict(list)
    for started, run_figures in runs:
        if run_figures.answerable:
            for window in Window:
                buckets[window, bucket_start(started, window)].append(run_figures)
    order = list(Window)
    values: list[KpiValue] = []
    for (window, start), found in sorted(buckets.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])):
        samples = sum(f.answerable for f in found)
        for kpi, score in (
            (Kpi.GOLDEN_HIT_AT_5, sum(f.hit_at_5 for f in found) / len(found)),
            (Kpi.GOLDEN_ANSWER_RATE, sum(f.answer_holds_needle for f in found) / len(found)),
        ):
            values.append(KpiValue(kpi, window, start, ALL, score, samples))
    return values
