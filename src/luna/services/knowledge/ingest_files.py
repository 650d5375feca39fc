"""Ingesting files and folders from disk: what ``luna ingest PATH…``, the demo set and the
``kb.ingest_paths`` job share.

A folder is walked recursively for the formats Luna reads. Its other files are skipped with the reason,
so that a user who points Luna at a folder learns what it left out; hidden files and folders (``.git``,
``.DS_Store``) are passed over without a word, as no one expects them to be read. One file's failure does
not stop the others: each gets an outcome (ingested, already there, failed or skipped, with the reason),
and the summary says how many of each.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from luna.domain.errors import Conflict, InvalidInput, LunaError
from luna.services.knowledge.ingest import IngestRequest, IngestService

#: File endings worth offering to the extractor (the content still decides the type): those a single
#: file is read in, so that a folder's ``.csv`` or law ``.xml`` is read too, not skipped.
INGESTIBLE_SUFFIXES = frozenset(
    {".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt", ".csv", ".tsv", ".json", ".xml"}
)
#: The formats of :data:`INGESTIBLE_SUFFIXES`, as a skipped file's reason names them.
INGESTIBLE_FORMATS = "PDF, DOCX, HTML, Markdown, Text, CSV/TSV, JSON, Gesetzes-XML"

Outcome = Literal["ingested", "duplicate", "failed", "skipped"]
#: How :meth:`IngestSummary.outcome_line` names each outcome, failures first.
_OUTCOME_WORDS: tuple[tuple[Outcome, str], ...] = (
    ("failed", "fehlgeschlagen"),
    ("ingested", "eingelesen"),
    ("duplicate", "schon vorhanden"),
    ("skipped", "übersprungen"),
)
#: Failed files a job's last message names; the job's result lists every one with its reason.
_FAILED_NAMED = 3


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

    def outcome_line(self) -> str:
        """The outcome in German, for a job's last message: "1 eingelesen, 2 fehlgeschlagen (kaputt.pdf,
        leer.md)". A job whose files failed still succeeds (the others are in), so the line must say so:
        "2 von 2 Dateien verarbeitet" hid every failure."""
        counts = [(self.count(outcome), word) for outcome, word in _OUTCOME_WORDS]
        line = ", ".join(f"{count} {word}" for count, word in counts if count) or "Keine Datei"
        failed = [Path(f.path).name for f in self.files if f.outcome == "failed"]
        if failed:
            shown = ", ".join(failed[:_FAILED_NAMED]) + (" …" if len(failed) > _FAILED_NAMED else "")
            line += f" ({shown})"
        return line

    def as_dict(self) -> dict[str, object]:
        return {
            "ingested": self.count("ingested"),
            "duplicates": self.count("duplicate"),
            "failed": self.count("failed"),
            "skipped": self.count("skipped"),
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


@dataclass(frozen=True, slots=True)
class FoundFiles:
    """What :func:`collect_files` found: the files to read, and the ones left out with the reason.

    ``files`` are resolved (symlinks followed): what is read, and what a check of allowed folders judges.
    A skipped file is named as it lies in the folder (the folder resolved, then the names below it), so
    a link ``bild.jpg`` reads as that and not as the PDF it leads to; resolving its path gives the file
    it leads to, for such a check.
    """

    files: list[Path]
    skipped: list[FileOutcome]


#: "ftp://…", "file:///…": an address that is neither a file nor one Luna fetches (``Path`` would show it
#: with one slash lost).
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class PrivateFolder:
    """Luna's data dir: its secrets, database and models are never read in as documents (``luna ingest
    secrets.json`` let ``luna ask`` quote the admin key and the JWT secret), except the import folders
    that may lie in it (``<data_dir>/import``)."""

    folder: Path
    open_inside: tuple[Path, ...] = ()

    def holds(self, path: Path) -> bool:
        folder = self.folder.resolve()
        return path.is_relative_to(folder) and not any(
            path.is_relative_to(o.resolve()) for o in self.open_inside
        )


def collect_files(paths: Iterable[str | Path], private: PrivateFolder | None = None) -> FoundFiles:
    """Every ingestible file under ``paths``, sorted, without duplicates; files of other formats (a
    file named as well as a folder's: ``/etc/shadow`` has no ending) and files in the ``private`` folder
    are skipped with the reason.

    A folder's file is judged by its name there, not by the name of the file a symlink leads to; the
    resolved file is the key that keeps a file reached twice from being read or reported twice."""
    found: dict[Path, None] = {}
    skipped: dict[Path, Path] = {}  # resolved file -> its path as the folder shows it
    unreadable: list[FileOutcome] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_file():
            candidates = [(path, path)]
        elif path.is_dir():
            root = path.resolve()
            candidates = [(c, root / c.relative_to(path)) for c in _folder_files(path, unreadable)]
        elif _URL_SCHEME.match(str(raw)):
            raise InvalidInput(f"{raw} is not a file, and only http:// and https:// addresses are fetched.")
        else:
            raise InvalidInput(f"{path} is neither a file nor a folder.")
        for candidate, shown in candidates:
            target = candidate.resolve()
            if candidate.suffix.lower() in INGESTIBLE_SUFFIXES and not (private and private.holds(target)):
                found[target] = None
            else:
                skipped.setdefault(target, shown)
    outcomes = [
        FileOutcome(shown_path(shown), "skipped", message=_skip_reason(shown, private))
        for target, shown in skipped.items()
        if target not in found
    ]
    return FoundFiles(list(found), outcomes + unreadable)


def _folder_files(folder: Path, unreadable: list[FileOutcome]) -> list[Path]:
    """The files below ``folder``, sorted, hidden names and their folders left out. A folder that cannot
    be listed (a path longer than the system allows, no permission) is an outcome in ``unreadable``:
    it stopped the whole scan with a traceback."""

    def note(error: OSError) -> None:
        where = shown_path(error.filename) if error.filename else shown_path(folder)
        reason = f"Ordner nicht lesbar ({error.strerror or error})"
        unreadable.append(FileOutcome(where, "skipped", message=reason))

    files: list[Path] = []
    for top, folders, names in os.walk(folder, onerror=note):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            candidate = Path(top) / name
            if name.startswith("."):
                continue
            try:
                regular = candidate.is_file()
            except OSError as error:
                note(error)
                continue
            if regular:
                files.append(candidate)
    return sorted(files)


def shown_path(path: str | Path) -> str:
    """``path`` as text that can be stored and shown: a name in another encoding than UTF-8 holds bytes
    Python keeps as lone surrogates, which no database, JSON response or log line takes; they read "�"."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def _skip_reason(path: Path, private: PrivateFolder | None) -> str:
    """Why a file is not read, in German like the progress lines of an ingest; ``path`` is the name the
    folder shows (a symlink's own name, not its target's)."""
    if private is not None and private.holds(path.resolve()):
        return "liegt in Lunas Datenordner (Schlüssel, Datenbank, Modelle) und wird nie eingelesen"
    suffix = path.suffix.lower()
    what = f"Format {suffix}" if suffix else "Datei ohne Endung"
    return f"{what} wird nicht eingelesen (nur {INGESTIBLE_FORMATS})"


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
            fraction: float,
            message: str,
            number: int = number,
            name: str = shown_path(path.name),
            share: float = share,
        ) -> None:
            if progress is not None:
                progress((number + fraction) * share, f"{name} ({number + 1}/{total}): {message}")

        try:
            ingest.check_size(path.stat().st_size)
            request = IngestRequest(
                data=path.read_bytes(),
                filename=shown_path(path.name),
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
            message = error.message if isinstance(error, LunaError) else shown_path(str(error))
            summary.files.append(FileOutcome(shown_path(path), "failed", message=message))
        else:
            summary.files.append(FileOutcome(shown_path(path), "ingested", result.item_id, result.chunks))
        if progress is not None:
            progress((number + 1) * share, f"{number + 1} von {total} Dateien verarbeitet")
    return summary


def _conflict_outcome(path: Path, error: Conflict) -> FileOutcome:
    """A file already indexed is a duplicate; one whose item is still pending elsewhere is not indexed."""
    existing = error.details.get("item_id")
    item_id = str(existing) if existing else None
    if error.details.get("status") == "pending":
        return FileOutcome(shown_path(path), "failed", item_id, message=error.message)
    return FileOutcome(shown_path(path), "duplicate", item_id)
