"""KPI thresholds: when a KPI value is bad enough to alert, and what the alert suggests doing.

Operators edit ``config/thresholds.yaml``; a file that names an unknown KPI, a level on the wrong
side, or a typo in a key would otherwise load and silently never alert. So the file is checked
completely at load, and every problem names the file, the line and the entry (``thresholds.yaml,
line 12 (thresholds[2].kpi): unknown KPI …``), all problems at once, so one edit fixes them all.

The same rules guard :class:`Threshold` built in code (``__post_init__``), so a threshold that exists
is one the alert evaluation can trust.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Final

import yaml

from luna.domain.flywheel.kpi_values import ALL, Kpi, Window, topic_scope

#: A threshold watched in every topic scope separately, one alert per topic.
EACH_TOPIC: Final = "each_topic"
TOPIC_PREFIX: Final = topic_scope("")
#: What an alert may suggest (the flywheel's action kinds); a closed set, so a typo fails at load.
ACTIONS: Final = frozenset(
    {"knowledge_gap", "reindex", "learning_run", "evaluation_run", "finetune_dataset", "finetune_run"}
)
_NAME: Final = re.compile(r"[a-z0-9_]+")


class ThresholdError(ValueError):
    """Every problem of a thresholds file (or of one threshold), one per line of the message."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


class Comparator(StrEnum):
    """How a value breaches a level: ``<`` and ``<=`` alert on values that fall, the others on rises."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    @property
    def lower_is_worse(self) -> bool:
        return self in (Comparator.LT, Comparator.LE)

    def breached(self, value: float, level: float) -> bool:
        match self:
            case Comparator.LT:
                return value < level
            case Comparator.LE:
                return value <= level
            case Comparator.GT:
                return value > level
            case Comparator.GE:
                return value >= level

    def relaxed(self, level: float, margin: float) -> float:
        """``level`` moved by ``margin`` towards the good side: where a firing alert lets go."""
        return level + margin if self.lower_is_worse else level - margin


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return 2 if self is Severity.CRITICAL else 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    """One KPI, window and scope judged against a warning and/or a critical level."""

    #: Unique slug; the alert's name (``alertname`` in Alertmanager and Prometheus).
    name: str
    kpi: Kpi
    comparator: Comparator
    warning: float | None = None
    critical: float | None = None
    window: Window
    #: ``all``, ``topic:<name>``, or ``each_topic`` (every topic scope, each its own alert).
    scope: str = ALL
    #: Values resting on fewer observations are ignored: thin data neither raises nor clears an alert.
    min_samples: int = 20
    #: How far (absolute, in the KPI's unit) past a level a firing alert's value must return to let go.
    hysteresis: float = 0.0
    #: German, shown to operators.
    description: str
    #: Action kinds this alert suggests (see :data:`ACTIONS`).
    actions: tuple[str, ...] = ()
    #: Whether the suggested actions that are safe may run without an operator.
    auto: bool = False

    def __post_init__(self) -> None:
        found = threshold_problems({field.name: getattr(self, field.name) for field in fields(self)})
        if found:
            raise ThresholdError([f"threshold {self.name!r}: {key}: {message}" for key, message in found])

    @property
    def levels(self) -> tuple[tuple[Severity, float], ...]:
        """The configured levels, worst first."""
        pairs = ((Severity.CRITICAL, self.critical), (Severity.WARNING, self.warning))
        return tuple((severity, level) for severity, level in pairs if level is not None)

    def covers(self, scope: str) -> bool:
        """Whether ``scope`` is one this threshold judges."""
        if self.scope == EACH_TOPIC:
            return scope.startswith(TOPIC_PREFIX)
        return scope == self.scope


def is_rate(kpi: Kpi) -> bool:
    """Whether ``kpi`` is a share of 0..1. Latency is in ms; the retrieval confidence is a mean of fused
    search scores, 0..2 with the default weights (each leg's 0..1 score times its weight, plus the
    learned boost), so its levels are scores too (``config/thresholds.yaml``)."""
    return kpi not in (Kpi.LATENCY_P95_MS, Kpi.RETRIEVAL_CONFIDENCE)


def threshold_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The rules a threshold's values break, as ``(key, message)``; a missing key is not judged.

    Keys are judged only when present, so the loader can report a bad ``kpi`` and a bad
    ``min_samples`` of one entry together.
    """
    found: list[tuple[str, str]] = []
    if "name" in values and not _NAME.fullmatch(values["name"]):
        found.append(("name", f"{values['name']!r} is not a slug of a-z, 0-9 and _"))
    if "scope" in values and not _valid_scope(values["scope"]):
        found.append(("scope", f"{values['scope']!r} is not 'all', 'topic:<name>' or '{EACH_TOPIC}'"))
    if values.get("min_samples", 1) < 1:
        found.append(("min_samples", f"must be at least 1, got {values['min_samples']}"))
    if values.get("hysteresis", 0) < 0:
        found.append(("hysteresis", f"must not be negative, got {values['hysteresis']}"))
    if "description" in values and not values["description"].strip():
        found.append(("description", "must not be empty (operators read it)"))
    unknown = sorted(set(values.get("actions", ())) - ACTIONS)
    if unknown:
        found.append(("actions", f"unknown action {', '.join(map(repr, unknown))}; known: {_known(ACTIONS)}"))
    if values.get("auto") and not values.get("actions"):
        found.append(("auto", "is true but the threshold suggests no actions"))
    return found + _level_problems(values)


