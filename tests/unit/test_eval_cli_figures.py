"""`luna eval run/show/list`: a rate over questions the split does not have is "n/a", never 0.000.

A split of only unanswerable questions showed hit@5 0.000 and "refused although answerable" 0.000, which
read as a retrieval that found nothing and a perfect refusal record."""

from __future__ import annotations

from luna.cli.evaluate import FIGURE_ROWS, _format
from luna.domain.evaluation import RunFigures


def _figures(answerable: int, unanswerable: int) -> RunFigures:
    return RunFigures(answerable, unanswerable, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0, 80.0, 95.0, 12.0)


def _shown(figures: RunFigures) -> dict[str, str]:
    return {label: _format(figures, attribute, form) for label, attribute, form in FIGURE_ROWS}


def test_rates_over_answerable_questions_are_na_when_the_split_has_none() -> None:
    shown = _shown(_figures(answerable=0, unanswerable=4))

    assert shown["hit@5"] == shown["answer states it (1st paragraph)"] == "n/a"
    assert shown["refused although answerable"] == "n/a"
    assert shown["refused when unanswerable"] == "0.500" and shown["answer ms p50"] == "80"


def test_the_refusal_rate_is_na_without_unanswerable_questions_and_measured_rates_stay_figures() -> None:
    shown = _shown(_figures(answerable=3, unanswerable=0))

    assert shown["refused when unanswerable"] == "n/a"
    assert shown["hit@5"] == "0.000" and shown["answerable questions"] == "3"
