"""Luna's answers: the prompt built from her persona and the retrieved context, and the checks every
answer passes before a user relies on it.

* :func:`build_rag_messages` writes the context as ``[chunk <id>] title › section`` blocks followed by
  the question; :func:`parse_rag_messages` reads them back, so the extractive answerer works from the
  same messages a generative model gets.
* :func:`validate_citations` drops ``[chunk X]`` markers whose X was not in the context (a model that
  invents a source must not be believed); :func:`filter_citations` does the same while streaming.
* :func:`find_unsupported_numbers` reports figures that no cited chunk contains (the classic
  hallucination in energy answers: a tariff or a kW limit that sounds right).

Pure rules and texts; the only file read is the prompt file shipped inside the package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

#: Function words and question words that say nothing about a question's topic (casefolded).
GERMAN_STOPWORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei beim bin bis
    bist bitte da dabei dadurch dafür dagegen daher damit dann darf darfst darum das dass dein deine dem
    den denn der deren des dessen deshalb dich die dies diese diesem diesen dieser dieses dir doch dort du
    durch ein eine einem einen einer eines einige er es etwa etwas euch euer für gegen gibt gilt hab habe
    haben hat hatte hier hin hinter hoch ich ihm ihn ihnen ihr ihre im in ins ist ja jede jedem jeden jeder
    jedes jetzt kann kannst kein keine können könnte man mehr mein meine meinem meinen meiner mich mir mit
    muss musst müssen nach nicht nichts noch nun nur ob oder ohne sehr sein seine sich sie sind so soll
    sollen sollte sonst über um und uns unser unsere unter viel viele vom von vor wann war waren warum
    was weil welche welchem welchen welcher welches wem wen wenn wer werde werden wessen wie wieso wieviel
    wir wird wo woher wohin wurde wurden zu zum zur zwischen gerade eigentlich bzw ca etc
    """.split()  # noqa: SIM905 - a word list reads best as text
)

#: A ``[chunk X]`` marker however a model spaced or cased it, with the blanks before it (the blanks are
#: matched only from the start of their run, so a long run of spaces costs linear time, not quadratic).
CITATION_MARKER = re.compile(r"(?<![ \t])[ \t]*\[chunk\s+([^\]\s]+)\s*\]", re.IGNORECASE)
_HEADER = re.compile(r"^\[chunk (?P<id>[^\]\s]+)\][ \t]*(?P<label>.*)$", re.MULTILINE)
_LIST_ENUMERATOR = re.compile(r"^[ \t]*\d+[.)][ \t]", re.MULTILINE)
_NUMBER = re.compile(r"(?<![\w,.])(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?)(?!\d)")
_GERMAN_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_LABEL_SEPARATOR = " › "
#: While streaming, an unclosed ``[`` is held back at most this long before it is passed on as text.
_MAX_PENDING_MARKER = 80
#: A follow-up's messages carry this many earlier exchanges, each answer cut to this length: enough to
#: know what was said, little enough for a small model's context window.
MAX_HISTORY_EXCHANGES = 2
#: Prompt texts added after versions of the prompt file could be stored (older versions lack them).
PROMPT_TEXTS_ADDED_LATER = frozenset(
    {
        "no_context.elsewhere",
        "no_context.topic_found",
        "no_context.follow_up_about_law_section",
        "no_context.unknown_name",
        "no_context.unknown_year",
        "no_context.unknown_action",
        "small_talk.greeting",
        "small_talk.thanks",
        "small_talk.about",
    }
)
_MAX_HISTORY_ANSWER_CHARS = 1000


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class ContextChunk:
    """One retrieved chunk as the answerer sees it: the text plus where it comes from."""

    chunk_id: str
    text: str
    title: str | None = None
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Exchange:
    """An earlier question of the conversation and Luna's answer to it."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class RagRequest:
    question: str
    chunks: tuple[ContextChunk, ...]
    #: The conversation's earlier exchanges, oldest first (a follow-up should add to what was said).
    history: tuple[Exchange, ...] = ()


@dataclass(frozen=True, slots=True)
class NoContextTexts:
    answer: str
    not_answered: str
    nearest_with_topic: str
    nearest: str
    topic_found: str
    elsewhere: str
    unknown_name: str
    unknown_year: str
    unknown_action: str
    nothing_near_with_topic: str
    nothing_near: str
    follow_ups: str
    follow_up_about_section: str
    follow_up_about_law_section: str
    follow_up_about_title: str


@dataclass(frozen=True, slots=True)
class ExtractiveTexts:
    summary: str
    key_points: str
    recommendation_from_source: str
    #: Where to read on, when the sources recommend nothing that fits (no made-up advice).
    read_on: str
    source_with_title: str
    source_without_title: str


@dataclass(frozen=True, slots=True)
class SmallTalkTexts:
    """Luna's replies to a message that is only a greeting, a thanks or a question about her."""

    greeting: str
    thanks: str
    about: str


