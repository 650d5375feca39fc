"""Code size limits (issue #12): no source file over 450 lines, no function over 80 lines.

A file past the limit is split by meaning, a function past it into named steps; the failure names
every offender with its size, so the fix starts where the message points.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.unit.syntax_trees import parsed

SOURCE = Path(__file__).resolve().parents[2] / "src" / "luna"
MAX_FILE_LINES = 450
MAX_FUNCTION_LINES = 80


def _sources() -> list[Path]:
    return sorted(SOURCE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(SOURCE).as_posix()


def test_no_source_file_is_longer_than_the_limit() -> None:
    too_long = [
        f"{_name(path)}: {lines} lines"
        for path in _sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    ]
    assert not too_long, f"files over {MAX_FILE_LINES} lines (split them by meaning): {too_long}"


def test_no_function_is_longer_than_the_limit() -> None:
    too_long = []
    for path in _sources():
        for node in ast.walk(parsed(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{_name(path)}:{node.lineno} {node.name}: {lines} lines")
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines (split them into steps): {too_long}"
