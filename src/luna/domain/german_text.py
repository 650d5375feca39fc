"""German text analysis for the lexical (BM25) retrieval leg: text in, index terms out.

A plain stemmer misses most German paraphrases, because German glues words together:
"Netzentgelte" never meets "Entgelte für das Stromnetz", and "PV-Anlage" never meets
"Photovoltaikanlage". The analyzer therefore emits, for every word, its Snowball stem *plus* the stems
of its compound parts *plus* a concept term for every domain synonym group it belongs to. Index and
query texts go through the same analysis, so every expansion works in both directions.

Folding: lower case, ``ß`` → ``ss``, umlauts and accents to their base letter (``ä`` → ``a``), and the
digraphs ``ae``/``oe``/``ue`` to ``a``/``o``/``u``, so that "Gebäude", "Gebaeude" and "Gebaude" all
become ``gebaude``. ``ä`` → ``a`` (not ``ae``) is the only choice under which the umlaut-less
spelling meets the other two. The digraph rule mirrors Snowball's German stemmer (``ue`` stays
after ``q`` and when the ``u`` follows a vowel: "Quelle", "Steuer", "Bauer"), so folding and stemming
never disagree; like Snowball it also folds a few non-umlaut spellings ("Bioenergie" → "bionergie"),
consistently on both sides.
"""

from __future__ import annotations

import copy
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import Stemmer

from luna.domain.everyday_terms import EVERYDAY_SYNONYMS

#: Prefix of the concept terms that stand for a whole synonym group; the tokenizer never emits it.
CONCEPT_PREFIX = "~"

#: Small German stop-word list (folded spellings). Question words are in it: "Wer muss …" asks
#: about the rest of the sentence.
_STOPWORDS = """
    aber alle allem allen aller alles als also am an andere anderem anderen anderer anderes auch auf
    aus bei beim bin bis bist da damit dann das dass dem den denen denn der deren des dessen dich die
    dies diese diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines er
    es etwa etwas euch euer fur gegen hab habe haben hat hatte hatten hier ich ihm ihn ihnen ihr ihre
    ihrem ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene kann konnen man mich
    mir mit muss mussen nach nicht noch nun nur ob oder ohne sehr sein seine seinem seinen seiner sich
    sie sind so soll sollen sondern sowie um und uns unser unter uber vom von vor war waren warum was
    weil welche welchem welchen welcher welches wenn wer werde werden wie wieso wir wird wo wurde
    wurden zu zum zur zwischen
"""
STOPWORDS = frozenset(_STOPWORDS.split())

#: Energy words every installation knows, so compounds split even before the corpus teaches more.
#: Verb stems used as the first part of compounds ("Lade-", "Mess-", "Heiz-") are listed as such.
ENERGY_WORDS = """
    abrechnung abschlag anlage anschluss arbeit arbeitspreis ausbau batterie bedarf betreiber betrieb
    bezug bilanz biogas biomasse dach eigen einspeise einspeisung elektro energie entgelt erdgas
    erzeugung fahrzeug fernwärme freifläche gas gebäude gebühr gesetz grund haus haushalt heiz heizung
    kapazität kessel kohle kopplung kosten kraft kraftwerk kunde lade last leistung lieferant
    lieferung lokation markt mess messstelle messung modul netz nutzung pauschale preis pumpe quartier
    rechnung regel solar spannung speicher spitze steuer strom stunde system tarif umlage verbrauch
    verbraucher vergütung verordnung versorger versorgung vertrag wärme wasser watt wind zähler
    zahlung zuschlag
"""

