"""Sentences of a source as the extractive answerer quotes them: where one ends, which one continues
the one before, and which one gives advice. Pure text rules on German documents."""

from __future__ import annotations

import re
from dataclasses import dataclass

from luna.domain.legal_references import section_number, short_title

#: Sentence ends within a line: punctuation followed by a capital letter, a digit or a quote (a line
#: break ends one too).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"„»(A-ZÄÖÜ0-9§])")
#: Common German abbreviations whose dot does not end a sentence, with those of a law's citations
#: ("BGBl. I S. 1475", "§§ 3 ff.", "Ziff. 2", "Buchst. a"): "Was regelt das EDL-G?" led with "I S".
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:z|d|u|o|s|v|i|bzw|ca|Nr|Nrn|Abs|Art|ggf|inkl|zzgl|vgl|gem|max|min|mind|rd|Mio|Mrd|Std|Tsd|"
    r"evtl|etc|usw|Dr|Prof|St|USt|MwSt|exkl|Stk|Tel|Str|bzgl|lt|insb|insbes|sog|BGBl|S|ff|Ziff|Buchst|"
    r"Anl|Abschn|Kap|Jan|Feb|Apr|Jun|Jul|Aug|Sep|Sept|Okt|Nov|Dez)|\b\d{1,2})\.$"
)
_BULLET = re.compile(r"^\s*(?:[-•*·–]|\d+[.)])\s+")
_ENUMERATOR_ALONE = re.compile(r"^\d{1,3}[.)] (?=\S)")
#: Advice in the sources' own words ("sollte", "empfohlen", "Prüfen Sie …"). A legal duty ("Frist",
#: "hat … zu beantragen") or a condition ("Sollte der Netzbetreiber …") is not advice to the reader.
ADVICE = re.compile(
    r"\b(?:sollte|sollten|empfiehlt|empfehlen|empfohlen|empfehlenswert|ratsam|lohnt sich|lohnen sich)\b"
    r"|^(?:\(\w+\)\s*)?[A-ZÄÖÜ][a-zäöüß]+en Sie\b"
)
#: A sentence about the document itself ("Dieser Leitfaden erklärt, wie …", "Dieses Merkblatt fasst
#: zusammen, worauf …"): it says what the document covers, not what the reader asked. A law's "Dieses
#: Gesetz regelt …" is no such sentence: it states the law's scope, which questions ask for.
DOCUMENT_DESCRIPTION = re.compile(
    r"^(?:Dieser|Dieses|Diese|Der vorliegende|Das vorliegende|Die vorliegende|(?:Im|In|Mit) diese[mr])\s+"
    r"(?:Leitfaden|Merkblatt|Dokument|Broschüre|Ratgeber|Artikel|Beitrag|Infoblatt|Informationsblatt|"
    r"Faktenblatt|Handbuch|Flyer|Überblick|Übersicht|Webseite|Seite|Text)\b[^.]*?\b"
    r"(?:erklärt|erläutert|beschreibt|zeigt|fasst|gibt|stellt|informiert|behandelt|erfahren|bietet|richtet)\b"
)
#: A sentence opening like this continues the previous one ("Im Gegenzug erhält …" after a rule).
CONTINUATION = re.compile(
    r"(?:Sie|Er|Es|Dies\w*|Dafür|Dabei|Daher|Deshalb|Damit|Davon|Dazu|Hier(?:für|zu|bei|durch|von|nach)|"
    r"Im Gegenzug|Außerdem|Zudem|Allerdings|"
    r"Jedoch|Ausgenommen|Ausnahme|(?:Ohne|Mit|Bei|Nach|Für|Trotz|Wegen) dies\w*)\b"
)


@dataclass(frozen=True, slots=True)
class Piece:
    """A sentence or list item of a source, and whether it stood there as a bulleted or numbered item."""

    text: str
    listed: bool


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a chunk, with bullets and enumerators removed."""
    return [piece.text for piece in split_pieces(text)]


def split_pieces(text: str) -> list[Piece]:
    """Sentences and list items of a chunk, each marked when a bullet or an enumerator led it: a list
    whose items end without a full stop ends where the bullets do."""
    pieces: list[Piece] = []
    for line in text.split("\n"):
        in_line: list[Piece] = []
        for raw in _SENTENCE_END.split(line):
            piece = _BULLET.sub("", raw).strip()
            if not piece:
                continue
            # "Nr. 5" or "bzw. der" go on; an item ending "nach § 3 Absatz 2." at a line's end does not.
            # What goes on is no item: "1483) wurde …" after "(BGBl. I S." keeps its "1483)".
            if in_line and _ABBREVIATIONS.search(in_line[-1].text):
                in_line[-1] = Piece(f"{in_line[-1].text} {raw.strip()}", in_line[-1].listed)
            else:
                in_line.append(Piece(piece, _BULLET.match(raw) is not None))
        pieces += in_line
    # An enumerator split off by its own dot ("39." before „Register“) joins its item above; it is a
    # list position, not a figure, so it goes like any other enumerator.
    return [
        Piece(_ENUMERATOR_ALONE.sub("", p.text), p.listed or _ENUMERATOR_ALONE.match(p.text) is not None)
        for p in pieces
    ]


#: A law's paragraph number opening a sentence: "(6) Stromlieferanten …", "(5a) Ein Steckersolargerät …".
_PARAGRAPH_OPENING = re.compile(r"^\((\d{1,3}[a-z]?)\)\s+(?=\S)")


def with_paragraph_reference(text: str, title: str | None, section: str | None) -> str:
    """``text`` with its opening paragraph number made a whole reference: "(6) Stromlieferanten …" in
    § 41a of the EnWG reads "(§ 41a Abs. 6 EnWG) Stromlieferanten …". A bare "(6)" in an answer says
    nothing to a reader who does not see the law; a sentence whose section is no law section keeps it."""
    opening = _PARAGRAPH_OPENING.match(text)
    number = section_number(section) if opening is not None else None
    if opening is None or number is None:
        return text
    short = short_title(title)
    law = f" {short}" if short else ""
    return f"(§ {number} Abs. {opening.group(1)}{law}) {text[opening.end() :]}"
