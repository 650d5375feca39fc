"""The training stack is Luna's optional ``finetune`` extra: import it on use, name the fix when absent."""

from __future__ import annotations

import importlib
from types import ModuleType

from luna.domain.errors import Unavailable

INSTALL_HINT = (
    "the fine-tuning stack is not installed; install Luna's optional 'finetune' extra "
    "(pip install -e '.[finetune]'; torch==2.13.0 is the CPU build)"
)


def framework(name: str) -> ModuleType:
    """``torch``, ``transformers``, ``peft``, ``trl``, ``datasets``, ``gguf`` … or a clear Unavailable."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Unavailable(f"{INSTALL_HINT} ({name}: {exc})") from exc