#: Domain synonym and abbreviation groups. The first entry names the group's concept term; entries
#: with spaces are phrases matched on consecutive words; hyphens are ignored ("Kraft-Wärme-Kopplung"
#: is "kraftwärmekopplung").
DOMAIN_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("PV", "Photovoltaik", "Solaranlage", "Solarstromanlage"),
    ("WP", "Wärmepumpe"),
    ("KWK", "Kraft-Wärme-Kopplung"),
    ("KWKG", "Kraft-Wärme-Kopplungsgesetz"),
    ("BHKW", "Blockheizkraftwerk"),
    ("EEG", "Erneuerbare-Energien-Gesetz"),
    ("EnWG", "Energiewirtschaftsgesetz"),
    ("GEG", "Gebäudeenergiegesetz"),
    ("MsbG", "Messstellenbetriebsgesetz"),
    ("StromStG", "Stromsteuergesetz", "Stromsteuer"),
    ("EnEfG", "Energieeffizienzgesetz"),
    ("BNetzA", "Bundesnetzagentur"),
    ("MaLo", "Marktlokation"),
    ("MeLo", "Messlokation"),
    ("SLP", "Standardlastprofil"),
    ("RLM", "registrierende Leistungsmessung", "Lastgangmessung"),
    ("EVU", "Energieversorger", "Energieversorgungsunternehmen"),
    ("VNB", "Verteilernetzbetreiber", "Verteilnetzbetreiber"),
    ("ÜNB", "Übertragungsnetzbetreiber"),
    ("MSB", "Messstellenbetreiber"),
    ("kWh", "Kilowattstunde"),
    ("MWh", "Megawattstunde"),
    ("kW", "Kilowatt"),
    ("kWp", "Kilowatt-Peak"),
    ("iMSys", "Smart Meter", "Smartmeter", "intelligentes Messsystem"),
    ("mME", "moderne Messeinrichtung"),
    ("Wallbox", "Ladepunkt", "Ladestation", "Ladeeinrichtung"),
    ("E-Auto", "Elektroauto", "Elektrofahrzeug", "E-Fahrzeug"),
    ("Batteriespeicher", "Stromspeicher", "Heimspeicher"),
    ("EMS", "Energiemanagementsystem"),
    ("CO2", "Kohlendioxid", "Kohlenstoffdioxid"),
    ("USt", "Umsatzsteuer", "Mehrwertsteuer", "MwSt"),
    ("HKN", "Herkunftsnachweis"),
    ("SteuVE", "steuerbare Verbrauchseinrichtung"),
    ("Netzentgelt", "Netznutzungsentgelt"),
    ("Lastspitze", "Spitzenlast", "Höchstlast", "Jahreshöchstlast"),
    ("dynamischer Stromtarif", "dynamischer Tarif"),
    ("Einspeisevergütung", "Einspeisetarif"),
)

_LETTER_FOLDS = str.maketrans({"ß": "ss", "ä": "a", "ö": "o", "ü": "u", "é": "e", "è": "e", "à": "a"})
_DIGRAPHS = re.compile(r"ae|oe|(?<![aeiouyq])ue")
_TOKENS = re.compile(
    r"§+\s*(?P<section>\d+[a-z]?)\b"
    r"|\bparagra(?:f|ph)(?:en|s)?\s+(?P<named_section>\d+[a-z]?)\b"
    r"|(?P<number>\d+(?:[.,]\d+)+)"
    r"|(?P<word>[^\W_]+(?:-[^\W_]+)*)"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)+")

#: Linking elements ("Fugen") between compound parts: Netz|entgelt, Leistung|s|messung,
#: Pumpe|n|tarif, Bund|es|netz.
_LINKING_ELEMENTS = ("", "s", "es", "n", "en")
#: A part learnt from the corpus must be this long; shorter ones ("gas") come from the built-in list
#: only, so that short corpus words ("amt", "art", "ort") cannot chop long words into fragments.
_MIN_CORPUS_PART = 4
_MIN_PART = 3
_MIN_SPLIT_WORD = 6
_MAX_SPLIT_WORD = 60
#: Score cost of a linking element or an elided "e" (Erde → Erd|gas): prefer plain concatenation.
_JOIN_COST = 1.0


def fold(text: str) -> str:
    """Lower-case and fold umlauts, ``ß``, accents and the ``ae``/``oe``/``ue`` digraphs (see module doc)."""
    folded = text.lower().translate(_LETTER_FOLDS)
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _DIGRAPHS.sub(lambda match: match.group(0)[0], folded)


def surface_tokens(text: str) -> list[str]:
    """Folded tokens in text order: words (hyphenated ones whole), decimals, and ``§14a`` for
    "§ 14a", "§§14a" or "Paragraf 14a"."""
    tokens: list[str] = []
    for match in _TOKENS.finditer(fold(text)):
        section = match.group("section") or match.group("named_section")
        tokens.append(f"§{section}" if section else match.group(0))
    return tokens


