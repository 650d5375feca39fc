"""Versions of Luna's prompt file (seed 003 phase 6): the checks an edited text passes before it is
kept, its fingerprint and the unified diff between two versions.

Version 0 is the file shipped in the package (``prompts/luna.yml``); an operator's edits are kept as
versions 1, 2, … in SQL, one of them (or none: the packaged file) active. An edited text is checked by
the rules the packaged file obeys (:meth:`~luna.domain.answers.LunaPrompts.from_mapping`) and more: it
must be well-formed YAML without repeated keys, every text Luna needs must be there and not empty, and a
text Luna fills in must keep its placeholders and use no others (``{title}`` in a text that is given no
title would break every answer using it). Each problem names its line and key. The text comes from the
admin API, so anchors, aliases and deep nesting are refused before any check walks it
(:func:`~luna.domain.config_file.parse_yaml`).
"""

from __future__ import annotations

import difflib
import hashlib
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

from luna.domain.answers import (
    PROMPT_TEXTS_ADDED_LATER,
    ExtractiveTexts,
    LunaPrompts,
    NoContextTexts,
    SmallTalkTexts,
)
from luna.domain.config_file import parse_yaml
from luna.domain.errors import InvalidInput

#: The packaged prompt file's version number.
PACKAGED_VERSION: Final = 0
#: The largest prompt text kept (the packaged file has about 3 000 characters).
MAX_PROMPT_CHARS: Final = 64_000
MAX_NOTE_CHARS: Final = 500
SOURCE: Final = "luna.yml"

#: Every text Luna needs, by its dotted key.
REQUIRED_TEXTS: Final = (
    "persona",
    "rag.system",
    "rag.style_line",
    "rag.context_heading",
    "rag.question_label",
    *(f"no_context.{name}" for name in NoContextTexts.__dataclass_fields__),
    *(f"extractive.{name}" for name in ExtractiveTexts.__dataclass_fields__),
    *(f"small_talk.{name}" for name in SmallTalkTexts.__dataclass_fields__),
)
#: The texts Luna fills in: the placeholders each is given, and those it must keep (the answer's own
#: content: without ``{sentence}`` the extractive answer would lose the sentence it found).
PLACEHOLDERS: Final[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
    "rag.style_line": (frozenset({"register", "sarcasm"}), frozenset()),
    **{
        f"no_context.{name}": (frozenset({"topic", "title"}), frozenset())
        for name in (
            "nearest_with_topic",
            "nearest",
            "topic_found",
            "nothing_near_with_topic",
            "nothing_near",
        )
    },
    "no_context.elsewhere": (frozenset({"home", "country"}), frozenset({"country"})),
    "no_context.unknown_name": (frozenset({"name"}), frozenset({"name"})),
    "no_context.unknown_year": (frozenset({"year"}), frozenset({"year"})),
    "no_context.unknown_action": (frozenset({"action"}), frozenset({"action"})),
    "no_context.follow_up_about_section": (frozenset({"title", "section"}), frozenset()),
    "no_context.follow_up_about_law_section": (
        frozenset({"number", "law", "heading"}),
        frozenset({"number"}),
    ),
    "no_context.follow_up_about_title": (frozenset({"title"}), frozenset()),
    "extractive.summary": (frozenset({"sentence"}), frozenset({"sentence"})),
    "extractive.recommendation_from_source": (frozenset({"sentence"}), frozenset({"sentence"})),
    "extractive.read_on": (frozenset({"source"}), frozenset({"source"})),
    "extractive.source_with_title": (frozenset({"title"}), frozenset()),
}


class ProblemKind(StrEnum):
    YAML = "yaml"
    TOO_LONG = "too_long"
    NOT_A_MAPPING = "not_a_mapping"
    DUPLICATE_KEY = "duplicate_key"
    MISSING = "missing"
    NOT_TEXT = "not_text"
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"
    MISSING_PLACEHOLDER = "missing_placeholder"
    BRACES = "braces"
    PLACEHOLDER_FORMAT = "placeholder_format"


_ENGLISH: Final = {
    ProblemKind.YAML: "malformed YAML: {detail}",
    ProblemKind.TOO_LONG: "the text is longer than {detail} characters",
    ProblemKind.NOT_A_MAPPING: "expected a mapping of keys",
    ProblemKind.DUPLICATE_KEY: "the key appears more than once",
    ProblemKind.MISSING: "the text is missing",
    ProblemKind.NOT_TEXT: "must be a non-empty text",
    ProblemKind.UNKNOWN_PLACEHOLDER: "unknown placeholder(s) {detail}",
    ProblemKind.MISSING_PLACEHOLDER: "the placeholder(s) {detail} must stay",
    ProblemKind.BRACES: "malformed braces ({detail}); write {{{{ and }}}} for a brace as text",
    ProblemKind.PLACEHOLDER_FORMAT: "a placeholder takes no format or conversion: write {detail} as such",
}


@dataclass(frozen=True, slots=True)
class PromptProblem:
    line: int
    #: The dotted key (``no_context.answer``); None for the file as a whole.
    key: str | None
    kind: ProblemKind
    detail: str = ""

    @property
    def message(self) -> str:
        where = f"{SOURCE}, line {self.line}" + (f" ({self.key})" if self.key else "")
        usable = usable_placeholders(self.key) if self.kind is ProblemKind.UNKNOWN_PLACEHOLDER else ""
        return f"{where}: {_ENGLISH[self.kind].format(detail=self.detail)}" + (
            f"; usable here: {usable}" if usable else ""
        )


class InvalidPrompts(InvalidInput):
    """Every problem of an edited prompt text, in line order (``details["problems"]`` for clients)."""

    def __init__(self, problems: Sequence[PromptProblem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.line, p.key or "", p.kind))
        super().__init__(
            "\n".join(p.message for p in self.problems),
            details={"problems": [asdict(p) for p in self.problems]},
        )


