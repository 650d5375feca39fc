"""Where a job may read files on the worker's machine: only inside folders the operator chose.

Whoever may submit a job (the admin API, a flywheel ticket, ``luna jobs run``) names the paths in its
params, and the worker reads them with its own rights: ``/etc/passwd``, the secrets file, any YAML whose
keys an error message would name. So a job that reads files takes them only inside its
:class:`ReadableFolders` (``kb.ingest_paths``: ``ingest.import_dirs``; ``eval.run``: the golden-set
folders), judged on the path with ``..`` and symlinks resolved, when the job is submitted (a 400, nothing
queued) and again when it runs (the folders or the disk may have changed meanwhile). A refusal quotes only
the caller's own text, shortened, and reads the same whether the path exists or not, so it cannot be used
to probe the disk outside the folders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from luna.domain.errors import InvalidInput

#: Longer than any path a file system takes (Linux: 4096 bytes).
MAX_PATH_CHARS: Final = 4_096


@dataclass(frozen=True, slots=True)
class ReadableFolders:
    """The folders a job may read (resolved), and how its refusals name them."""

    folders: tuple[Path, ...]
    #: Says which folders these are and where they are set: ``the import folders (ingest.import_dirs)``.
    name: str
    #: The key under which a refusal's ``details`` list the folders (``import_dirs``).
    key: str

    @classmethod
    def of(cls, folders: Iterable[Path], name: str, key: str) -> ReadableFolders:
        """``folders`` with ``~`` expanded and ``..`` and symlinks resolved, as every path is judged."""
        return cls(tuple(folder.expanduser().resolve() for folder in folders), name, key)

    def holds(self, path: Path) -> bool:
        """``path`` (already resolved) is one of the folders or lies inside one; an entry that names a
        file allows that file alone."""
        return any(path.is_relative_to(folder) for folder in self.folders)

    def resolve(self, param: str, raw: object) -> Path:
        """``raw`` (a path a job was given for ``param``) resolved, if it lies inside the folders;
        InvalidInput otherwise, without looking at whether it exists."""
        if not isinstance(raw, str) or not raw or len(raw) > MAX_PATH_CHARS:
            raise InvalidInput(f"{param}: every path has 1 to {MAX_PATH_CHARS} characters.")
        try:
            path = Path(raw).expanduser().resolve()
        except (OSError, RuntimeError, ValueError):  # a NUL byte, a symlink loop, an unknown ~user
            raise InvalidInput(f"{param}: {raw[:120]!r} is not a usable path.") from None
        if not self.holds(path):
            shown = ", ".join(str(folder) for folder in self.folders) or "none configured"
            raise InvalidInput(
                f"{param}: {raw[:120]!r} is outside {self.name}: {shown}.",
                details={self.key: [str(folder) for folder in self.folders]},
            )
        return path
