"""The datasets page names the cleaning steps in German, the pipeline file's word beside it (the page
showed ``validate``, ``pii`` and ``dedup:strict`` bare, and each example as a Python dict)."""

from __future__ import annotations

import pytest

from luna.web.admin.dataset_words import step_label


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("validate", "Prüfung der Felder (validate)"),
        ("pii", "Personendaten (pii)"),
        ("dedup:strict", "Dubletten, gleich (dedup:strict)"),
        (
            "outliers:iqr:price_eur_mwh",
            "Ausreißer, Quartilsabstand, price_eur_mwh (outliers:iqr:price_eur_mwh)",
        ),
        ("normalise-units", "normalise-units"),
    ],
)
def test_a_step_is_named_in_german_with_its_pipeline_word(name: str, label: str) -> None:
    assert step_label(name) == label
