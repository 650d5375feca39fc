"""Structure-aware chunking of extracted documents, tuned for German texts (pure, no I/O).

A chunk is what the retriever finds and Luna cites, so it must stand on its own: it never spans two
sections (a heading or a ``§`` starts a new chunk and becomes its ``section``), a table keeps its header
row in every part, and sentences are never cut in the middle, which in German needs care with
abbreviations ("z. B.", "Abs.", "Nr.") and ordinals ("§ 3 Abs. 1.", "am 5. April").
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from luna.domain.documents import BlockKind, ExtractedDocument, TextBlock
from luna.domain.storable import without_direction_controls

ChunkKind = Literal["text", "table"]

# Tokens are approximated, not counted with the embedder's tokenizer (which would make chunking depend on a
# model): each run of up to 7 word characters is one token and so is each punctuation mark. That matches a
# multilingual subword tokenizer on German well enough, because long compounds ("Netzentgeltverordnung")
# count as several tokens, as they do there.
_TOKEN = re.compile(r"\w{1,7}|[^\w\s]")

_LEGAL_HEADING = re.compile(
    r"^(?P<unit>§§?|Art\.|Artikel|Buch|Teil|Kapitel|Abschnitt|Unterabschnitt|Titel|Anlage|Anhang)"
    r"\s*(?P<number>[0-9]+[a-z]?|[IVXLC]+)(?P<rest>(\s.*)?)$"
)
_LEGAL_LEVELS = {
    "Buch": 1,
    "Teil": 1,
    "Anlage": 1,
    "Anhang": 1,
    "Kapitel": 2,
    "Abschnitt": 3,
    "Unterabschnitt": 4,
    "Titel": 4,
    "§": 5,
    "§§": 5,
    "Art.": 5,
    "Artikel": 5,
}
# "§ 3 Abs. 1 gilt entsprechend" is a reference, not the heading of § 3.
_REFERENCE_CONTINUATION = re.compile(
    r"^\s*(Abs\.?|Absatz|Satz|S\.|Nr\.?|Nummer|Buchst\.?|bis|und|oder|i\.)(\s|$)"
)
_MAX_HEADING_CHARS = 160
#: A "heading" longer than this is read as a paragraph: it would become every following chunk's section.
_MAX_SECTION_CHARS = 400
#: A table row longer than this many chunks is cut like a long sentence; shorter ones stay whole.
_MAX_ROW_CHUNKS = 4

# Words that end with a period without ending the sentence (lower-cased, without the period).
_ABBREVIATION_LINES = (
    "abs abschn allg anh anl anm art aufl bd betr bgbl bsp bspw bzgl bzw ca dr ebd einschl entspr etc",
    "evtl ff fr gem ggf ggü hr hrsg inkl insb insbes jew jh kap lfd max min mind mio mrd nr nrn pkt prof",
    "rd sog std str tel tsd urt usw verf vgl vs zit ziff zzgl zzt zt jan feb mär apr jun jul aug sep sept",
    "okt nov dez",
)
_ABBREVIATIONS = frozenset(word for line in _ABBREVIATION_LINES for word in line.split())
_BOUNDARY = re.compile(r"[.!?…]+[\"'»«“”’)\]]*\s+")
_SENTENCE_START = re.compile(r"[A-ZÄÖÜ0-9„\"»«(\[§]")
_WORD_BEFORE = re.compile(r"([^\s(\[„\"»«]*)$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One retrievable passage. ``section`` is the heading path ("Teil 1 > § 3 Begriffsbestimmungen")."""

    text: str
    index: int
    section: str | None
    page: int | None
    kind: ChunkKind
    tokens: int


def count_tokens(text: str) -> int:
    """Approximate subword tokens (see ``_TOKEN``): a word counts one token per started 7 characters."""
    return len(_TOKEN.findall(text))


def legal_heading_level(line: str) -> int | None:
    """The heading level of a German law structure line ("§ 3 Begriffsbestimmungen" → 5), else None."""
    stripped = line.strip()
    if "\n" in stripped or len(stripped) > _MAX_HEADING_CHARS or stripped.endswith((".", ",", ";", ":")):
        return None
    match = _LEGAL_HEADING.match(stripped)
    if match is None or _REFERENCE_CONTINUATION.match(match.group("rest")):
        return None
    return _LEGAL_LEVELS[match.group("unit")]


