"""Where a job may read files on the worker's machine: only inside folders the operator chose.

Whoever may submit a job (the admin API, a flywheel ticket, ``luna jobs run``) names the paths in its
params, and the worker reads them with its own rights: ``/etc/passwd``, the secrets file, any YAML whose
keys an error message would name. So a job that reads files takes them only inside its
:class:`ReadableFolders` (``kb.ingest_paths``: ``ingest.import_dirs``; ``eval.run``: the golden-set
folders and files), judged on the path with ``..`` and symlinks resolved, when the job is submitted (a
400, nothing queued) and again when it runs (the folders or the disk may have changed meanwhile). A
refusal quotes only the caller's own text, shortened, and reads the same whether the path exists or
not, so it cannot be used to probe the disk outside the folders.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from luna.domain.errors import InvalidInput

#: Longer than any path a file system takes (Linux: 4096 bytes).
MAX_PATH_CHARS: Final = 4_096


@dataclass(frozen=True, slots=True)
class ReadableFolders:
    """The folders a job may read (resolved), the single files it may read besides, and how its
    refusals name them."""

    folders: tuple[Path, ...]
    #: Says which folders these are and where they are set: ``the import folders (ingest.import_dirs)``.
    name: str
    #: The key under which a refusal's ``details`` list the folders (``import_dirs``).
    key: str
    #: Files allowed one by one: the path itself, never what lies below it, so an entry that turns out
    #: to be a folder (``.``, a data dir) opens nothing.
    files: tuple[Path, ...] = ()

    @classmethod
    def of(cls, folders: Iterable[Path], name: str, key: str, files: Iterable[Path] = ()) -> ReadableFolders:
        """``folders`` and ``files`` with ``~`` expanded and ``..`` and symlinks resolved, as every path
        is judged."""
        return cls(
            tuple(folder.expanduser().resolve() for folder in folders),
            name,
            key,
            tuple(file.expanduser().resolve() for file in files),
        )

    def holds(self, path: Path) -> bool:
        """``path`` (already resolved) is one of the folders or lies inside one, or is one of the files."""
        return path in self.files or any(path.is_relative_to(folder) for folder in self.folders)

    def resolve(self, param: str, raw: object) -> Path:
        """``raw`` (a path a job was given for ``param``) resolved, if it lies inside the folders;
        InvalidInput otherwise.

        Only what the text alone shows is refused as unusable. Everything that takes the file system to
        judge gets the one "outside" refusal, a path that cannot be resolved (a symlink loop) too: it
        cannot be shown to lie inside, and a refusal of its own would tell a caller what lies where. A
        ``~`` path is refused from its text, since expanding ``~name`` asks the account database and
        would tell which accounts exist."""
        if not isinstance(raw, str) or not raw or len(raw) > MAX_PATH_CHARS:
            raise InvalidInput(f"{param}: every path has 1 to {MAX_PATH_CHARS} characters.")
        if raw.startswith("~"):
            raise InvalidInput(f"{param}: {raw[:120]!r} starts with ~; give the full path.")
        if "\x00" in raw or not _encodable(raw):
            raise InvalidInput(f"{param}: {raw[:120]!r} is not a usable path.")
        try:
            path: Path | None = Path(raw).resolve()
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError), a working directory gone
            path = None
        if path is None or not self.holds(path):
            allowed = [str(place) for place in (*self.folders, *self.files)]
            raise InvalidInput(
                f"{param}: {raw[:120]!r} is outside {self.name}: {', '.join(allowed) or 'none configured'}.",
                details={self.key: allowed},
            )
        return path


def _encodable(raw: str) -> bool:
    """``raw`` has a name on disk: a lone surrogate (JSON allows ``\\ud800``) has none."""
    try:
        os.fsencode(raw)
    except UnicodeEncodeError:
        return False
    return True
