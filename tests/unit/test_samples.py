"""``docs/samples`` holds Luna's four German demo documents and nothing else.

``luna ingest docs/samples`` (a new user's first command) read the folder's developer note
``README.md`` as a fifth sample and named its generator ``make_samples.py`` as skipped; both now lie
beside the folder (``docs/samples.md``, ``docs/make_samples.py``), and the generator still writes the
committed binaries there.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from luna.services.knowledge.ingest_files import collect_files
from luna.workers.knowledge import samples_dir

SAMPLES = [
    "foerderung-heizungstausch.html",
    "netzentgelte-2026.pdf",
    "stromtarife-und-lastverschiebung.md",
    "waermepumpe-im-einfamilienhaus.docx",
]


def make_samples() -> ModuleType:
    """``docs/make_samples.py``, imported from where it lies (it is a script, not a package module)."""
    path = samples_dir().parent / "make_samples.py"
    spec = importlib.util.spec_from_file_location("make_samples", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_ingest_of_the_samples_folder_reads_the_four_samples_and_skips_nothing() -> None:
    found = collect_files([samples_dir()])

    assert [path.name for path in found.files] == SAMPLES
    assert found.skipped == []


def test_the_generator_writes_the_committed_binaries_into_the_samples_folder(tmp_path: Path) -> None:
    script = make_samples()

    script.make_docx(tmp_path / "sample.docx")
    script.make_pdf(tmp_path / "sample.pdf")

    committed = samples_dir()
    assert committed == script.SAMPLES
    assert (tmp_path / "sample.docx").read_bytes() == (committed / SAMPLES[3]).read_bytes()
    assert (tmp_path / "sample.pdf").read_bytes() == (committed / SAMPLES[1]).read_bytes()
