"""YAML configuration files validated by a pydantic model, with every problem named by file and line.

Pipelines (``config/pipelines/*.yaml``) and later the fine-tuning template are edited by hand; a message
such as ``energy.yaml, line 14 (steps[2].method): Input should be 'zscore', 'iqr' or
'isolation_forest'`` lets the operator fix the file without guessing. YAML nodes know their lines, so
each pydantic error location is walked down the composed node tree to the nearest node it names.

YAML a caller may hand Luna (prompt versions through the admin API, golden sets named in a job or
fetched from a URL) and these files are read by :func:`parse_yaml`, which refuses anchors, aliases and
deep nesting. Aliases let a few hundred bytes stand for a graph of billions of nodes ("billion
laughs"): any walk over the tree then runs for minutes and blocks a worker thread. Deep nesting
(``[[[[…]]]]``) makes PyYAML's recursive composer raise :class:`RecursionError`. Luna's files need
neither, so both are refused with the line they are on before anything walks the tree.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar, cast

import yaml
from pydantic import BaseModel, ValidationError

from luna.domain.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)

#: Deepest nesting of mappings and lists accepted; Luna's own files nest fewer than ten levels.
MAX_YAML_DEPTH: Final = 32


class RefusedYaml(yaml.MarkedYAMLError):
    """Well-formed YAML that Luna does not read: an anchor or alias, or nesting deeper than allowed.

    A :class:`yaml.YAMLError` with ``problem`` and ``problem_mark``, so every caller reports it with
    its line like a syntax error.
    """


class _PlainLoader(yaml.SafeLoader):
    """The safe loader, refusing each anchor or alias and each collection nested too deep as it is
    composed, so the refusal comes before anything is built from the rest of the text."""

    def __init__(self, text: str, max_depth: int) -> None:
        super().__init__(text)
        self._max_depth = max_depth
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        # The pure-Python loader makes yaml.Mark only (the stubs also allow libyaml's).
        mark = cast("yaml.Mark | None", event.start_mark)
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            found = f"*{event.anchor}" if isinstance(event, yaml.AliasEvent) else f"&{event.anchor}"
            raise RefusedYaml(
                problem=f"found {found}: anchors (&name) and aliases (*name) are not allowed",
                problem_mark=mark,
            )
        if not isinstance(event, yaml.CollectionStartEvent):
            return super().compose_node(parent, index)
        if self._depth >= self._max_depth:
            raise RefusedYaml(problem=f"nested deeper than {self._max_depth} levels", problem_mark=mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_yaml(text: str, max_depth: int = MAX_YAML_DEPTH) -> tuple[yaml.Node | None, Any]:
    """The node tree (lines for messages) and the data of the single YAML document ``text``, parsed
    once by the safe loader; anchors, aliases and deeper nesting raise :class:`RefusedYaml`, any
    other fault a :class:`yaml.YAMLError`. None and None for an empty text."""
    loader = _PlainLoader(text, max_depth)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except RecursionError:  # the depth limit prevents it; kept so no deep text ever becomes a 500
        raise RefusedYaml(problem="nested too deeply") from None
    except (ValueError, OverflowError) as error:
        # The constructor's own faults: a date like 2024-13-01, an integer past Python's digit limit.
        raise RefusedYaml(problem=f"a value cannot be read ({str(error)[:120]})") from None
    finally:
        loader.dispose()
    return node, data


def load_yaml(text: str, max_depth: int = MAX_YAML_DEPTH) -> Any:
    """The data of ``text`` by the rules of :func:`parse_yaml`, for readers that need no lines."""
    return parse_yaml(text, max_depth)[1]


class ConfigFileError(InvalidInput):
    """Every problem of one file, one per line of the message, in line order."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def load_config_file(text: str, source: str, model: type[M]) -> M:
    """Parse ``text`` (the file's content; ``source`` names it in messages) into ``model``."""
    try:
        node, data = parse_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigFileError([f"{source}, line {line}: malformed YAML: {problem}"]) from error
    if node is None or not isinstance(data, dict):
        raise ConfigFileError([f"{source}, line 1: expected a mapping of settings"])
    duplicates = _duplicate_keys(node, source)
    if duplicates:
        raise ConfigFileError(duplicates)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigFileError(_problems(error, node, source)) from error


def _problems(error: ValidationError, root: yaml.Node, source: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for item in error.errors(include_url=False):
        location = [part for part in item["loc"] if not _is_union_tag(part)]
        line = _line_of(root, location)
        message = item["msg"].removeprefix("Value error, ")
        found.append((line, f"{source}, line {line} ({_path(location)}): {message}"))
    return [message for _, message in sorted(set(found))]


def _is_union_tag(part: int | str) -> bool:
    """pydantic puts the chosen member of a tagged union into the location (``steps.0.dedup.mode``)."""
    return isinstance(part, str) and (part.endswith("]") or part in _UNION_TAGS)


#: Tags of the tagged unions in config models; they name a model, not a key of the file.
_UNION_TAGS: set[str] = set()


def register_union_tags(*tags: str) -> None:
    """Models with tagged unions announce their tags, so error locations skip them."""
    _UNION_TAGS.update(tags)


def _line_of(node: yaml.Node, location: list[int | str]) -> int:
    current = node
    for part in location:
        child = _child(current, part)
        if child is None:
            break
        current = child
    return int(current.start_mark.line) + 1


def _child(node: yaml.Node, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == part:
                found: yaml.Node = value_node
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None


def _path(location: list[int | str]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "file"


def _duplicate_keys(node: yaml.Node, source: str, path: str = "") -> list[str]:
    """PyYAML keeps the last of two equal keys silently; a config file with both is almost always a slip."""
    problems: list[str] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            place = f"{path}.{key}" if path else str(key)
            if key in first:
                problems.append(
                    f"{source}, line {line} ({place}): duplicate key (first on line {first[key]})"
                )
            first.setdefault(key, line)
            problems.extend(_duplicate_keys(value_node, source, place))
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            problems.extend(_duplicate_keys(child, source, f"{path}[{index}]"))
    return problems
