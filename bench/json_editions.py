"""The Winterthur portal's texts as its JSON source file against the Markdown edition (issue #14's corpus).

    .venv/bin/python bench/json_editions.py      # after bench/retrieval_quality.py --fresh

``notizen/energieportal-winterthur.md`` was assembled by hand from the portal's ``de.json``. This builds
two more bench indexes with the laws' Markdown and the JSON file instead of the Markdown notes: read as
JSON (``luna.adapters.extract.json_text``) and read as plain text (how every JSON file was read before),
and answers every golden question through the evaluation core on all three. The evaluation core finds a
document by its file's hash, so the JSON indexes are judged with the JSON file under the notes' name.
Prints the figures per split, and for the questions about the portal alone.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from corpus_container import REPO, WORK
from law_xml_editions import build_index, figures

from luna.adapters.extract import local

CORPUS = REPO.parent / "shared" / "corpus"
PORTAL_MD = CORPUS / "notizen" / "energieportal-winterthur.md"
PORTAL_JSON = CORPUS / "notizen" / "energieportal-winterthur-de.json"


def build(work: Path, as_json: bool) -> int:
    """The laws' Markdown and the portal's JSON in ``work``, the JSON read by its structure or not."""
    with mock.patch.object(local, "_is_json", lambda *args: as_json):
        return build_index(work, [*sorted((CORPUS / "gesetze").glob("*.md")), PORTAL_JSON])


def main() -> int:
    print(
        "| portal read as | split | hit@1 / hit@5 / MRR@10 | states it | first citation answers "
        "| refused unanswerable / answerable | number warnings | portal questions: found in top 5 / stated |"
        "\n|---|---|---|---|---|---|---|---|"
    )
    figures(WORK, "Markdown edition", CORPUS, PORTAL_MD.name)
    with tempfile.TemporaryDirectory() as named:
        shutil.copyfile(PORTAL_JSON, Path(named) / PORTAL_MD.name)
        for path in sorted((CORPUS / "gesetze").glob("*.md")):
            shutil.copyfile(path, Path(named) / path.name)
        for label, as_json in (("JSON, structure", True), ("JSON as plain text (before)", False)):
            work = REPO / "bench" / "out" / f"retrieval-{'json' if as_json else 'jsontext'}"
            started = time.perf_counter()
            chunks = build(work, as_json)
            print(f"<!-- {label}: {chunks} chunks, {time.perf_counter() - started:.0f} s -->", flush=True)
            figures(work, label, Path(named), PORTAL_MD.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