@dataclass(frozen=True, slots=True)
class LunaPrompts:
    """The texts of ``prompts/luna.yml``: persona, RAG instructions and Luna's fixed replies."""

    persona: str
    style_line: str
    rag_system: str
    context_heading: str
    question_label: str
    no_context: NoContextTexts
    extractive: ExtractiveTexts
    small_talk: SmallTalkTexts

    @property
    def system_prompt(self) -> str:
        return "\n".join((self.persona.strip(), self.style_line, self.rag_system.strip()))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> LunaPrompts:
        """Build from the parsed YAML; a missing or empty text raises ``ValueError`` naming its key."""
        style = data.get("style") or {}
        return cls(
            persona=_text(data, "persona"),
            style_line=_text(data, "rag.style_line").format(
                register=style.get("register", ""), sarcasm=style.get("sarcasm", "")
            ),
            rag_system=_text(data, "rag.system"),
            context_heading=_text(data, "rag.context_heading"),
            question_label=_text(data, "rag.question_label"),
            no_context=NoContextTexts(
                **{
                    name: _text_or_shipped(data, f"no_context.{name}")
                    for name in NoContextTexts.__dataclass_fields__
                }
            ),
            extractive=ExtractiveTexts(
                **{name: _text(data, f"extractive.{name}") for name in ExtractiveTexts.__dataclass_fields__}
            ),
            small_talk=SmallTalkTexts(
                **{
                    name: _text_or_shipped(data, f"small_talk.{name}")
                    for name in SmallTalkTexts.__dataclass_fields__
                }
            ),
        )


def _text(data: Mapping[str, Any], dotted: str) -> str:
    node = _lookup(data, dotted)
    if not isinstance(node, str) or not node.strip():
        raise ValueError(f"prompts/luna.yml: '{dotted}' must be a non-empty text")
    return node.strip()


def _text_or_shipped(data: Mapping[str, Any], dotted: str) -> str:
    """A text added to the prompt file after versions of it were stored: such a version, which lacks it,
    gets the shipped text (any other missing text is an error)."""
    if dotted in PROMPT_TEXTS_ADDED_LATER and _lookup(data, dotted) is None:
        return _text(_shipped_prompt_file(), dotted)
    return _text(data, dotted)


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for key in dotted.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


@cache
def _shipped_prompt_file() -> Mapping[str, Any]:
    text = resources.files("luna").joinpath("prompts/luna.yml").read_text(encoding="utf-8")
    loaded: Mapping[str, Any] = yaml.safe_load(text)
    return loaded


@cache
def load_luna_prompts() -> LunaPrompts:
    """Luna's prompt file as shipped in the package (read once per process)."""
    return LunaPrompts.from_mapping(_shipped_prompt_file())


# -- prompt messages --------------------------------------------------------------------------------


def _header(chunk: ContextChunk) -> str:
    label = _LABEL_SEPARATOR.join(
        part.strip() for part in (chunk.title, chunk.section) if part and part.strip()
    )
    return f"[chunk {chunk.chunk_id}] {label}".rstrip()


def build_rag_messages(
    prompts: LunaPrompts, question: str, chunks: Sequence[ContextChunk], history: Sequence[Exchange] = ()
) -> list[ChatMessage]:
    """System prompt (persona, style, RAG rules) plus one user message: the context, then the question.

    The question comes last because small models follow the most recent instruction best. The newest
    ``history`` exchanges of the conversation come before it as user and assistant turns, so a model
    answering "Und was brauche ich dafür?" knows what it has already said.
    """
    blocks = [f"{_header(chunk)}\n{chunk.text.strip()}" for chunk in chunks]
    user = "\n\n".join((prompts.context_heading, *blocks, f"{prompts.question_label} {_one_line(question)}"))
    # A client may send a question without the reply it got (or the reverse): such a half is left out,
    # since two user turns in a row break the chat templates of some models.
    whole = [e for e in history if _one_line(e.question) and e.answer.strip()]
    earlier: list[ChatMessage] = []
    for exchange in whole[-MAX_HISTORY_EXCHANGES:]:
        earlier.append(ChatMessage("user", _one_line(exchange.question)))
        earlier.append(ChatMessage("assistant", exchange.answer.strip()[:_MAX_HISTORY_ANSWER_CHARS]))
    return [ChatMessage("system", prompts.system_prompt), *earlier, ChatMessage("user", user)]


def _one_line(question: str) -> str:
    """A question on one line: line breaks in it cannot start a context block of their own
    ("\n[chunk 9] …") that :func:`parse_rag_messages` would read as retrieved text."""
    return " ".join(question.split())


def parse_rag_messages(prompts: LunaPrompts, messages: Sequence[ChatMessage]) -> RagRequest:
    """The question, the context chunks and the earlier answers of messages made by
    :func:`build_rag_messages`.

    A last user message without the question label is a plain question without context.
    """
    user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    history = _exchanges(messages)
    label_at = user.rfind(f"\n{prompts.question_label}")
    if label_at < 0:
        return RagRequest(question=user.strip(), chunks=(), history=history)
    question = user[label_at + 1 + len(prompts.question_label) :].strip()
    context = user[:label_at]
    headers = list(_HEADER.finditer(context))
    chunks = []
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(context)
        title, _, section = header["label"].partition(_LABEL_SEPARATOR)
        chunks.append(
            ContextChunk(
                chunk_id=header["id"],
                text=context[header.end() : end].strip(),
                title=title.strip() or None,
                section=section.strip() or None,
            )
        )
    return RagRequest(question=question, chunks=tuple(chunks), history=history)


