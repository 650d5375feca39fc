"""Which linkage threshold groups session questions into topics? Tuned on its own topics, tested on
the loop benchmark's.

    .venv/bin/python bench/topic_threshold.py

The tune set (``TUNE``, eight energy topics with four questions each, written for this) chooses
``DEFAULT_THRESHOLD`` in ``luna.domain.flywheel.topics``: the lowest threshold whose groups are at
least 95 % pure (a gap ticket must be about one topic; a topic split in two still yields tickets).
The test set is the seven topics of ``bench/flywheel_loop.py`` (never used for the choice); its
figures are the ones to quote. Purity: share of questions in their group's majority topic.
Completeness: mean share of a topic's questions in its largest group.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flywheel_loop import COVERED, INJECTED

from luna.container import build_container
from luna.domain.flywheel.topics import DEFAULT_THRESHOLD, cluster
from luna.settings import load_settings

TUNE = {
    "einspeisevergütung": [
        "Wie hoch ist die Einspeisevergütung für meine Solaranlage?",
        "Was bekomme ich für eingespeisten Solarstrom?",
        "Wie lange wird die Einspeisevergütung gezahlt?",
        "Lohnt sich Einspeisen oder Eigenverbrauch mehr?",
    ],
    "dynamischer tarif": [
        "Was ist ein dynamischer Stromtarif?",
        "Wann lohnt sich ein Tarif mit stündlichen Preisen?",
        "Brauche ich für einen dynamischen Tarif ein Smart Meter?",
        "Wie oft ändert sich der Preis beim dynamischen Tarif?",
    ],
    "stromsteuer": [
        "Wie hoch ist die Stromsteuer pro Kilowattstunde?",
        "Wer zahlt die Stromsteuer?",
        "Ist die Stromsteuer im Arbeitspreis enthalten?",
        "Kann ich von der Stromsteuer befreit werden?",
    ],
    "speicher": [
        "Lohnt sich ein Batteriespeicher zur Photovoltaikanlage?",
        "Wie groß sollte mein Stromspeicher sein?",
        "Wie lange hält ein Heimspeicher?",
        "Was kostet ein Solarspeicher mit 10 kWh?",
    ],
    "e-auto laden": [
        "Was kostet es, ein Elektroauto zu Hause zu laden?",
        "Wie lange dauert das Laden eines E-Autos an der Steckdose?",
        "Darf ich mein Elektroauto nachts günstiger laden?",
        "Wie viel Strom verbraucht ein E-Auto auf 100 km?",
    ],
    "abschlag": [
        "Warum ist mein monatlicher Abschlag gestiegen?",
        "Kann ich meinen Stromabschlag selbst anpassen?",
        "Wann bekomme ich meine Jahresabrechnung?",
        "Was passiert, wenn ich zu wenig Abschlag gezahlt habe?",
    ],
    "stromausfall": [
        "Wen rufe ich bei einem Stromausfall an?",
        "Warum ist bei mir der Strom ausgefallen?",
        "Bekomme ich eine Entschädigung nach einem Stromausfall?",
        "Wie lange darf ein Stromausfall dauern?",
    ],
    "nachtspeicher": [
        "Sind Nachtspeicherheizungen noch erlaubt?",
        "Gibt es einen günstigen Tarif für Nachtspeicheröfen?",
        "Womit ersetze ich meine Nachtspeicherheizung?",
        "Wie viel Strom braucht eine Nachtspeicherheizung?",
    ],
}
THRESHOLDS = (0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 0.90)


def figures(embed: object, topics_: dict[str, list[str]], threshold: float) -> tuple[float, float, int]:
    questions = [q for qs in topics_.values() for q in qs]
    names = np.array([name for name, qs in topics_.items() for _ in qs])
    groups = np.array(cluster([embed.embed_query(q) for q in questions], threshold))  # type: ignore[attr-defined]
    purity = sum(Counter(names[groups == g]).most_common(1)[0][1] for g in set(groups)) / len(names)
    whole = [Counter(groups[names == t]).most_common(1)[0][1] / (names == t).sum() for t in topics_]
    return purity, float(np.mean(whole)), len(set(groups))


def main() -> None:
    work = Path(__file__).resolve().parent / "out" / "topic_threshold"
    environ = {
        **os.environ,
        "LUNA_DATA_DIR": str(work),
        "LUNA_AUTH__ADMIN_API_KEY": "bench-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "bench-jwt-secret-0123456789",
        "LUNA_FLYWHEEL__PSEUDONYM_KEY": "bench-pseudonym-key-0123456789",
        "LUNA_LOGGING__LEVEL": "ERROR",
    }
    container = build_container(load_settings("default", environ=environ, env_file=work / "none.env"))
    test = {name: questions for name, (_, questions) in {**COVERED, **INJECTED}.items()}
    print(f"embedder {container.embedder.model_name}; shipped threshold {DEFAULT_THRESHOLD}")
    print(
        "threshold | tune: purity, completeness, groups (8 topics) | test: purity, completeness, groups (7)"
    )
    for threshold in THRESHOLDS:
        tune = figures(container.embedder, TUNE, threshold)
        held_out = figures(container.embedder, test, threshold)
        print(
            f"{threshold:.2f} | {tune[0]:.2f}, {tune[1]:.2f}, {tune[2]} | "
            f"{held_out[0]:.2f}, {held_out[1]:.2f}, {held_out[2]}"
        )
    container.close()


if __name__ == "__main__":
    main()
