"""No service is constructed outside the composition root (issue #12).

A service is a class defined in ``luna.services.*`` that is not a value type (dataclass, Protocol,
enum, exception, named tuple, typed dict). The API, the dashboards, the CLI and the workers take
services from ``container.services``; only :mod:`luna.container` and :mod:`luna.container_services`
call a service class (or one of its class-level constructors such as ``RecommendService.from_settings``).
Modules inside ``luna.services`` may build the parts of the service they make up (the knowledge base
wires its ingest, retrieval and answers), since they are built once with it.

The check reads the source with :mod:`ast`: it follows ``from luna.services.x import Y [as Z]`` and
``import luna.services.x [as m]``, so an alias does not hide a construction.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import luna
from tests.unit.syntax_trees import parsed

SOURCE = Path(luna.__file__).parent
COMPOSITION_ROOT = frozenset(
    {
        "luna.container",
        "luna.container_services",
        "luna.container_finetune",
        "luna.container_prompts",
        "luna.container_models",
    }
)
_VALUE_BASES = frozenset(
    {"Protocol", "Exception", "Enum", "StrEnum", "IntEnum", "NamedTuple", "TypedDict", "BaseModel"}
)


@dataclass(frozen=True, order=True)
class Construction:
    module: str
    line: int
    service: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} builds {self.service}"


def module_name(path: Path, root: Path = SOURCE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_value_type(node: ast.ClassDef) -> bool:
    if any("dataclass" in ast.unparse(decorator) for decorator in node.decorator_list):
        return True
    bases = {ast.unparse(base).split("[")[0].rsplit(".", 1)[-1] for base in node.bases}
    return bool(bases & _VALUE_BASES) or any(base.endswith(("Error", "Exception")) for base in bases)


def service_classes(sources: dict[str, str]) -> dict[str, frozenset[str]]:
    """Service class names by the ``luna.services`` module that defines them."""
    found: dict[str, frozenset[str]] = {}
    for module, text in sources.items():
        if module == "luna.services" or module.startswith("luna.services."):
            classes = parsed(text).body
            found[module] = frozenset(
                node.name for node in classes if isinstance(node, ast.ClassDef) and not _is_value_type(node)
            )
    return found


def _bindings(tree: ast.Module, services: dict[str, frozenset[str]]) -> tuple[set[str], dict[str, str]]:
    """Local names bound to service classes, and local names bound to ``luna.services`` modules."""
    classes: set[str] = set()
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _from_luna_services(node.module):
            defined = services.get(node.module or "", frozenset())
            for alias in node.names:
                local = alias.asname or alias.name
                if alias.name in defined:
                    classes.add(local)
                else:  # a module of a service package: ``from luna.services.learning import recommend``
                    modules[local] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in services and alias.asname:
                    modules[alias.asname] = alias.name
                elif alias.name in services:  # ``import luna.services.x`` binds ``luna``
                    modules["luna"] = "luna"
    return classes, modules


def _from_luna_services(module: str | None) -> bool:
    return module is not None and (module in ("luna", "luna.services") or module.startswith("luna.services."))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def constructions(module: str, text: str, services: dict[str, frozenset[str]]) -> Iterator[Construction]:
    """Every call of a service class, or of a class-level constructor of one, in ``text``."""
    tree = parsed(text)
    classes, modules = _bindings(tree, services)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _dotted(node.func)
        if called is None:
            continue
        head, *rest = called.split(".")
        if head in classes:  # Service(...) or Service.from_settings(...)
            yield Construction(module, node.lineno, called)
            continue
        if head not in modules:
            continue
        # luna.services.<package>.jobs.JobService(...), or the same through an alias of a module
        for split in range(len(rest)):
            owner = ".".join([modules[head], *rest[:split]])
            if rest[split] in services.get(owner, frozenset()):
                yield Construction(module, node.lineno, called)
                break


def offenders(sources: dict[str, str]) -> list[Construction]:
    services = service_classes(sources)
    return sorted(
        found
        for module, text in sources.items()
        if module not in COMPOSITION_ROOT and module not in services
        for found in constructions(module, text, services)
    )


def _luna_sources() -> dict[str, str]:
    return {module_name(path): path.read_text(encoding="utf-8") for path in sorted(SOURCE.rglob("*.py"))}


def test_no_service_is_built_outside_the_composition_root() -> None:
    found = offenders(_luna_sources())
    assert not found, (
        "services built outside luna.container(_services); take them from container.services:\n"
        + ("\n".join(map(str, found)))
    )


def test_the_services_the_check_knows_include_the_entry_points_ones() -> None:
    services = set().union(*service_classes(_luna_sources()).values())
    assert {
        "JobService",
        "SimulationControl",
        "LearningControl",
        "KnowledgeBase",
        "RecommendService",
    } <= services
    assert "IngestRequest" not in services  # a value type: entry points build those freely


def test_the_check_finds_constructions_however_they_are_spelled() -> None:
    sources = {
        "luna.services.operations.jobs": "from dataclasses import dataclass\n"
        "class JobService: ...\n"
        "@dataclass\nclass JobRow: ...\n",
        "luna.services.learning.recommend": "class RecommendService:\n"
        "    @classmethod\n    def from_settings(cls): ...\n",
        "luna.api.deps": "from luna.services.operations.jobs import JobService as Jobs, JobRow\n"
        "from luna.services.learning import recommend\n"
        "import luna.services.operations.jobs\n"
        "def a(): return Jobs(1, 2)\n"
        "def b(): return recommend.RecommendService.from_settings()\n"
        "def c(): return luna.services.operations.jobs.JobService()\n"
        "def d(): return JobRow()\n",
        "luna.container_services": "from luna.services.operations.jobs import JobService\nJobService()\n",
    }
    assert [str(found) for found in offenders(sources)] == [
        "luna.api.deps:4 builds Jobs",
        "luna.api.deps:5 builds recommend.RecommendService.from_settings",
        "luna.api.deps:6 builds luna.services.operations.jobs.JobService",
    ]
