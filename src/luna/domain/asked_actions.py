"""A question that asks how to do something that none of the found passages speaks of: "Wie entlüfte ich
meine Heizkörper?" over the energy laws finds the rules for installing a heat pump, and an answer would
pass them off as the steps asked for. Like a year no passage mentions, it is refused.

Only a question put as "wie <verb> ich / man / wir …" counts, and only a verb that names an action of its
own: "wie bekomme ich", "wie kann ich" or "wie hoch …" ask for something else. The verb counts as found
when a passage holds its stem anywhere in a word ("Entlüftung", "Filterreinigung"); a separable verb
with its particle, also as a participle ("stelle … ein": "Einstellung", "eingestellt"). Verbs whose
stem changes ("nehme … in Betrieb": "Inbetriebnahme") are left alone. Measured in
``bench/absent_actions.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

_HOW_TO: Final = re.compile(
    r"\bwie\s+([a-zäöüß]+)\s+(ich|man|wir)\b(?!\s+(?:mich|sich|uns)\b)([^?,;.!]*)", re.IGNORECASE
)
#: Verbs that do not name a procedure of their own: an outcome asked for ("bekomme", "senke",
#: "vermeide"), conduct ("verhalte"), modals ("kann") and verbs whose stem changes ("nehme … in
#: Betrieb": "Inbetriebnahme").
_NOT_AN_ACTION: Final = frozenset(
    {
        "bekomme", "bekommt", "bekommen", "komme", "kommt", "kommen", "gehe", "geht", "gehen",
        "mache", "macht", "machen", "finde", "findet", "finden", "erfahre", "erfährt", "erfahren",
        "erkenne", "erkennt", "erkennen", "weiß", "wissen", "sehe", "sieht", "sehen",
        "erhalte", "erhält", "erhalten", "habe", "hat", "haben", "bin", "ist", "sind", "werde", "wird",
        "werden", "kann", "können", "muss", "müssen", "soll", "sollen", "darf", "dürfen", "will",
        "wollen", "möchte", "möchten", "nehme", "nimmt", "nehmen", "gebe", "gibt", "geben", "lese",
        "liest", "lesen", "lasse", "lässt", "lassen", "halte", "hält", "halten", "bringe", "bringt",
        "bringen", "ziehe", "zieht", "ziehen", "rechne", "rechnet", "rechnen", "verhalte", "verhält",
        "verhalten", "reagiere", "reagiert", "reagieren", "senke", "senkt", "senken", "reduziere",
        "reduziert", "reduzieren", "verringere", "verringert", "verringern", "optimiere", "optimiert",
        "optimieren", "verbessere", "verbessert", "verbessern", "erreiche", "erreicht", "erreichen",
        "erhöhe", "erhöht", "erhöhen", "steigere", "steigert", "steigern", "vermeide", "vermeidet",
        "vermeiden", "verhindere", "verhindert", "verhindern", "schaffe", "schafft", "schaffen",
        "viel", "hoch", "lange", "oft", "groß", "teuer", "weit", "früh", "schnell", "spät", "alt", "sehr",
    }
)  # fmt: skip
_PARTICLES: Final = frozenset(
    {"ein", "zurück", "an", "ab", "aus", "um", "auf", "zu", "nach", "vor", "fest", "her", "hin", "weg",
     "mit", "los", "durch"}
)  # fmt: skip
_ENDING: Final = re.compile(r"(?:en|e|t)$")
#: A stem that dropped the "e" of an infinitive in -eln / -ern ("wechsle" of "wechseln").
_ELIDED: Final = re.compile(r"([^aeiouäöülr])([lr])$")  # not "stell" → "stelel"
#: The vowel a strong verb's third person changes ("misst" of "messen", "fährt" of "fahren").
_INFINITIVE_VOWEL: Final = {"ie": "e", "i": "e", "äu": "au", "ä": "a"}
_VOWEL_CHANGE: Final = re.compile("ie|äu|i|ä")


def actions_not_found(question: str, passages: Iterable[str]) -> list[str]:
    """The actions ``question`` asks how to do ("entlüfte") that no passage speaks of, in its order."""
    text = " ".join(passages).casefold()
    missing: list[str] = []
    for verb, person, rest in _HOW_TO.findall(question):
        forms = _forms(verb.casefold(), person.casefold() == "man", rest)
        if forms and not any(form in text for form in forms) and verb not in missing:
            missing.append(verb)
    return missing


def _forms(verb: str, third_person: bool, rest: str) -> list[str]:
    """How a passage may write the action: its stem ("wechsle" also as "wechsel", "misst" as "mess"),
    with a separable particle also as a participle ("stelle … ein": "einstell", "eingestell")."""
    if verb in _NOT_AN_ACTION:
        return []
    stem = _ENDING.sub("", verb)
    if len(stem) < 4:
        return []  # too short a stem matches inside any word
    stems = {stem, _ELIDED.sub(r"\1e\2", stem)}  # "wechsle" → "wechsel", "sammle" → "sammel"
    if third_person:  # "misst", "wäscht", "fährt": the infinitive's vowel
        stems |= {_VOWEL_CHANGE.sub(lambda m: _INFINITIVE_VOWEL[m.group(0)], s, count=1) for s in set(stems)}
    words = rest.split()
    particle = words[-1].casefold() if words and words[-1].casefold() in _PARTICLES else ""
    if not particle:
        return sorted(stems)
    return sorted({particle + s for s in stems} | {f"{particle}ge{s}" for s in stems})
