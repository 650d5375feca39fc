"""Pipeline files on disk: the packaged ``config/pipelines`` and the operator's folder, each loaded
whole or kept with its problems (so one faulty file never hides the others)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from luna.domain.config_file import load_config_file
from luna.domain.datasets.pipeline import Pipeline
from luna.domain.errors import InvalidInput, NotFound


@dataclass(frozen=True, slots=True)
class PipelineFile:
    name: str
    path: Path
    pipeline: Pipeline | None
    error: str | None


def pipeline_files(folders: Sequence[Path]) -> list[PipelineFile]:
    """Every pipeline file by name (a later folder's file of the same name wins), loaded or with its error."""
    files: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            # A .yml file was ignored without a word: it is listed with what to do.
            files.update({path.stem: path for path in sorted(folder.glob("*.yml"))})
            files.update({path.stem: path for path in sorted(folder.glob("*.yaml"))})
    found = []
    for name, path in sorted(files.items()):
        if path.suffix == ".yml":
            renamed = f"{path.name}: pipeline files end in .yaml; rename it"
            found.append(PipelineFile(name, path, None, renamed))
            continue
        try:
            found.append(PipelineFile(name, path, _load(path), None))
        except InvalidInput as error:
            found.append(PipelineFile(name, path, None, str(error)))
    return found


def find_pipeline(folders: Sequence[Path], name: str) -> Pipeline:
    """The pipeline file ``name`` loaded; unknown → NotFound, a faulty file → its problems (400)."""
    entries = pipeline_files(folders)
    for entry in entries:
        if entry.name == name:
            if entry.pipeline is None:
                raise InvalidInput(entry.error or f"pipeline {name!r} cannot be loaded")
            return entry.pipeline
    raise NotFound(f"No pipeline named {name[:80]!r}; known: {', '.join(e.name for e in entries) or 'none'}.")


def _load(path: Path) -> Pipeline:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{path.name}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InvalidInput(f"{path.name}: cannot be read ({reason})") from None
    pipeline = load_config_file(text, path.name, Pipeline)
    if pipeline.name != path.stem:
        raise InvalidInput(f"{path.name}, line 1 (name): the name must be the file's name {path.stem!r}")
    return pipeline
