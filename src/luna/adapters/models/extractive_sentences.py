"""The sentences of the retrieved chunks as the extractive answerer quotes them, linked to their
neighbours: an answer that opens with "Diese …" needs the sentence before it, a law's list item
("eine Energieverbrauchseffektivität von kleiner oder gleich 1,2 erreichen und") needs the sentence
that opens the list ("Rechenzentren, die ab dem 1. Juli 2026 den Betrieb aufnehmen, … dass sie"), and
a sentence that opens a list needs its items.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from luna.adapters.models.extractive_words import GermanStemmer, term_match
from luna.domain.answer_sentences import (
    CONTINUATION,
    DOCUMENT_DESCRIPTION,
    split_pieces,
    with_paragraph_reference,
)
from luna.domain.answer_tables import FIGURE_WITH_UNIT, is_header_only, is_table, table_rows
from luna.domain.answers import ContextChunk
from luna.domain.legal_references import asks_what_section_says, paragraph_asked, paragraph_order, referenced

#: A list that a lead sentence opens is quoted with at most this many items (around the one that answers).
MAX_LIST_ITEMS = 8
#: Items read at most, in one chunk, before a list counts as never ending.
_MAX_ITEMS_READ = 60
#: A sentence that stops on a small word ("…, dass sie", "… gilt für") goes on in the list below it; a
#: heading stops on a noun.
_GOES_ON = re.compile(r"\b[a-zäöüß]+$")
#: An item that ends like this is followed by another ("…, und", "… oder").
_RUNS_ON = re.compile(r"(?:[,;]|\b(?:und|oder|sowie))$")
#: A sentence that names the table below it ("Die folgende Tabelle zeigt typische Werte …."), with or
#: without a colon: without that table it tells the reader nothing.
_NAMES_TABLE_BELOW = re.compile(
    r"\b(?:folgend|nachfolgend|nachstehend|untenstehend)(?:e|en|er)\s+(?:Tabelle|Übersicht|Aufstellung)\b",
    re.IGNORECASE,
)


@dataclass(slots=True, eq=False)
class Sentence:
    """A sentence, list item or table row of one retrieved chunk (linked once its chunk is read)."""

    text: str
    chunk: ContextChunk
    chunk_rank: int
    stems: frozenset[str]
    #: It states an amount with its unit (a price, a share, a period): what "Was kostet …?" wants.
    has_figure: bool
    #: What the embedding model reads: a table row with its table's title and section, a sentence after
    #: its chunk's section heading.
    meaning_text: str
    #: A table row stated as a sentence (its chunk is the table).
    is_row: bool = False
    #: A bulleted or numbered item in its source.
    listed: bool = False
    preceding: Sentence | None = None
    following: Sentence | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The same sentence of the same chunk, however often it was built."""
        return (self.chunk.chunk_id, self.text)


def chunk_sentences(chunk: ContextChunk, rank: int, stemmer: GermanStemmer) -> list[Sentence]:
    """The sentences of the chunk in reading order, each linked to its neighbours (rows stand alone)."""
    if is_header_only(chunk.text):
        return []  # column names alone answer nothing
    rows = table_rows(chunk.text)
    if rows:
        # A row alone says little: it matches with its headers' units and its table's title too.
        context = f"{chunk.title or ''} {chunk.section or ''}"
        return [
            Sentence(
                row.text,
                chunk,
                rank,
                frozenset(stemmer.content_stems(f"{row.text} {row.match_text} {context}")),
                bool(row.match_text),
                f"{context.strip()}: {row.text}",
                is_row=True,
            )
            for row in rows
        ]
    # A law's sentence rarely names its subject; its section path does ("Teil 3 … > § 41
    # Energielieferverträge mit Letztverbrauchern"). Judged after it, sentences rank and refuse better
    # (bench/RESULTS.md, "What the answer's judge reads of a sentence"). The whole path beat its last part
    # on a blind set; the judge reads 900 characters, so a long path leaves room for the sentence.
    heading = f"{chunk.section}: " if chunk.section else ""
    sentences = [
        Sentence(
            piece.text,
            chunk,
            rank,
            frozenset(stemmer.content_stems(piece.text)),
            bool(FIGURE_WITH_UNIT.search(piece.text)),
            heading + piece.text,
            listed=piece.listed,
        )
        for piece in split_pieces(chunk.text)
    ]
    for before, after in itertools.pairwise(sentences):
        before.following, after.preceding = after, before
    return sentences


def answered_question(sentence: Sentence) -> Sentence | None:
    """The answer when ``sentence`` is a question the source asks and answers itself, as an FAQ or a guide
    does ("Gibt es eine Preisgarantie?" then "Ja, bis zum 31.12.2026 …"): the sentence after it, unless
    that is a question too."""
    if sentence.is_row or not sentence.text.endswith("?"):
        return None
    answer = sentence.following
    return answer if answer is not None and not answer.text.endswith("?") else None