class CompoundSplitter:
    """Dictionary-based decompounding: the fewest known parts, ties broken by part frequency.

    The dictionary is the built-in energy words plus the corpus's own vocabulary (words seen in the
    indexed texts, with their counts). Parts may be joined by a linking element, a part may drop its
    final "e", and the last part may be inflected (matched by stem). Each part is split again, so
    "Stromsteuergesetz" yields stromsteuer, gesetz, strom and steuer.
    """

    def __init__(self, vocabulary: Mapping[str, int], stem: Callable[[str], str]) -> None:
        self._stem = stem
        self._frequency: dict[str, int] = {}
        for word, count in vocabulary.items():
            for piece in word.split("-"):
                if len(piece) >= _MIN_CORPUS_PART and piece.isalpha() and piece not in STOPWORDS:
                    self._frequency[piece] = self._frequency.get(piece, 0) + count
        for word in _builtin_words():
            self._frequency[word] = self._frequency.get(word, 0) + 1
        self._by_stem: dict[str, int] = {}
        for word, count in self._frequency.items():
            key = stem(word)
            self._by_stem[key] = max(count, self._by_stem.get(key, 0))
        self._longest = max(len(word) for word in self._frequency)
        self._split_cached = lru_cache(maxsize=1 << 17)(self._split)

    def with_words(self, extra: Mapping[str, str]) -> CompoundSplitter:
        """This splitter knowing ``extra`` (word → its stem) as well, each counted once: its own tables
        copied, nothing stemmed again."""
        wider = copy.copy(self)
        wider._frequency, wider._by_stem = dict(self._frequency), dict(self._by_stem)
        for word, key in extra.items():
            count = wider._frequency[word] = wider._frequency.get(word, 0) + 1
            wider._by_stem[key] = max(count, wider._by_stem.get(key, 0))
        wider._longest = max([self._longest, *map(len, extra)])
        wider._split_cached = lru_cache(maxsize=1 << 17)(wider._split)
        return wider

    def split(self, word: str) -> tuple[str, ...]:
        """All parts of ``word`` at every level (never ``word`` itself); empty when it is not a compound."""
        return self._split_cached(word)

    def _split(self, word: str) -> tuple[str, ...]:
        if not (_MIN_SPLIT_WORD <= len(word) <= _MAX_SPLIT_WORD) or not word.isalpha():
            return ()
        parts = self._segment(word)
        found: dict[str, None] = {}
        for part in parts:
            found[part] = None
            for sub_part in self.split(part):
                found[sub_part] = None
        return tuple(found)

    def _segment(self, word: str) -> tuple[str, ...]:
        """Best segmentation into >= 2 parts, or () when there is none."""
        size = len(word)
        # best[i]: (part count, cost, parts) for the suffix word[i:]; cost = joins - log frequencies.
        best: list[tuple[int, float, tuple[str, ...]] | None] = [None] * (size + 1)
        for start in range(size - _MIN_PART, -1, -1):
            candidates: list[tuple[int, float, tuple[str, ...]]] = []
            if start > 0:
                final = self._final_part(word[start:])
                if final is not None:
                    candidates.append((1, -math.log1p(final[1]), (final[0],)))
            for end in range(start + _MIN_PART, min(size, start + self._longest) + 1):
                known = self._inner_part(word[start:end])
                if known is None:
                    continue
                form, frequency, cost = known
                for link in _LINKING_ELEMENTS:
                    rest = best[end + len(link)] if end + len(link) < size else None
                    if rest is not None and word.startswith(link, end):
                        link_cost = cost + (_JOIN_COST if link else 0.0)
                        candidates.append(
                            (rest[0] + 1, rest[1] + link_cost - math.log1p(frequency), (form, *rest[2]))
                        )
            best[start] = min(candidates) if candidates else None
        whole = best[0]
        return whole[2] if whole is not None and whole[0] >= 2 else ()

    def _inner_part(self, piece: str) -> tuple[str, int, float] | None:
        """A non-final part: a dictionary word, or one whose final "e" was dropped (Erde → Erd|gas)."""
        if piece in self._frequency:
            return piece, self._frequency[piece], 0.0
        elided = piece + "e"
        if elided in self._frequency:
            return elided, self._frequency[elided], _JOIN_COST
        return None

    def _final_part(self, piece: str) -> tuple[str, int] | None:
        """The last part: a dictionary word or an inflected form of one (…|entgelte, …|pumpen)."""
        if piece in self._frequency:
            return piece, self._frequency[piece]
        frequency = self._by_stem.get(self._stem(piece))
        return (piece, frequency) if frequency is not None else None


