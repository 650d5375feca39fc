"""Which actions a how-to question asks for that no found passage speaks of."""

from __future__ import annotations

import pytest

from luna.domain.asked_actions import actions_not_found

LAW = "Beim Einbau einer Wärmepumpe gelten die Anforderungen als erfüllt. Der Antrag wird beim BAFA gestellt."


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("Wie entlüfte ich nach dem Einbau meine Heizkörper richtig?", ["entlüfte"]),
        ("Wie reinigt man die Filter der Lüftungsanlage?", ["reinigt"]),
        ("Wie hoch ist der Druck, und wie entlüfte ich die Heizkörper?", ["entlüfte"]),
    ],
)
def test_an_action_no_passage_speaks_of_is_missing(question: str, missing: list[str]) -> None:
    assert actions_not_found(question, [LAW]) == missing


@pytest.mark.parametrize(
    ("question", "passage"),
    [
        ("Wie beantrage ich die Förderung?", "Die Förderung wird beim BAFA beantragt."),
        ("Wie entlüfte ich die Heizkörper?", "Zur Entlüftung der Heizkörper öffnen Sie das Ventil."),
        # a separable verb with its particle, as a noun and as a participle
        ("Wie stelle ich die Heizkurve ein?", "Die Einstellung der Heizkurve …"),
        ("Wie melde ich meine PV-Anlage an?", "Die Anlage ist beim Netzbetreiber angemeldet."),
        # a verb in -eln that drops its "e", and a strong verb's third person
        ("Wie wechsle ich den Stromanbieter?", "Der Lieferantenwechsel ist unentgeltlich."),
        ("Wie misst man den Verbrauch?", "Die Messung erfolgt viertelstündlich."),
    ],
)
def test_an_action_a_passage_speaks_of_is_found(question: str, passage: str) -> None:
    assert actions_not_found(question, [passage]) == []


@pytest.mark.parametrize(
    "question",
    [
        "Wie viel bekomme ich für den eingespeisten Strom?",  # an amount, not an action
        "Wie bekomme ich die Förderung?",  # an outcome
        "Wie kann ich sparen?",  # a modal: the action comes later
        "Wie nehme ich die Anlage in Betrieb?",  # the stem changes: "Inbetriebnahme"
        "Wie senke ich meine Stromkosten?",  # an outcome: the passages name the means
        "Wie wehre ich mich gegen die Preiserhöhung?",  # conduct, asked reflexively
        "Was kostet die Netznutzung?",
    ],
)
def test_questions_that_name_no_action_of_their_own_miss_nothing(question: str) -> None:
    assert actions_not_found(question, [LAW]) == []
