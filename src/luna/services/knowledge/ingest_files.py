"""Ingesting files and folders from disk: what ``luna ingest PATH…``, the demo set and the
``kb.ingest_paths`` job share.

A folder is walked recursively for the formats Luna reads; hidden files and folders are skipped. One
file's failure does not stop the others: each gets an outcome (ingested, already there, failed with
the reason), and the summary says how many of each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from luna.domain.errors import Conflict, InvalidInput, LunaError
from luna.services.knowledge.ingest import IngestRequest, IngestService

#: File endings worth offering to the extractor (the content still decides the type).
INGESTIBLE_SUFFIXES = frozenset({".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt"})

Outcome = Literal["ingested", "duplicate", "failed"]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    path: str
    outcome: Outcome
    item_id: str | None = None
    chunks: int = 0
    message: str | None = None


@dataclass(slots=True)
class IngestSummary:
    files: list[FileOutcome] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def chunks(self) -> int:
        return sum(f.chunks for f in self.files)

    def as_dict(self) -> dict[str, object]:
        return {
            "ingested": self.count("ingested"),
            "duplicates": self.count("duplicate"),
            "failed": self.count("failed"),
            "chunks": self.chunks,
            "files": [
                {
                    "path": f.path,
                    "outcome": f.outcome,
                    "item_id": f.item_id,
                    "chunks": f.chunks,
                    "message": f.message,
                }
                for f in self.files
            ],
        }


def collect_files(paths: Iterable[str | Path], *, exclude_names: frozenset[str] = frozenset()) -> list[Path]:
    """Every ingestible file under ``paths`` (files are taken as given), sorted, without duplicates."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_file():
            found[path.resolve()] = None
        elif path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path).parts
                if (
                    candidate.is_file()
                    and candidate.suffix.lower() in INGESTIBLE_SUFFIXES
                    and not any(part.startswith(".") for part in relative)
                    and candidate.name not in exclude_names
                ):
                    found[candidate.resolve()] = None
        else:
            raise InvalidInput(f"{path} is neither a file nor a folder.")
    return list(found)


def ingest_files(
    ingest: IngestService,
    files: Sequence[Path],
    *,
    kind: str = "document",
    source: str = "api",
    tags: Sequence[str] = (),
    progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    added_by: str = "system",
    added_via: str = "job",
) -> IngestSummary:
    summary = IngestSummary()
    total = len(files)
    for number, path in enumerate(files):
        if should_stop is not None and should_stop():
            break
        share = 1.0 / max(total, 1)

        def within(
            fraction: float, message: str, number: int = number, name: str = path.name, share: float = share
        ) -> None:
            if progress is not None:
                progress((number + fraction) * share, f"{name} ({number + 1}/{total}): {message}")

        try:
            request = IngestRequest(
                data=path.read_bytes(),
                filename=path.name,
                kind=kind,
                source=source,
                tags=tags,
                added_by=added_by,
                added_via=added_via,
            )
            result = ingest.ingest(request, within)
        except Conflict as error:
            summary.files.append(_conflict_outcome(path, error))
        except (LunaError, OSError) as error:
            message = error.message if isinstance(error, LunaError) else str(error)
            summary.files.append(FileOutcome(str(path), "failed", message=message))
        else:
            summary.files.append(FileOutcome(str(path), "ingested", result.item_id, result.chunks))
        if progress is not None:
            progress((number + 1) * share, f"{number + 1} von {total} Dateien verarbeitet")
    return summary


def _conflict_outcome(path: Path, error: Conflict) -> FileOutcome:
    """A file already indexed is a duplicate; one whose item is still pending elsewhere is not indexed."""
    existing = error.details.get("item_id")
    item_id = str(existing) if existing else None
    if error.details.get("status") == "pending":
        return FileOutcome(str(path), "failed", item_id, message=error.message)
    return FileOutcome(str(path), "duplicate", item_id)