def _level_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    if "warning" not in values or "critical" not in values:
        return []
    warning, critical = values["warning"], values["critical"]
    if warning is None and critical is None:
        return [("warning", "needs a warning or a critical level (or both)")]
    found: list[tuple[str, str]] = []
    kpi = values.get("kpi")
    if isinstance(kpi, Kpi) and is_rate(kpi):
        for key in ("warning", "critical", "hysteresis"):
            level = values.get(key)
            if level is not None and not 0 <= level <= 1:
                found.append((key, f"{kpi} is a rate within 0..1, got {level}"))
    elif kpi is not None:
        for key in ("warning", "critical"):
            if values[key] is not None and values[key] < 0:
                found.append((key, f"{kpi} cannot be negative, got {values[key]}"))
    comparator = values.get("comparator")
    if warning is not None and critical is not None and isinstance(comparator, Comparator):
        worse = critical <= warning if comparator.lower_is_worse else critical >= warning
        if not worse:
            side = "<=" if comparator.lower_is_worse else ">="
            found.append(
                (
                    "critical",
                    f"with comparator '{comparator}' critical must be {side} warning, "
                    f"got critical {critical} and warning {warning}",
                )
            )
    return found


def _valid_scope(scope: str) -> bool:
    return scope in (ALL, EACH_TOPIC) or (scope.startswith(TOPIC_PREFIX) and len(scope) > len(TOPIC_PREFIX))


def _known(names: Iterable[str]) -> str:
    return ", ".join(sorted(str(name) for name in names))


# --- loading ------------------------------------------------------------------------------------------


class _Bad(Exception):
    """A value of the wrong type or outside its vocabulary (the loader turns it into a problem)."""


def _text(raw: object) -> str:
    if not isinstance(raw, str):
        raise _Bad(f"expected text, got {raw!r}")
    return raw


