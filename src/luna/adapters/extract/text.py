"""Markdown and plain text to blocks.

Markdown is parsed (markdown-it, CommonMark + tables) rather than split with regular expressions, so
that a ``#`` inside a code block or a ``|`` in a sentence is not taken for structure. Plain text has no
markup; its structure is blank lines and, in German legal texts, lines such as "§ 3 Begriffsbestimmungen".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from luna.adapters.extract.document import clean_line, clean_text, join_lines
from luna.domain.chunking import legal_heading_level
from luna.domain.documents import BlockKind, TextBlock

_PARSER = MarkdownIt("commonmark", {"html": False}).enable("table")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_MAX_TITLE_CHARS = 120
#: YAML front matter: "---" on the first line, up to the next "---" or "..." line (Jekyll, Hugo, Obsidian,
#: Pandoc). markdown-it reads it as a rule and "title: …" before the closing "---" as a setext heading,
#: which made the whole block the document's title.
_FRONT_MATTER = re.compile(
    r"\A\ufeff?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE
)
_MAX_FRONT_MATTER_CHARS = 20_000
_MAX_VALUE_CHARS = 500
_MAX_LIST_ENTRIES = 50
#: Front-matter keys kept as the document's metadata (as Word's and web pages' are), as text.
_FRONT_MATTER_KEYS = ("author", "description", "keywords", "tags", "date", "language", "lang")
#: Keys that make a leading "---" block front matter; without one ("Stand: 2024" between two rules) it
#: is the document's own text and stays so.
_FRONT_MATTER_MARKERS = frozenset(
    {
        "title",
        "author",
        "date",
        "tags",
        "description",
        "keywords",
        "lang",
        "language",
        "layout",
        "categories",
        "slug",
        "draft",
        "summary",
        "aliases",
        "weight",
        "lastmod",
        "subtitle",
    }
)
_LIST_LINE = re.compile(r"^\s*([-*•–]|\d{1,3}[.)]|\(\d{1,3}[a-z]?\)|[a-z][.)])\s+\S")


def _paragraph_or_heading(text: str) -> TextBlock:
    level = legal_heading_level(text)
    if level is not None:
        return TextBlock(BlockKind.HEADING, text, level=level)
    return TextBlock(BlockKind.PARAGRAPH, text)


def _unwrap(lines: list[str]) -> str:
    """Join hard-wrapped lines; list items and numbered paragraphs ("(2) …") keep lines of their own."""
    items: list[list[str]] = []
    for line in lines:
        if items and not _LIST_LINE.match(line):
            items[-1].append(line)
        else:
            items.append([line])
    return "\n".join(join_lines(item) for item in items)


def _starts_section(line: str, previous: str | None) -> bool:
    """A law structure line opens a section only after a finished sentence, not inside running text."""
    ends_sentence = previous is None or previous.rstrip().endswith((".", ":", ";", ")"))
    return ends_sentence and legal_heading_level(line) is not None


def _is_title_line(paragraph: str) -> bool:
    line = paragraph.strip()
    return 0 < len(line) <= _MAX_TITLE_CHARS and "\n" not in line and not line.endswith((".", ",", ";", ":"))


def plain_text_blocks(text: str, *, page: int | None = None, titled: bool = False) -> list[TextBlock]:
    """Paragraphs split on blank lines; law structure lines ("§ 3 Begriffsbestimmungen") become headings.

    With ``titled``, a short first line standing alone ("Verordnung über Musterentgelte") is the
    document's title and becomes a level-1 heading.
    """
    blocks: list[TextBlock] = []
    paragraphs = _BLANK_LINES.split(clean_text(text).strip())
    if (
        titled
        and len(paragraphs) > 1
        and _is_title_line(paragraphs[0])
        and not legal_heading_level(paragraphs[0])
    ):
        blocks.append(TextBlock(BlockKind.HEADING, " ".join(paragraphs[0].split()), page, 1))
        paragraphs = paragraphs[1:]
    for paragraph in paragraphs:
        lines: list[str] = []
        for line in (line for line in paragraph.split("\n") if line.strip()):
            if _starts_section(line, lines[-1] if lines else None):
                if lines:
                    blocks.append(TextBlock(BlockKind.PARAGRAPH, _unwrap(lines), page))
                    lines = []
                level = legal_heading_level(line)
                blocks.append(TextBlock(BlockKind.HEADING, " ".join(line.split()), page, level))
            else:
                lines.append(line)
        if lines:
            blocks.append(TextBlock(BlockKind.PARAGRAPH, _unwrap(lines), page))
    return blocks


def _inline_text(token: Token) -> str:
    """The visible text of an inline token: markup dropped, link text and image alt text kept."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "image"):  # an image's content is its alt text
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
    return "\n".join(clean_line(line) for line in "".join(parts).split("\n"))