def ends_sentence(sentence: Sentence) -> bool:
    """It ends with a full stop, "!" or "?" (a heading or a list item going on does not)."""
    return sentence.text.endswith((".", "!", "?"))


def opens_list(sentence: Sentence) -> bool:
    """It ends in ":" ("… folgende Pflichtangaben enthält:"), or it stops mid-sentence and bulleted or
    numbered items follow ("…, dass sie" before "1. eine Energieverbrauchseffektivität …"). An item is
    no opener: a bare bullet ("Angaben zur Person, die das Audit durchgeführt hat") ends on a small word
    too."""
    if sentence.is_row or sentence.listed:
        return False
    if sentence.text.endswith(":"):
        return True
    following = sentence.following
    return following is not None and following.listed and _GOES_ON.search(sentence.text) is not None


def list_opener(sentence: Sentence) -> Sentence | None:
    """The sentence that opens the list a bulleted or numbered item belongs to, when there is one."""
    if not sentence.listed:
        return None
    before = sentence.preceding
    while before is not None and before.listed:
        before = before.preceding
    return before if before is not None and opens_list(before) else None


def introduced_items(sentence: Sentence) -> list[Sentence]:
    """The items of the list a sentence opens, up to the one that ends the list with a full stop. An item
    is bulleted or numbered, or continues a law's list that runs on with "," or ";": a heading or
    paragraph after a list of bare bullets is not part of it."""
    if not opens_list(sentence):
        return []
    items: list[Sentence] = []
    item = sentence.following
    while item is not None and len(items) < _MAX_ITEMS_READ:
        runs_on = _RUNS_ON.search(item.text) is not None or bool(items and _RUNS_ON.search(items[-1].text))
        if not (item.listed or runs_on):
            break
        items.append(item)
        if ends_sentence(item):
            break
        item = item.following
    return items


