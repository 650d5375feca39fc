"""Proper names through HanTa, the Hannover Tagger: German part-of-speech tags (STTS) from a model bundled
in its PyPI package, in pure Python, a few milliseconds a question. Base forms through simplemma's German
lemma table (from Wiktionary, bundled too): HanTa tags a plural it has not seen ("Boni") as a name.

No German named-entity model installs here (see :mod:`luna.domain.privacy`); the tagger's ``NE`` tag
(proper noun) is what tells "Viessmann" or "Basel" from "Wärmepumpe", which German capitalises alike.
"""

from __future__ import annotations

import re
import threading
from typing import Any

#: Words (hyphenated and dotted ones whole: "Basel-Stadt", "St.Gallen"; a compound's cut-off first part
#: with its hyphen: "Elektro-" in "Elektro- und Dieselmotor") and single punctuation marks, the tokens
#: the tagger's model was trained on.
_TOKEN = re.compile(r"[\wÄÖÜäöüß]+(?:[-.][\wÄÖÜäöüß]+)*-?|[^\s\w]")
_PROPER_NOUN = "NE"
#: Longer tokens are no name ("Stadtwerke-Energieversorgungsgesellschaft" has 41 characters) and are not
#: tagged: the tagger's time grows with the square of a word's length (200 letters: 0.9 s, 2,000: 38 s,
#: under the lock every question waits for), so one question of one long "word" stalled every answer.
MAX_NAME_CHARS = 48
_MODEL_FILE = "morphmodel_ger.pgz"


class HantaProperNames:
    """:class:`~luna.ports.names.ProperNames` on HanTa; the model loads on the first question."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tagger: Any = None

    def names(self, text: str) -> list[str]:
        tokens = [token for token in _TOKEN.findall(text) if len(token) <= MAX_NAME_CHARS]
        if not tokens:
            return []
        with self._lock:  # the tagger keeps caches of its own
            if self._tagger is None:
                from HanTa import HanoverTagger  # type: ignore[import-untyped]

                self._tagger = HanoverTagger.HanoverTagger(_MODEL_FILE)
            tagged = self._tagger.tag_sent(tokens, taglevel=1)
        return [token for token, _lemma, tag in tagged if tag == _PROPER_NOUN]

    def base_form(self, name: str) -> str:
        # Loaded on the first name no document holds (about a second and 100 MB): most questions
        # name nothing, or what the documents hold.
        import simplemma

        lemma: str = simplemma.lemmatize(name, lang="de")
        return lemma
