"""ONNX Runtime's dynamic int8 quantisation, kept quiet: it logs through the root logger itself.

Both int8 conversions (e5-small's encoder in :mod:`~luna.adapters.models.e5_onnx`, EmbeddingGemma's
projections in :mod:`~luna.adapters.models.gemma_prepare`) run inside :func:`quantisation_quieted`, so a
first start shows Luna's own lines, not about 60 per-tensor notes and advice to pre-process.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

#: ONNX Runtime's advice to run its shape-inference pre-processing first, which cannot type the outputs
#: of the contrib operators these graphs use: nothing to act on.
PREPROCESSING_ADVICE = "Please consider to run pre-processing before quantization"


class QuantisationNoise(logging.Filter):
    """Drops what ``quantize_dynamic`` says about each tensor (about 60 INFO lines on the root logger
    at a first start) and its pre-processing advice; its other warnings and errors pass."""

    def __init__(self) -> None:
        super().__init__()
        import onnxruntime.quantization

        self._package = str(Path(onnxruntime.quantization.__file__).parent)

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.pathname.startswith(self._package):
            return True
        if record.levelno < logging.WARNING:
            return False
        return not record.getMessage().startswith(PREPROCESSING_ADVICE)


@contextlib.contextmanager
def quantisation_quieted() -> Iterator[None]:
    """ONNX Runtime's quantisation logs through the root logger itself (``logging.info``), so only a
    filter on that logger, for the conversion's time, keeps its chatter out of Luna's log."""
    noise = QuantisationNoise()
    root = logging.getLogger()
    root.addFilter(noise)
    try:
        yield
    finally:
        root.removeFilter(noise)