def list_window(items: Sequence[Sentence], rank: Mapping[tuple[str, str], int]) -> list[Sentence | None]:
    """At most :data:`MAX_LIST_ITEMS` of a list's items, around the best ranked one (``rank``: each
    sentence's place in the answerer's order; the item that answers); ``None`` stands where items are
    left out."""
    if len(items) <= MAX_LIST_ITEMS:
        return list(items)
    at = min(range(len(items)), key=lambda i: rank.get(items[i].key, len(rank)))
    start = max(0, min(at - MAX_LIST_ITEMS // 2, len(items) - MAX_LIST_ITEMS))
    end = start + MAX_LIST_ITEMS
    return [*([None] if start > 0 else []), *items[start:end], *([None] if end < len(items) else [])]


def names_table_below(sentence: Sentence) -> bool:
    """It points to a table that follows it in words ("Die folgende Tabelle zeigt …")."""
    return _NAMES_TABLE_BELOW.search(sentence.text) is not None


def is_no_key_point(sentence: Sentence) -> bool:
    """Listed on its own, it tells the reader nothing: it points to a table (shown with the lead or not
    at all), or it says what the document covers ("Dieser Leitfaden erklärt, wie …")."""
    return names_table_below(sentence) or DOCUMENT_DESCRIPTION.match(sentence.text) is not None


def points_to_absent_table(sentence: Sentence, chunks: Sequence[ContextChunk]) -> bool:
    """It names a table below it that was not retrieved: quoted, it would point at nothing."""
    return names_table_below(sentence) and introduced_table(sentence, chunks) is None


def lead_table(lead: Sequence[Sentence], chunks: Sequence[ContextChunk]) -> ContextChunk | None:
    """The table the lead introduces, shown after it: by its last sentence's colon, or by the words of
    any of its sentences ("Die folgende Tabelle zeigt …", which reads well before a further sentence)."""
    pointers = [lead[-1], *(s for s in reversed(lead[:-1]) if names_table_below(s))]
    return next((table for s in pointers if (table := introduced_table(s, chunks)) is not None), None)


def introduced_table(sentence: Sentence, chunks: Sequence[ContextChunk]) -> ContextChunk | None:
    """The table a sentence introduces ("… die folgenden Zeitfenster:", "Die folgende Tabelle zeigt …."),
    when retrieved too."""
    if not (sentence.text.endswith(":") or names_table_below(sentence)):
        return None
    origin = sentence.chunk
    for chunk in chunks:
        same_place = (chunk.title, chunk.section) == (origin.title, origin.section)
        if chunk.chunk_id != origin.chunk_id and same_place and is_table(chunk.text):
            return chunk
    return None


def inlined(sentence: Sentence, *, opens: bool = False) -> str:
    """The sentence as the answer quotes it in a paragraph; an item of a list quoted without its list
    comes after the sentence that opens the list ("(2) Rechenzentren, die ab … aufnehmen, … dass sie …
    Abwärme … wiederverwenden"), so that it is not read as a rule of its own."""
    opener = list_opener(sentence)
    if opens:
        return cited(sentence, opens=True)
    if opener is None:
        # Another sentence that opens a list is quoted as going on ("…, dass sie …"): its list is not.
        return cited(sentence, cut=bool(introduced_items(sentence)))
    return cited(dataclasses.replace(sentence, text=f"{opener.text.rstrip(':')} … {sentence.text}"))


def was_said(sentence: Sentence, said: Sequence[str]) -> bool:
    """An earlier answer quoted the sentence (cited, so its closing mark may differ), as a whole: a short
    item ("Name") inside a longer sentence was not said."""
    core = sentence.text.rstrip(".!?:,; ")
    if not core:
        return False
    quoted = re.compile(rf"(?<!\w){re.escape(core)}(?!\w)")
    return any(quoted.search(answer) for answer in said)


def is_fragment(sentence: Sentence) -> bool:
    """A sentence that starts in lower case ("und solange …") is the end of one cut off by chunking."""
    return sentence.text[:1].islower()


def cited(sentence: Sentence, *, opens: bool = False, cut: bool = False) -> str:
    """The sentence with its citation; a fragment is marked as the excerpt it is ("… und solange …"),
    and so is an item of a law's list that goes on ("… betragen, " becomes "… betragen …"). A sentence
    quoted with the list it ``opens`` ends in a colon; one that stops mid-sentence otherwise (its list left
    out, or in the next chunk) ends in "…" ("gezahlt für bis zu …"), and so does one whose list is ``cut``
    ("… folgende Angaben enthalten …"). A law's paragraph number is quoted with its section and law
    ("(§ 41a Abs. 6 EnWG) Stromlieferanten …")."""
    chunk = sentence.chunk
    text = with_paragraph_reference(sentence.text, chunk.title, chunk.section)
    text = f"… {text}" if is_fragment(sentence) else text
    if text[-1:] in ",;" or (cut and text.endswith(":")):
        text = f"{text[:-1]} …."
    elif opens and text[-1:] != ":":
        text = f"{text}:"
    elif text[-1:] not in ".!?:":
        goes_on = _RUNS_ON.search(text) is not None or (
            not sentence.listed and _GOES_ON.search(text) is not None
        )
        text = f"{text} …." if goes_on else f"{text}."
    return f"{text[:-1]} [chunk {sentence.chunk.chunk_id}]{text[-1]}"


def overlap(a: Sentence, b: Sentence) -> float:
    if not a.stems or not b.stems:
        return 0.0
    return len(a.stems & b.stems) / len(a.stems | b.stems)


def section_sentences(
    question: str, chunks: Sequence[ContextChunk], stemmer: GermanStemmer
) -> list[Sentence]:
    """The sentences of the law section ``question`` names, in reading order, when it asks what that
    section says ("Was regelt § 14a EnWG?"; "Was regelt das EnWG?" for its § 1); empty otherwise. e5
    cannot tell which sentence such a question means (they all are the section), so the section answers
    from its beginning."""
    wanted = set(referenced(question, [(chunk.chunk_id, chunk.title, chunk.section) for chunk in chunks]))
    own = [chunk for chunk in chunks if chunk.chunk_id in wanted]
    if not own or not asks_what_section_says(question, own[0].title, own[0].section):
        return []
    own.sort(key=lambda chunk: paragraph_order(chunk.text))
    reading = [
        sentence for rank, chunk in enumerate(own) for sentence in chunk_sentences(chunk, rank, stemmer)
    ]
    paragraph = paragraph_asked(question)  # "§ 41 Abs. 3 EnWG": from that paragraph on
    start = next((at for at, s in enumerate(reading) if paragraph and s.text.startswith(f"({paragraph})")), 0)
    return reading[start:] + reading[:start]


def lead_ins(sentence: Sentence) -> list[Sentence]:
    """What must be read before the sentence, in reading order: the one that opens the list it is an
    item of, and the one that refers back to ("Diese erlaubt …", "Hierfür …": an answer that opens with
    "Diese" names nothing). A heading (no closing mark) is nothing to refer back to: after one, "Sie
    erhalten …" addresses the reader."""
    opener = list_opener(sentence)
    first = sentence if opener is None else opener
    before = first.preceding
    refers_back = before is not None and ends_sentence(before) and CONTINUATION.match(first.text)
    asked = before is not None and answered_question(before) is first  # the source's own question
    return [s for s in (before if refers_back or asked else None, opener) if s is not None]


def names_any(sentence: Sentence, terms: frozenset[str]) -> bool:
    """The sentence holds one of ``terms`` (or a compound of it: "Gewerbe" in "Gewerbekunden")."""
    return any(term_match(term, sentence.stems) > 0 for term in terms)
