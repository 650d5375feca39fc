"""`luna learn`: the learning job (being written: issue #5)."""

from __future__ import annotations

import typer

app = typer.Typer(help="The learning loop: popularity and quality scores.", no_args_is_help=True)
