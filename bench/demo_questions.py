"""Thirty questions a new user asks the demo knowledge base, answered with the answer reader off and on.

    .venv/bin/python bench/demo_questions.py

The golden sets measure the law corpus; a fresh ``make run`` holds the four documents of ``docs/samples``
(a price sheet, a heat-pump guide, a subsidy page, a tariff guide). The questions were written by the
nineteenth session as a user would ask about those documents, before their answers were read; they are
a check, not a held-out set: two defects they showed were fixed on them. Prints, per question, whether
Luna answers (A) or refuses (R) with the reader off and on, and both answers' beginnings where they
differ.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from corpus_container import REPO, corpus_container

from luna.services.knowledge.ingest import IngestRequest

QUESTIONS = (
    "Was kostet die Netznutzung pro Kilowattstunde?",
    "Ich bin Erika. Was kostet die Netznutzung pro Kilowattstunde?",
    "Ich wohne in Ulm. Was kostet die Netznutzung pro Kilowattstunde?",
    "Wie hoch ist der Grundpreis für Haushalte?",
    "Was zahlt ein Gewerbebetrieb für die Netznutzung?",
    "Was bringt Modul 1 bei einer Wärmepumpe?",
    "Wann ist das Netzentgelt in Modul 3 am günstigsten?",
    "Wie teuer ist der Strom in der Hochlastzeit?",
    "Lohnt sich eine Wärmepumpe im Altbau?",
    "Brauche ich für eine Wärmepumpe eine Fußbodenheizung?",
    "Wie laut darf eine Wärmepumpe sein?",
    "Wie viel Förderung gibt es für den Heizungstausch?",
    "Welche Boni gibt es bei der Heizungsförderung?",
    "Muss ich den Förderantrag vor der Beauftragung stellen?",
    "Lohnt sich ein dynamischer Tarif?",
    "Wann lohnt sich Lastverschiebung?",
    "Wann sollte ich die Waschmaschine laufen lassen?",
    "Darf mein Netzbetreiber meine Wärmepumpe drosseln?",
    "Was ist ein dynamischer Stromtarif?",
    "Wie viel kann ich mit Lastverschiebung sparen?",
    "Was ist die Jahresarbeitszahl?",
    "Welche Wärmepumpe passt zu meinem Haus?",
    "Wie hoch ist die Grundförderung?",
    "Gibt es einen Einkommensbonus?",
    "Was passiert, wenn der Strompreis negativ ist?",
    "Wie funktioniert eine Wärmepumpe?",
    "Wer bekommt den Klimageschwindigkeitsbonus?",
    "Ab wann gilt das neue Netzentgelt?",
    "Was kostet der Messstellenbetrieb?",
    "Kann ich mein Elektroauto günstiger laden?",
)


def answers(reader: bool) -> list[tuple[bool, str]]:
    """Each question's (answered, answer) over a fresh knowledge base of the demo documents."""
    with tempfile.TemporaryDirectory(prefix="luna-demo-") as folder:
        container = corpus_container(Path(folder), {"LUNA_RAG__READER__ENABLED": str(reader).lower()})
        try:
            container.database.upgrade()
            kb = container.services.knowledge
            for path in sorted((REPO / "docs" / "samples").iterdir()):
                kb.ingest.ingest(IngestRequest(data=path.read_bytes(), filename=path.name, kind="document"))
            found = [kb.answers.ask(question) for question in QUESTIONS]
            return [(bool(a.citations), " ".join(a.answer.split())) for a in found]
        finally:
            container.close()


def main() -> None:
    off, on = answers(False), answers(True)
    for question, (answered_off, text_off), (answered_on, text_on) in zip(QUESTIONS, off, on, strict=True):
        print(f"{'A' if answered_off else 'R'}{'A' if answered_on else 'R'} {question}")
        if answered_off != answered_on:
            print(f"     off: {text_off[:110]}\n     on:  {text_on[:110]}")
    print(
        f"answered: {sum(a for a, _ in off)} of {len(QUESTIONS)} with the reader off, "
        f"{sum(a for a, _ in on)} with it on"
    )


if __name__ == "__main__":
    main()