@dataclass(frozen=True, slots=True)
class PromptVersion:
    version: int
    text: str
    sha256: str
    author: str
    #: When it was kept; None for the packaged file (version 0).
    created_at: datetime | None
    note: str | None = None
    active: bool = False


@cache
def packaged_prompt_text() -> str:
    """The prompt file as shipped in the package: version 0."""
    return resources.files("luna").joinpath("prompts/luna.yml").read_text(encoding="utf-8")


def prompt_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prompt_diff(before: str, after: str, before_label: str, after_label: str) -> str:
    """The unified diff from ``before`` to ``after`` (empty when the texts are the same)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), before_label, after_label
    )
    return "".join(line if line.endswith("\n") else f"{line}\n" for line in lines)


def check_prompts(text: str) -> LunaPrompts:
    """The prompts of ``text``; :class:`InvalidPrompts` names every problem by line and key."""
    if len(text) > MAX_PROMPT_CHARS:
        raise InvalidPrompts([PromptProblem(1, None, ProblemKind.TOO_LONG, str(MAX_PROMPT_CHARS))])
    try:
        # No anchors, aliases or deep nesting (parse_yaml refuses them): the node tree is a tree, and
        # each walk below is linear in the text.
        root, data = parse_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise InvalidPrompts([PromptProblem(line, None, ProblemKind.YAML, problem)]) from None
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise InvalidPrompts([PromptProblem(1, None, ProblemKind.NOT_A_MAPPING)])
    problems = list(_duplicate_keys(root, ""))
    style = _child(root, "style")
    if style is not None and not isinstance(style, yaml.MappingNode):
        problems.append(PromptProblem(_line(style), "style", ProblemKind.NOT_A_MAPPING))
    for dotted in REQUIRED_TEXTS:
        problems += _text_problems(root, data, dotted)
    if problems:
        raise InvalidPrompts(problems)
    try:
        return LunaPrompts.from_mapping(data)
    except (ValueError, KeyError, IndexError, AttributeError) as error:  # the checks above should catch all
        raise InvalidPrompts([PromptProblem(1, None, ProblemKind.NOT_TEXT, str(error))]) from None


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    found = [value for name, value in node.value if isinstance(name, yaml.ScalarNode) and name.value == key]
    return found[-1] if found else None  # the last one, as the YAML loader keeps it


def _duplicate_keys(node: yaml.Node, path: str) -> Iterator[PromptProblem]:
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item, path)
        return
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for name, value in node.value:
        key = str(name.value) if isinstance(name, yaml.ScalarNode) else "?"
        dotted = f"{path}.{key}" if path else key
        if key in seen:
            yield PromptProblem(_line(name), dotted, ProblemKind.DUPLICATE_KEY)
        seen.add(key)
        yield from _duplicate_keys(value, dotted)


def _text_problems(root: yaml.Node, data: Mapping[str, Any], dotted: str) -> list[PromptProblem]:
    node: yaml.Node = root
    value: Any = data
    line = 1
    parts = dotted.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, yaml.MappingNode) or not isinstance(value, Mapping):
            section = ".".join(parts[:depth])
            return [PromptProblem(line, section, ProblemKind.NOT_A_MAPPING)]
        child = _child(node, part)
        if child is None and dotted in PROMPT_TEXTS_ADDED_LATER:
            return []  # versions stored before it was added lack it: the shipped text stands in
        if child is None:
            return [PromptProblem(line, dotted, ProblemKind.MISSING)]
        node, value, line = child, value.get(part), _line(child)
    if not isinstance(value, str) or not value.strip():
        return [PromptProblem(line, dotted, ProblemKind.NOT_TEXT)]
    if dotted not in PLACEHOLDERS:
        return []  # a text Luna does not fill in: braces in it are plain text
    return _placeholder_problems(value.strip(), dotted, line)


def _placeholder_problems(text: str, dotted: str, line: int) -> list[PromptProblem]:
    allowed, required = PLACEHOLDERS[dotted]
    try:
        fields = [(field, spec, conversion) for _, field, spec, conversion in string.Formatter().parse(text)]
    except ValueError as error:
        return [PromptProblem(line, dotted, ProblemKind.BRACES, str(error))]
    # "{title:>3000000}" padded every answer to megabytes and froze the server: Luna fills placeholders
    # with her own text, so a width, precision or conversion has nothing to do there.
    formatted = sorted({field for field, spec, conv in fields if field is not None and (spec or conv)})
    if formatted:
        return [PromptProblem(line, dotted, ProblemKind.PLACEHOLDER_FORMAT, _braced(formatted))]
    names = {field for field, _, _ in fields if field is not None}
    problems = []
    unknown = sorted(names - allowed)
    if unknown:
        problems.append(PromptProblem(line, dotted, ProblemKind.UNKNOWN_PLACEHOLDER, _braced(unknown)))
    missing = sorted(required - names)
    if missing:
        problems.append(PromptProblem(line, dotted, ProblemKind.MISSING_PLACEHOLDER, _braced(missing)))
    if not problems:
        try:
            text.format(**{name: "x" for name in allowed})
        except (ValueError, KeyError, IndexError, AttributeError) as error:
            problems.append(PromptProblem(line, dotted, ProblemKind.BRACES, str(error)))
    return problems


def usable_placeholders(key: str | None) -> str:
    """The placeholders the text of ``key`` may use, as ``{a}, {b}`` (empty: none, or not filled in)."""
    allowed, _ = PLACEHOLDERS.get(key or "", (frozenset(), frozenset()))
    return _braced(sorted(allowed))


def _braced(names: Sequence[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in names)
