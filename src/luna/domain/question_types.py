"""What kind of statement a question asks for, beyond its topic: a rule, not a fit.

"Was brauche ich dafür?" asks for a requirement, and e5-small does not hear it: the sentence "Voraussetzung
ist ein intelligentes Messsystem" ranks 27th of 40 in the demo guide for "Was brauche ich für
Lastverschiebung mit einem dynamischen Tarif?", behind every sentence that repeats the topic. So the
extractive answerer reads a sentence that states a requirement first under such a question, as it reads
a figure first under "Was kostet …?" (:data:`luna.domain.answer_tables.FIGURE_QUESTION`).
"""

from __future__ import annotations

import re
from typing import Final

#: "Was brauche ich …", "Was benötigt man …", "Welche Voraussetzungen …", "Was ist dafür nötig?".
REQUIREMENT_QUESTION: Final = re.compile(
    r"\b(?:was|welche[nrs]?)\b(?:\s+[\wäöüß]+){0,3}?\s+"
    r"(?:brauch\w*|benötig\w*|voraussetzung\w*|erforderlich\w*|nötig|notwendig\w*)\b",
    re.IGNORECASE,
)
#: A sentence naming what is required ("Voraussetzung ist …", "… ist erforderlich", "… setzt … voraus").
REQUIREMENT_STATED: Final = re.compile(
    r"\b(?:voraussetzung\w*|voraus(?:gesetzt|setzt|zusetzen)|erforderlich\w*|benötigt|notwendig\w*|"
    r"nötig\w*|braucht|brauchen|bedarf|pflicht\w*)\b",
    re.IGNORECASE,
)
