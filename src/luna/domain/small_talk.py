"""A greeting, a thanks or "Wer bist du?" as the whole message: answered as Luna, not searched.

In a chat tool the first message is often "Hallo"; searched, it was refused with a pointer to the
nearest document ("„Anschrift:“ …"), and "Danke!" after an answer likewise. Only a message that is
nothing but such words counts: "Hallo, was kostet die Netznutzung?" is a question and is searched.
The replies are ``small_talk`` in ``prompts/luna.yml`` (an operator's prompt version rewords them): in
Luna's voice (polite, "Sie"), promising only what she does.
"""

from __future__ import annotations

import re
from typing import Final

from luna.domain.answers import SmallTalkTexts

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


def small_talk_reply(message: str, texts: SmallTalkTexts) -> str | None:
    """Luna's reply (one of ``texts``) when ``message`` is only a greeting, a thanks or a question
    about her; else None."""
    if len(message) > 60:
        return None
    replies = ((_GREETING, texts.greeting), (_THANKS, texts.thanks), (_WHO, texts.about))
    return next((reply for pattern, reply in replies if pattern.match(message)), None)