class _MarkdownWalk:
    """Turns markdown-it's flat token stream into blocks; a list becomes one paragraph, a line per item."""

    def __init__(self) -> None:
        self.blocks: list[TextBlock] = []
        self.heading_level: int | None = None
        self.list_lines: list[str] = []
        self.list_depth = 0
        self.pending_marker: str | None = None
        self.table_rows: list[list[str]] | None = None

    def _list_line(self, text: str) -> None:
        indent = "  " * (self.list_depth - 1)
        marker = self.pending_marker or " "
        self.pending_marker = None
        for number, line in enumerate(text.split("\n")):
            self.list_lines.append(f"{indent}{marker if number == 0 else ' '} {line}")

    def _inline(self, token: Token) -> None:
        text = _inline_text(token)
        if self.table_rows is not None:
            self.table_rows[-1].append(text)
        elif not text.strip():
            return
        elif self.heading_level is not None:
            self.blocks.append(TextBlock(BlockKind.HEADING, " ".join(text.split()), level=self.heading_level))
        elif self.list_depth:
            self._list_line(text)
        else:
            self.blocks.append(_paragraph_or_heading(text))

    def _code(self, token: Token) -> None:
        code = clean_text(token.content).rstrip()
        if not code.strip():
            return
        if self.list_depth:
            self._list_line(code)
        else:
            self.blocks.append(TextBlock(BlockKind.PARAGRAPH, code))

    def feed(self, token: Token) -> None:
        kind = token.type
        if kind == "inline":
            self._inline(token)
        elif kind in ("fence", "code_block"):
            self._code(token)
        elif kind == "heading_open":
            self.heading_level = int(token.tag[1])
        elif kind == "heading_close":
            self.heading_level = None
        elif kind in ("bullet_list_open", "ordered_list_open"):
            self.list_depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.list_depth -= 1
            if not self.list_depth and self.list_lines:
                self.blocks.append(TextBlock(BlockKind.PARAGRAPH, "\n".join(self.list_lines)))
                self.list_lines = []
        elif kind == "list_item_open":
            self.pending_marker = f"{token.info}{token.markup}" if token.info else "-"
        elif kind == "table_open":
            self.table_rows = []
        elif kind == "tr_open" and self.table_rows is not None:
            self.table_rows.append([])
        elif kind == "table_close" and self.table_rows is not None:
            table = TextBlock.table(self.table_rows)
            if table is not None:
                self.blocks.append(table)
            self.table_rows = None


@dataclass(frozen=True, slots=True)
class MarkdownDocument:
    title: str | None
    blocks: list[TextBlock]
    metadata: dict[str, str] = field(default_factory=dict)


def markdown_document(text: str) -> MarkdownDocument:
    """A Markdown file's blocks, its front matter's ``title`` and metadata kept apart from its text; a
    first block that is no YAML mapping is read as Markdown (a rule and what follows)."""
    match = _FRONT_MATTER.match(text[: _MAX_FRONT_MATTER_CHARS + 16])
    front = _yaml_mapping(match.group(1)) if match else None
    if match is None or front is None or not front.keys() & _FRONT_MATTER_MARKERS:
        return MarkdownDocument(None, markdown_blocks(text))
    title = front.get("title")
    metadata = {key: _as_text(front[key]) for key in _FRONT_MATTER_KEYS if front.get(key) not in (None, "")}
    return MarkdownDocument(
        clean_line(title) if isinstance(title, str) else None,
        markdown_blocks(text[match.end() :]),
        {key: value for key, value in metadata.items() if value},
    )


def _yaml_mapping(text: str) -> dict[str, object] | None:
    """The front matter as a mapping, or None (then it is read as Markdown): YAML that does not parse,
    that PyYAML cannot build ("date: 2024-02-30" raises ValueError), or that uses aliases, which a
    500-byte file nested into a 312 MB value."""
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
            return None
        loaded = yaml.safe_load(text)
    except Exception:  # any failure to read it means: not front matter
        return None
    return {str(key): value for key, value in loaded.items()} if isinstance(loaded, dict) else None


def _as_text(value: object) -> str:
    """A front-matter value as one line of at most :data:`_MAX_VALUE_CHARS`: a list as "pv, eeg", a
    date as ISO."""
    if isinstance(value, (list, tuple)):
        text = ", ".join(str(entry) for entry in value[:_MAX_LIST_ENTRIES] if entry is not None)
    else:
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return clean_line(text[:_MAX_VALUE_CHARS])


def markdown_blocks(text: str) -> list[TextBlock]:
    """Headings with their level, paragraphs, lists, code and tables (as Markdown tables) in order."""
    walk = _MarkdownWalk()
    for token in _PARSER.parse(text):
        walk.feed(token)
    return walk.blocks
