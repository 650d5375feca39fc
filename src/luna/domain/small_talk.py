"""A greeting, a thanks or "Wer bist du?" as the whole message: answered as Luna, not searched.

In a chat tool the first message is often "Hallo"; searched, it was refused with a pointer to the
nearest document ("„Anschrift:“ …"), and "Danke!" after an answer likewise. Only a message that is
nothing but such words counts: "Hallo, was kostet die Netznutzung?" is a question and is searched.
The replies speak in Luna's voice (``prompts/luna.yml``: polite, "Sie") and promise only what she does.
"""

from __future__ import annotations

import re
from typing import Final

_END: Final = r"[\s!.,?:)(-]*(?:luna)?[\s!.,?:)(-]*$"
_GREETING: Final = re.compile(
    r"^\s*(?:hallo|hi|hey|moin(?: moin)?|servus|grüß gott|grüezi|guten (?:morgen|tag|abend))" + _END,
    re.IGNORECASE,
)
_THANKS: Final = re.compile(
    r"^\s*(?:(?:vielen |herzlichen )?dank(?:e(?: schön| sehr)?|eschön)?|merci|super,? danke)" + _END,
    re.IGNORECASE,
)
_WHO: Final = re.compile(
    r"^\s*(?:wer bist du|wer sind sie|was bist du|wer ist luna|was kannst du|was können sie"
    r"|was kann ich (?:dich|sie) fragen|wobei (?:kannst du|können sie) (?:mir )?helfen|hilfe)" + _END,
    re.IGNORECASE,
)

_REPLIES: Final = (
    (
        _GREETING,
        "Guten Tag, ich bin Luna. Ich beantworte Fragen zu Ihren Energie-Unterlagen – Tarife, "
        "Netzentgelte, Förderung, die Gesetze dazu – und sage jeweils, wo es steht. Was möchten Sie wissen?",
    ),
    (_THANKS, "Gern geschehen. Wenn noch etwas offen ist, fragen Sie einfach."),
    (
        _WHO,
        "Ich bin Luna und antworte aus den Dokumenten meiner Wissensbasis: nur mit dem, was darin steht, "
        "und mit der Quelle zu jeder Aussage; steht etwas nicht darin, sage ich das. Fragen Sie zum "
        "Beispiel nach einem Preis, einer Frist oder einer Regel.",
    ),
)


def small_talk_reply(message: str) -> str | None:
    """Luna's reply when ``message`` is only a greeting, a thanks or a question about her; else None."""
    if len(message) > 60:
        return None
    return next((reply for pattern, reply in _REPLIES if pattern.match(message)), None)