def _exchanges(messages: Sequence[ChatMessage]) -> tuple[Exchange, ...]:
    """The user and assistant turns before the last user message, each question with its reply."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=0)
    exchanges: list[Exchange] = []
    for message in messages[:last_user]:
        if message.role == "user":
            exchanges.append(Exchange(message.content, ""))
        elif message.role == "assistant" and exchanges:
            exchanges[-1] = Exchange(exchanges[-1].question, message.content)
    return tuple(exchanges)


# -- citations --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CitationCheck:
    text: str
    cited: tuple[str, ...]
    removed: tuple[str, ...]


def without_citations(text: str) -> str:
    """``text`` without its ``[chunk X]`` markers (however a model spaced or cased them)."""
    return CITATION_MARKER.sub("", text)


def cited_chunk_ids(answer: str) -> tuple[str, ...]:
    """Every chunk id the answer cites, first mention first."""
    return tuple(dict.fromkeys(match[1] for match in CITATION_MARKER.finditer(answer)))


def validate_citations(answer: str, context_ids: Iterable[str]) -> CitationCheck:
    """Keep ``[chunk X]`` markers whose X is in the context; remove the others (with their leading space)."""
    allowed = set(context_ids)
    cited: dict[str, None] = {}
    removed: dict[str, None] = {}

    def keep_or_drop(match: re.Match[str]) -> str:
        if match[1] in allowed:
            cited[match[1]] = None
            return match[0]
        removed[match[1]] = None
        return ""

    text = CITATION_MARKER.sub(keep_or_drop, answer)
    return CitationCheck(text=text, cited=tuple(cited), removed=tuple(removed))


def filter_citations(pieces: Iterable[str], context_ids: Iterable[str]) -> Iterator[str]:
    """:func:`validate_citations` for a streamed answer: text that might still become a marker is held
    back until it is complete, so an invented citation never reaches the user.
    """
    allowed = frozenset(context_ids)
    pending = ""
    for piece in pieces:
        pending += piece
        cut = _safe_prefix_length(pending)
        if cut:
            ready = validate_citations(pending[:cut], allowed).text
            pending = pending[cut:]
            if ready:
                yield ready
    if pending:
        yield validate_citations(pending, allowed).text


def _safe_prefix_length(text: str) -> int:
    """How much of ``text`` can be sent: everything before an unclosed ``[`` and before trailing spaces
    (a marker that follows may take its leading space with it when it is removed)."""
    opening = text.rfind("[")
    if opening >= 0 and "]" not in text[opening:] and len(text) - opening <= _MAX_PENDING_MARKER:
        text = text[:opening]
    return len(text.rstrip(" \t"))


# -- numbers ----------------------------------------------------------------------------------------


def _canonical_number(raw: str) -> str:
    """German and plain notations of one value compare equal: ``4,2`` = ``4.2``, ``1.000`` = ``1000``."""
    plain = (
        raw.replace(".", "").replace(",", ".") if _GERMAN_THOUSANDS.fullmatch(raw) else raw.replace(",", ".")
    )
    try:
        return format(Decimal(plain).normalize(), "f")
    except InvalidOperation:
        return raw


def _numbers(text: str) -> list[str]:
    return _NUMBER.findall(_LIST_ENUMERATOR.sub("", without_citations(text)))


def find_unsupported_numbers(answer: str, chunks: Sequence[ContextChunk]) -> tuple[str, ...]:
    """Numbers in the answer that none of the chunks it cites contains (as written in the answer).

    Numbers in the titles and section headings of the context ("Netzentgelte 2026", "§ 14a EnWG") are
    names, not claims: an answer that names its source or suggests a question about it is not warned.
    """
    cited = set(cited_chunk_ids(answer))
    names = " ".join(f"{chunk.title or ''} {chunk.section or ''}" for chunk in chunks)
    supported = {
        _canonical_number(n) for chunk in chunks if chunk.chunk_id in cited for n in _numbers(chunk.text)
    } | {_canonical_number(n) for n in _numbers(names)}
    unsupported = (n for n in _numbers(answer) if _canonical_number(n) not in supported)
    return tuple(dict.fromkeys(unsupported))


@dataclass(frozen=True, slots=True)
class CheckedAnswer:
    text: str
    cited: tuple[str, ...]
    removed_citations: tuple[str, ...]
    unsupported_numbers: tuple[str, ...]


def check_answer(answer: str, chunks: Sequence[ContextChunk]) -> CheckedAnswer:
    """Both checks in order: invalid citations removed first, then numbers checked against what remains."""
    citations = validate_citations(answer, (chunk.chunk_id for chunk in chunks))
    return CheckedAnswer(
        text=citations.text,
        cited=citations.cited,
        removed_citations=citations.removed,
        unsupported_numbers=find_unsupported_numbers(citations.text, chunks),
    )