def _is_abbreviation(word: str) -> bool:
    bare = word.rstrip(".")
    if not bare:
        return False
    if "." in bare or (len(bare) == 1 and bare.isalpha()):  # "z.B", "i.V.m", "z." in "z. B."
        return True
    if bare.isdigit():  # ordinals: "1." in "§ 3 Abs. 1.", "5." in "am 5. April"; years end sentences
        return len(bare) <= 2
    return bare.lower() in _ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Split German text into sentences without breaking after abbreviations or ordinal numbers."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end >= len(text) or not _SENTENCE_START.match(text, end):
            continue
        punctuation = match.group()
        if punctuation.startswith(".") and not punctuation.startswith(".."):
            word = _WORD_BEFORE.search(text, start, match.start())
            if word is not None and _is_abbreviation(word.group(1)):
                continue
        sentences.append(text[start : match.start() + len(punctuation.rstrip())].strip())
        start = end
    sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence (or a piece of an over-long one); ``joiner`` separates it from the unit before it."""

    text: str
    tokens: int
    page: int | None
    joiner: str


def _split_long(sentence: str, max_tokens: int) -> list[str]:
    """Cut a sentence longer than a whole chunk at word boundaries; the only place a sentence is cut."""
    pieces: list[str] = []
    words: list[str] = []
    size = 0
    for word in (part for whole in sentence.split() for part in _cut_word(whole, max_tokens)):
        tokens = count_tokens(word)
        if words and size + tokens > max_tokens:
            pieces.append(" ".join(words))
            words, size = [], 0
        words.append(word)
        size += tokens
    if words:
        pieces.append(" ".join(words))
    return pieces


def _cut_word(word: str, max_tokens: int) -> list[str]:
    """A "word" longer than a whole chunk (a run without spaces: a hash, a URL, "[[[[…" in a hostile
    upload) in pieces of ``max_tokens`` tokens; a chunk of unbounded size would be embedded and quoted
    whole."""
    if len(word) <= max_tokens:  # no token is shorter than one character
        return [word]
    ends = [match.end() for match in _TOKEN.finditer(word)]
    if len(ends) <= max_tokens:
        return [word]
    cuts = [0, *ends[max_tokens - 1 :: max_tokens]]
    if cuts[-1] < len(word):
        cuts.append(len(word))
    return [word[start:end] for start, end in itertools.pairwise(cuts)]


def _paragraph_units(block: TextBlock, max_tokens: int) -> list[_Unit]:
    units: list[_Unit] = []
    for line_number, line in enumerate(line for line in block.text.split("\n") if line.strip()):
        for sentence_number, sentence in enumerate(split_sentences(line)):
            for piece_number, piece in enumerate(_split_long(sentence, max_tokens)):
                first = sentence_number == 0 and piece_number == 0
                joiner = ("\n" if line_number else "\n\n") if first else " "
                units.append(_Unit(piece, count_tokens(piece), block.page, joiner))
    return units


def _table_parts(text: str, max_tokens: int) -> list[str]:
    """The table whole when it fits, else runs of rows that each repeat the header row (and its rule)."""
    lines = [line for line in text.split("\n") if line.strip()]
    if count_tokens(text) <= max_tokens:
        return ["\n".join(lines)]
    header_size = 2 if len(lines) > 1 and _TABLE_RULE.match(lines[1]) else 1
    header, rows = lines[:header_size], lines[header_size:]
    header_tokens = count_tokens("\n".join(header))
    parts: list[str] = []
    current: list[str] = []
    size = header_tokens
    for row in rows:
        tokens = count_tokens(row)
        if current and size + tokens > max_tokens:
            parts.append("\n".join(header + current))
            current, size = [], header_tokens
        if tokens > _MAX_ROW_CHUNKS * max_tokens:  # no table's row: a hostile or broken "cell"
            parts.extend(
                "\n".join([*header, piece]) for piece in _split_long(row, max(1, max_tokens - header_tokens))
            )
            continue
        current.append(row)  # a row larger than a chunk stays whole: a cut row is meaningless
        size += tokens
    if current or not parts:
        parts.append("\n".join(header + current))
    return parts


@dataclass(slots=True)
class _ChunkBuilder:
    max_tokens: int
    overlap_tokens: int
    chunks: list[Chunk] = field(default_factory=list)
    units: list[_Unit] = field(default_factory=list)
    size: int = 0
    section: str | None = None

    def _emit(self, text: str, page: int | None, kind: ChunkKind) -> None:
        self.chunks.append(Chunk(text, len(self.chunks), self.section, page, kind, count_tokens(text)))

    def flush(self) -> None:
        """Close the open text chunk without carrying anything over (a new section or a table follows)."""
        if self.units:
            text = self.units[0].text + "".join(unit.joiner + unit.text for unit in self.units[1:])
            self._emit(text, self.units[0].page, "text")
        self.units, self.size = [], 0

    def _break(self, incoming_tokens: int) -> None:
        """Close the open chunk and start the next with its last whole sentences, up to the overlap."""
        carried: list[_Unit] = []
        carried_size = 0
        for unit in reversed(self.units[1:]):
            fits_overlap = carried_size + unit.tokens <= self.overlap_tokens
            if not fits_overlap or carried_size + unit.tokens + incoming_tokens > self.max_tokens:
                break
            carried.insert(0, unit)
            carried_size += unit.tokens
        self.flush()
        self.units, self.size = carried, carried_size

    def add_paragraph(self, block: TextBlock) -> None:
        units = _paragraph_units(block, self.max_tokens)
        paragraph_tokens = sum(unit.tokens for unit in units)
        if (
            self.units
            and self.size + paragraph_tokens > self.max_tokens
            and paragraph_tokens <= self.max_tokens
        ):
            self._break(paragraph_tokens)  # keep a paragraph that fits a chunk in one chunk
        for unit in units:
            if self.units and self.size + unit.tokens > self.max_tokens:
                self._break(unit.tokens)
            self.units.append(unit)
            self.size += unit.tokens

    def add_table(self, block: TextBlock) -> None:
        header = block.text.lstrip().split("\n", 1)[0]
        if count_tokens(header) > self.max_tokens // 2:  # a header repeated in every part leaves room
            self.add_paragraph(block)
            return
        self.flush()
        for part in _table_parts(block.text, self.max_tokens):
            self._emit(part, block.page, "table")


def _heading_level(block: TextBlock) -> int | None:
    if block.kind is BlockKind.HEADING and len(block.text) <= _MAX_SECTION_CHARS:
        return block.level or 1
    if block.kind is BlockKind.PARAGRAPH:
        return legal_heading_level(block.text)
    return None


def _build(
    blocks: Iterable[TextBlock], title: str | None, max_tokens: int, overlap_tokens: int, *, structured: bool
) -> list[Chunk]:
    builder = _ChunkBuilder(max_tokens, overlap_tokens)
    path: list[tuple[int, str]] = []
    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        level = _heading_level(block) if structured else None
        if level is not None:
            builder.flush()
            path = [(lvl, heading) for lvl, heading in path if lvl < level]
            heading = " ".join(text.split())
            is_title = (
                not path
                and heading == " ".join((title or "").split())
                and legal_heading_level(heading) is None
            )
            if not is_title:  # the document title is not a section; "§ 1 …" is one even when it is the title
                path.append((level, heading))
            builder.section = " > ".join(heading for _, heading in path) or None
        elif block.kind is BlockKind.TABLE and structured:
            builder.add_table(block)
        else:
            builder.add_paragraph(block)
    builder.flush()
    return builder.chunks


def chunk_document(doc: ExtractedDocument, *, max_tokens: int = 350, overlap_tokens: int = 50) -> list[Chunk]:
    """Split a document into chunks of at most ``max_tokens`` approximate tokens (see :func:`count_tokens`).

    Headings and ``§``/Teil/Abschnitt lines start a new chunk and set its ``section``; tables become
    chunks of their own (kind "table"), split by rows with the header repeated when too large; text
    chunks end at sentence boundaries and begin with up to ``overlap_tokens`` of whole sentences from
    the chunk before in the same section. Only a single sentence longer than ``max_tokens`` is cut (at
    words, and a word longer than a chunk within itself), and only a table row exceeds it, up to four
    chunks; a longer row is cut. A document made only of headings yields the headings as text.
    """
    if max_tokens < 16 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("need max_tokens >= 16 and 0 <= overlap_tokens < max_tokens")
    blocks = [dataclasses.replace(b, text=without_direction_controls(b.text)) for b in doc.blocks]
    chunks = _build(blocks, doc.title, max_tokens, overlap_tokens, structured=True)
    return chunks or _build(blocks, None, max_tokens, overlap_tokens, structured=False)
