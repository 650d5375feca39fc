"""Parsing Luna's sources for the tests that check their shape (sizes, which module builds what)."""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor


def parsed(text: str, filename: str = "<unknown>") -> ast.Module:
    """``text``'s syntax tree, parsed in a thread of its own: CPython 3.11's AST constructor checks the
    thread's recursion depth, which tests run before in the same thread (seen after the API docs and
    OpenAPI fuzz tests) can leave unbalanced ("AST constructor recursion depth mismatch")."""
    with ThreadPoolExecutor(max_workers=1) as fresh:
        return fresh.submit(ast.parse, text, filename).result()