@dataclass(frozen=True, slots=True)
class _TokenTerms:
    stem: str
    terms: tuple[str, ...]


class GermanAnalyzer:
    """Turns German text into BM25 terms: stems, compound-part stems, § references, concept terms.

    ``vocabulary`` (word → count, in :func:`surface_tokens` spelling) is what the indexed corpus
    contains; it teaches the compound splitter the corpus's own words. An analyzer is immutable: an
    index that learns new words builds a new analyzer, and analyses queries with the one it indexed
    with. Safe to share between threads.
    """

    def __init__(self, vocabulary: Mapping[str, int] | None = None) -> None:
        self._local = threading.local()
        self._splitter = CompoundSplitter(vocabulary or {}, self._stem)
        #: Built on the first query word the index does not know (see :meth:`query_terms`).
        self._common_splitter: CompoundSplitter | None = None
        self._common_lock = threading.Lock()
        #: Concepts of a word or of any compound part of it ("Wärmepumpentarif" is about the "WP").
        self._concepts: dict[str, tuple[str, ...]] = {}
        #: Concepts of a whole word only: an everyday word ("Sperre") inside a legal compound
        #: ("Veränderungssperre") means something else.
        self._word_concepts: dict[str, tuple[str, ...]] = {}
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        #: An everyday group's concept → the statute's term (its first entry) and that term's stems.
        self._statute_terms = {
            CONCEPT_PREFIX + _joined(group[0]): (
                group[0],
                tuple(self._stem(_joined(w)) for w in group[0].split()),
            )
            for group in EVERYDAY_SYNONYMS
        }
        for groups, single in ((DOMAIN_SYNONYMS, self._concepts), (EVERYDAY_SYNONYMS, self._word_concepts)):
            for group in groups:
                concept = CONCEPT_PREFIX + _joined(group[0])
                for member in group:
                    words = [_joined(word) for word in member.split()]
                    if len(words) == 1:
                        key = self._stem(words[0])
                        single[key] = (*single.get(key, ()), concept)
                    else:
                        stems = tuple(self._stem(word) for word in words)
                        self._phrases.setdefault(stems[0], []).append((stems, concept))
        self._token_terms = lru_cache(maxsize=1 << 18)(self._analyse_token)

    def terms(self, text: str) -> list[str]:
        """Index terms of ``text`` in text order, repeated as often as they occur (BM25 counts them)."""
        return self.terms_of_tokens(surface_tokens(text))

    def terms_of_tokens(self, tokens: Sequence[str]) -> list[str]:
        """Like :meth:`terms` for text already split by :func:`surface_tokens` (cheap to re-analyse)."""
        analysed = [self._token_terms(token) for token in tokens]
        terms = [term for token in analysed for term in token.terms]
        stems = [token.stem for token in analysed]
        for position, first in enumerate(stems):
            for phrase, concept in self._phrases.get(first, ()):
                if tuple(stems[position : position + len(phrase)]) == phrase:
                    terms.append(concept)
        return terms

    def query_terms(self, text: str, known: Container[str] | None = None) -> list[str]:
        """Distinct terms of a query, first occurrence first.

        ``known``: the index's terms. A query word none of whose terms the index holds is split again
        with the common words of German as well: a small knowledge base teaches the splitter few words,
        so "Hochlastzeit" stayed whole over a price sheet that says "Hochlast" ("hoch" and "zeit" are
        in none of its documents as words of their own). Only the query: the index keeps its terms.
        """
        tokens = surface_tokens(text)
        terms = self.terms_of_tokens(tokens)
        if known is not None:
            for token in tokens:
                analysed = self._token_terms(token)
                if analysed.terms and not any(term in known for term in analysed.terms):
                    terms.extend(self._common_parts(token))
        return list(dict.fromkeys(terms))

    def _common_parts(self, token: str) -> list[str]:
        """The stems of ``token``'s compound parts by the corpus's, the built-in and common words."""
        with self._common_lock:
            if self._common_splitter is None:
                self._common_splitter = self._splitter.with_words(_common_stems())
            splitter = self._common_splitter
        return [self._stem(part) for part in splitter.split(token) if part not in STOPWORDS]

    def statute_terms(self, text: str) -> list[str]:
        """The statutes' terms for the everyday words of ``text`` ("Balkonkraftwerk" →
        "Steckersolargerät"), each once, leaving out those ``text`` uses itself: what a question in
        everyday words is also about, for a search by meaning (the embedding model does not know that
        the law calls a balcony power plant a plug-in solar device)."""
        terms = self.terms(text)
        present = set(terms)
        named = (self._statute_terms.get(term) for term in terms)
        return list(dict.fromkeys(term for term, stems in filter(None, named) if not set(stems) <= present))

    def stem(self, token: str) -> str:
        """``token``'s stem as the index writes it: umlauts folded, joined at hyphens."""
        return self._token_terms(token).stem

    def names(self, name: str, text: str) -> bool:
        """Whether ``text`` names ``name`` itself: every word of it (as a whole word, stemmed), or the
        concept of a synonym group it belongs to ("Steckersolargeräte" names "Balkonkraftwerk", "kWh"
        names "Kilowattstunde"). A compound part is not enough: "Netzanschluss" does not name "Netz",
        a "Kündigungsfrist" in the text does not name a "Frist"."""
        name_tokens = surface_tokens(name)
        if not name_tokens:
            return False
        stems = {self._token_terms(token).stem for token in name_tokens}
        if stems <= {self._token_terms(token).stem for token in surface_tokens(text)}:
            return True
        concepts = self._concepts_named(name_tokens)
        return bool(concepts) and not concepts.isdisjoint(self.terms(text))

    def _concepts_named(self, tokens: Sequence[str]) -> set[str]:
        """The concept terms of ``tokens`` as whole words or phrases (not of their compound parts)."""
        named = {
            concept
            for token in tokens
            for lookup in (self._concepts, self._word_concepts)
            for concept in lookup.get(self._token_terms(token).stem, ())
        }
        stems = [self._token_terms(token).stem for token in tokens]
        for position, first in enumerate(stems):
            for phrase, concept in self._phrases.get(first, ()):
                if tuple(stems[position : position + len(phrase)]) == phrase:
                    named.add(concept)
        return named

    def _analyse_token(self, token: str) -> _TokenTerms:
        if token.startswith("§"):
            return _TokenTerms(token, (token, token[1:]))
        if _NUMBER.fullmatch(token):
            return _TokenTerms(token, (token,))
        pieces = [piece for piece in token.split("-") if piece]
        joined = "".join(pieces)
        words = [joined, *pieces] if len(pieces) > 1 else [joined]
        terms: dict[str, None] = {}
        for word in words:
            for part in (word, *self._splitter.split(word)):
                if part in STOPWORDS or (len(part) < 2 and part.isalpha()):
                    continue
                stem = self._stem(part)
                terms[stem] = None
                for concept in self._concepts.get(stem, ()):
                    terms[concept] = None
            for concept in self._word_concepts.get(self._stem(word), ()):
                terms[concept] = None
        return _TokenTerms(self._stem(joined), tuple(terms))

    def _stem(self, word: str) -> str:
        # PyStemmer objects are not safe to share between threads: one per thread.
        stemmer: Stemmer.Stemmer | None = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = Stemmer.Stemmer("german")
            self._local.stemmer = stemmer
        stem: str = stemmer.stemWord(word)
        return stem


@lru_cache(maxsize=1)
def plain_analyzer() -> GermanAnalyzer:
    """An analyzer that knows the built-in words only: enough to tell whether a text names a word or a
    law (:meth:`GermanAnalyzer.names`), where no corpus compound matters. Shared, as analyzers are."""
    return GermanAnalyzer()


def _joined(word: str) -> str:
    return fold(word).replace("-", "")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Common German words (folded), read once from ``common_words_de.txt`` (its header says whence)."""
    text = resources.files("luna.domain").joinpath("common_words_de.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@lru_cache(maxsize=1)
def _common_stems() -> dict[str, str]:
    """Each common word with its stem, for every analyzer of the process (Snowball is deterministic)."""
    stemmer = Stemmer.Stemmer("german")
    return {word: stemmer.stemWord(word) for word in common_words()}


@lru_cache(maxsize=1)
def _builtin_words() -> frozenset[str]:
    """The energy words plus every single-word synonym long enough to be a compound part."""
    words = {fold(word) for word in ENERGY_WORDS.split()}
    words.update(
        _joined(member)
        for group in DOMAIN_SYNONYMS
        for member in group
        if " " not in member and len(_joined(member)) >= 5
    )
    return frozenset(words)
