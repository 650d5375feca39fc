"""What a fine-tuning run started from outside this process may name: a template and a run to resume.

``luna finetune run --config FILE`` is the operator's own shell and reads any file the operator names.
The job ``finetune.run`` is different: the admin API, a flywheel ticket or ``luna jobs run`` queue it,
and the worker reads the template. Had ``config`` been any path, the worker would read any file it can
(``/etc/shadow``, the secrets file) and the template's error messages, which name the keys and lines
they found, would hand its content back in a 400. So a job's ``config`` names only a template Luna
ships (``config/finetune/``) or one the operator put under ``<data_dir>/finetune/templates/``, or the
configured ``finetune.config_file``; the path is judged with ``..`` and symlinks resolved. ``resume``
must be a plain run ID (``<name>-<YYYYmmdd-HHMMSS>-<hex>`` or ``job-<uuid>``), so it can only ever name
a folder directly under ``<data_dir>/finetune/runs/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from luna.domain.config_file import load_config_file
from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.finetune.config import FinetuneConfig
from luna.settings.loader import default_config_dir

#: A run folder's name: an adapter name (``a-z0-9_-``) with a time stamp, or ``job-<uuid>``.
RUN_ID: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,199}")
#: A template named without a folder: ``lora`` or ``lora.yaml``.
TEMPLATE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}(\.ya?ml)?")
TEMPLATE_SUFFIXES: Final = (".yaml", ".yml")
MAX_CONFIG_CHARS: Final = 1_000
TEMPLATE_RULE: Final = (
    "config must name a fine-tuning template that Luna ships (config/finetune/) or one in "
    "<data_dir>/finetune/templates/, by its name (lora) or its path there"
)


def is_run_id(value: object) -> bool:
    return isinstance(value, str) and RUN_ID.fullmatch(value) is not None


def resume_folder(runs: Path, resume: str) -> Path:
    """The folder of the run ``resume`` names under ``runs``; NotFound when there is none, Conflict when
    its adapter is registered already (resumed, it registered the same run as a second version)."""
    if not is_run_id(resume) or not (runs / resume / "config.json").is_file():
        raise NotFound(f"No fine-tuning run with id {resume[:200]!r} to resume.")
    ended = read_outcome(runs / resume)
    if ended is not None and ended.get("state") == "registered":
        raise Conflict(
            f"Run {resume} is finished: registered as {ended.get('label')}. Start a new run to train again."
        )
    return runs / resume


#: How a run ended, kept in its folder: ``luna finetune status`` shows it, a resume of a registered run
#: is refused. A folder without it holds a run that is running, or whose process died (resume it).
OUTCOME_FILE: Final = "outcome.json"


def write_outcome(run_dir: Path, state: str, **details: object) -> None:
    """``state``: registered (``label``), stopped (``steps``, ``reason``) or failed (``error``)."""
    (run_dir / OUTCOME_FILE).write_text(json.dumps({"state": state, **details}, ensure_ascii=False), "utf-8")


def read_outcome(run_dir: Path) -> dict[str, Any] | None:
    try:
        ended = json.loads((run_dir / OUTCOME_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return ended if isinstance(ended, dict) else None


def read_template(file: Path) -> FinetuneConfig:
    """The template in ``file``, every problem named by line and key; NotFound when there is none."""
    try:
        text = file.read_text(encoding="utf-8") if file.is_file() else None
    except (OSError, ValueError):  # a name too long for the file system, no permission, not UTF-8
        raise InvalidInput(f"fine-tuning template cannot be read: {file.name[:100]}") from None
    if text is None and file.is_dir():
        raise InvalidInput(f"fine-tuning template is a folder, not a YAML file: {str(file)[:300]}")
    if text is None:
        raise NotFound(f"fine-tuning template not found: {str(file)[:300]}")
    return load_config_file(text, file.name, FinetuneConfig)


def packaged_templates() -> Path:
    return default_config_dir() / "finetune"


def find_template(config: str, own: Path, configured: Path) -> Path:
    """The template a job's ``config`` names: in ``own`` (``<data_dir>/finetune/templates``), among
    the packaged ones, or the ``configured`` file itself; InvalidInput for anything else.

    A bare name is looked up in ``own`` first, so an operator's file replaces a packaged one of the
    same name. A path must exist only once the template is read (NotFound then, as for the CLI).
    """
    if not config or len(config) > MAX_CONFIG_CHARS:
        raise InvalidInput(TEMPLATE_RULE)
    folders = [_resolved(own), _resolved(packaged_templates())]
    if TEMPLATE_NAME.fullmatch(config):
        file_name = config if config.endswith(TEMPLATE_SUFFIXES) else f"{config}.yaml"
        for folder in folders:
            candidate = _resolved(folder / file_name)
            if _exists(candidate):
                return _allowed(candidate, folders, configured)
        known = ", ".join(_names(folders)) or "none"
        raise NotFound(f"No fine-tuning template named {config!r}; known: {known}.")
    return _allowed(_resolved(Path(config)), folders, configured)


def _allowed(path: Path, folders: Iterable[Path], configured: Path) -> Path:
    inside = path.suffix in TEMPLATE_SUFFIXES and any(path.is_relative_to(folder) for folder in folders)
    if not inside and path != _resolved(configured):
        raise InvalidInput(TEMPLATE_RULE)
    return path


def _resolved(path: Path) -> Path:
    """``path`` absolute, with ``..`` and symlinks resolved; a NUL byte or an unusable name is refused."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        raise InvalidInput(TEMPLATE_RULE) from None


def _exists(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name longer than the file system takes
        return False


def _names(folders: Iterable[Path]) -> list[str]:
    found: set[str] = set()
    for folder in folders:
        if folder.is_dir():
            found.update(p.stem for p in folder.iterdir() if p.suffix in TEMPLATE_SUFFIXES)
    return sorted(found)