def _number(raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise _Bad(f"expected a number, got {raw!r}")
    return float(raw)


def _level(raw: object) -> float | None:
    return None if raw is None else _number(raw)


def _count(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise _Bad(f"expected a whole number, got {raw!r}")
    return raw


def _flag(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise _Bad(f"expected true or false, got {raw!r}")
    return raw


def _names(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise _Bad(f"expected a list of action names, got {raw!r}")
    return tuple(raw)


def _kpi(raw: object) -> Kpi:
    if not isinstance(raw, str) or raw not in set(Kpi):
        raise _Bad(f"unknown KPI {raw!r}; known: {_known(Kpi)}")
    return Kpi(raw)


def _window(raw: object) -> Window:
    if not isinstance(raw, str) or raw not in set(Window):
        raise _Bad(f"unknown window {raw!r}; known: {_known(Window)}")
    return Window(raw)


def _comparator(raw: object) -> Comparator:
    if not isinstance(raw, str) or raw not in set(Comparator):
        hint = " (quote it: YAML reads a bare > as a folded text block)" if raw in ("", None) else ""
        raise _Bad(f"unknown comparator {raw!r}; known: <, <=, >, >={hint}")
    return Comparator(raw)


#: Each key of an entry, how its value is read, and its default (``...``: required).
_KEYS: Final[dict[str, tuple[Callable[[object], Any], object]]] = {
    "name": (_text, ...),
    "kpi": (_kpi, ...),
    "comparator": (_comparator, ...),
    "warning": (_level, None),
    "critical": (_level, None),
    "window": (_window, ...),
    "scope": (_text, ALL),
    "min_samples": (_count, 20),
    "hysteresis": (_number, 0.0),
    "description": (_text, ...),
    "actions": (_names, ()),
    "auto": (_flag, False),
}


class _Reader:
    """Walks the composed YAML nodes (they know their lines) and collects problems with their place."""

    def __init__(self, loader: yaml.SafeLoader, source: str) -> None:
        self._loader = loader
        self._source = source
        self._problems: list[tuple[int, str]] = []
        self._name_lines: dict[str, int] = {}

    @property
    def problems(self) -> list[str]:
        """Every problem so far, in line order (the order of finding is the order of the code)."""
        return [text for _, text in sorted(self._problems, key=lambda problem: problem[0])]

    def problem(self, node: yaml.Node, path: str, message: str) -> None:
        line = node.start_mark.line + 1
        self._problems.append((line, f"{self._source}, line {line} ({path}): {message}"))

    def mapping(self, node: yaml.Node, path: str) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """A mapping's entries by key as ``(key node, value node)``; duplicate keys are problems."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, path, "expected a mapping of keys to values")
            return None
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in entries:
                first = entries[key][0].start_mark.line + 1
                self.problem(key_node, f"{path}.{key}", f"duplicate key (first on line {first})")
            entries[key] = (key_node, value_node)
        return entries

    def value(self, node: yaml.Node) -> object:
        try:
            return self._loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as error:
            raise _Bad(str(error.problem)) from error

    def unique(self, name: str, key_node: yaml.Node, path: str) -> None:
        if name in self._name_lines:
            first = self._name_lines[name]
            self.problem(key_node, f"{path}.name", f"duplicate name {name!r} (first on line {first})")
        else:
            self._name_lines[name] = key_node.start_mark.line + 1

    def entry(self, node: yaml.Node, path: str) -> Threshold | None:
        """One threshold, or None when it has problems (they are recorded)."""
        entries = self.mapping(node, path)
        if entries is None:
            return None
        before = len(self._problems)
        for key in sorted(set(entries) - set(_KEYS)):
            self.problem(entries[key][0], f"{path}.{key}", f"unknown key; known: {', '.join(_KEYS)}")
        values: dict[str, Any] = {}
        for key, (read, default) in _KEYS.items():
            if key not in entries:
                if default is ...:
                    self.problem(node, path, f"missing key {key!r}")
                else:
                    values[key] = default
                continue
            try:
                values[key] = read(self.value(entries[key][1]))
            except _Bad as bad:
                self.problem(entries[key][0], f"{path}.{key}", str(bad))
        for key, message in threshold_problems(values):
            self.problem(entries[key][0] if key in entries else node, f"{path}.{key}", message)
        if "name" in values:
            self.unique(values["name"], entries["name"][0], path)
        if len(self._problems) > before:
            return None
        return Threshold(**values)


def load_thresholds(text: str, source: str = "thresholds.yaml") -> tuple[Threshold, ...]:
    """The thresholds of a file's text, in file order; :class:`ThresholdError` lists every problem."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark is not None else 1
            raise ThresholdError([f"{source}, line {line}: malformed YAML: {error.problem}"]) from error
        return _read_file(_Reader(loader, source), root, source)
    finally:
        loader.dispose()


def _read_file(reader: _Reader, root: yaml.Node | None, source: str) -> tuple[Threshold, ...]:
    if root is None:
        raise ThresholdError([f"{source}, line 1: empty file; expected a 'thresholds:' list"])
    top = reader.mapping(root, "file")
    if top is None:
        raise ThresholdError(reader.problems)
    for key in sorted(set(top) - {"thresholds"}):
        reader.problem(top[key][0], key, "unknown key; the file holds only 'thresholds'")
    if "thresholds" not in top:
        reader.problem(root, "file", "missing key 'thresholds'")
        raise ThresholdError(reader.problems)
    listed = top["thresholds"][1]
    if not isinstance(listed, yaml.SequenceNode):
        reader.problem(listed, "thresholds", "expected a list of thresholds")
        raise ThresholdError(reader.problems)
    loaded = [reader.entry(node, f"thresholds[{index}]") for index, node in enumerate(listed.value)]
    if reader.problems:
        raise ThresholdError(reader.problems)
    return tuple(threshold for threshold in loaded if threshold is not None)
