"""Thirty questions a new user asks the demo knowledge base, answered with the answer reader off and on,
or (``quality``) with e5-small and with the quality profile's EmbeddingGemma retrieving.

    .venv/bin/python bench/demo_questions.py            # reader off / on
    .venv/bin/python bench/demo_questions.py quality  # e5-small / EmbeddingGemma (gemma_local.py)
    .venv/bin/python bench/demo_questions.py refine   # the refine leg off / on, caught up (refine_leg.py)

The golden sets measure the law corpus; a fresh ``make run`` holds the four documents of ``docs/samples``
(a price sheet, a heat-pump guide, a subsidy page, a tariff guide). The questions were written by the
nineteenth session as a user would ask about those documents, before their answers were read; they are
a check, not a held-out set: two defects they showed were fixed on them. Prints, per question, whether
Luna answers (A) or refuses (R) in both variants, and both answers' beginnings where they differ.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from corpus_container import REPO, WORK, corpus_container
from gemma_local import GEMMA_WORK, QUALITY

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


CHUNK_ID = re.compile(r"\[chunk [0-9a-f-]+\]")
#: (label, settings) of the two variants each comparison answers with.
VARIANTS: dict[str, tuple[tuple[str, Mapping[str, str]], tuple[str, Mapping[str, str]]]] = {
    "reader": (
        ("the reader off", {"LUNA_RAG__READER__ENABLED": "false"}),
        ("the reader on", {"LUNA_RAG__READER__ENABLED": "true"}),
    ),
    "quality": (
        ("e5-small", {}),
        ("EmbeddingGemma", {**QUALITY, "LUNA_EMBEDDINGS__MODEL_CACHE": str(GEMMA_WORK / "models")}),
    ),
    "refine": (
        ("the refine leg off", {"LUNA_RAG__REFINE__ENABLED": "false"}),
        (
            "the refine leg on",
            {"LUNA_RAG__REFINE__ENABLED": "true", "LUNA_EMBEDDINGS__MODEL_CACHE": str(WORK / "models")},
        ),
    ),
}


def answers(overrides: Mapping[str, str]) -> list[tuple[bool, str]]:
    """Each question's (answered, answer) over a fresh knowledge base of the demo documents."""
    with tempfile.TemporaryDirectory(prefix="luna-demo-") as folder:
        container = corpus_container(Path(folder), overrides)
        try:
            container.database.upgrade()
            kb = container.services.knowledge
            for path in sorted((REPO / "docs" / "samples").iterdir()):
                kb.ingest.ingest(IngestRequest(data=path.read_bytes(), filename=path.name, kind="document"))
            if kb.refine is not None:
                kb.refine.catch_up()  # what the worker's job does after an upload
            found = [kb.answers.ask(question) for question in QUESTIONS]
            # Chunk ids are random per knowledge base: two answers differ only where their words do.
            return [(bool(a.citations), CHUNK_ID.sub("[chunk]", " ".join(a.answer.split()))) for a in found]
        finally:
            container.close()


def main(argv: list[str]) -> None:
    (first, first_settings), (second, second_settings) = VARIANTS[argv[0] if argv else "reader"]
    off, on = answers(first_settings), answers(second_settings)
    for question, (answered_off, text_off), (answered_on, text_on) in zip(QUESTIONS, off, on, strict=True):
        print(f"{'A' if answered_off else 'R'}{'A' if answered_on else 'R'} {question}")
        if answered_off != answered_on or text_off[:110] != text_on[:110]:
            print(f"     1: {text_off[:110]}\n     2: {text_on[:110]}")
    print(
        f"answered: {sum(a for a, _ in off)} of {len(QUESTIONS)} with {first}, "
        f"{sum(a for a, _ in on)} with {second}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
