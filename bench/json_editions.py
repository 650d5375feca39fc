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

from corpus_container import REPO, WORK, corpus_container, split_outcomes

from luna.adapters.extract import local
from luna.services.knowledge.ingest import IngestRequest

CORPUS = REPO.parent / "shared" / "corpus"
PORTAL_MD = CORPUS / "notizen" / "energieportal-winterthur.md"
PORTAL_JSON = CORPUS / "notizen" / "energieportal-winterthur-de.json"


def build(work: Path, as_json: bool) -> int:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    c = corpus_container(work)
    c.database.upgrade()
    chunks = 0
    try:
        with mock.patch.object(local, "_is_json", lambda *args: as_json):
            for path in [*sorted((CORPUS / "gesetze").glob("*.md")), PORTAL_JSON]:
                request = IngestRequest(data=path.read_bytes(), filename=path.name, kind="regulation")
                chunks += c.services.knowledge.ingest.ingest(request).chunks
    finally:
        c.close()
    return chunks


def figures(data_dir: Path, label: str, documents: Path) -> None:
    c = corpus_container(data_dir)
    try:
        for split, run, pairs in split_outcomes(c, f"edition-{label}", documents):
            f = run.figures
            portal = [(o, q) for o, q in pairs if q.answerable and q.document == PORTAL_MD.name]
            found = sum(1 for o, _ in portal if o.rank is not None and o.rank <= 5)
            stated = sum(1 for o, _ in portal if o.answer_holds_needle)
            print(
                f"| {label} | {split} | {f.hit_at_1:.3f} / {f.hit_at_5:.3f} / {f.mrr_at_10:.3f} | "
                f"{f.answer_holds_needle:.3f} | {f.refusal_rate:.3f} / {f.false_refusal_rate:.3f} | "
                f"{found} / {stated} of {len(portal)} |",
                flush=True,
            )
    finally:
        c.close()


def main() -> int:
    print(
        "| portal read as | split | hit@1 / hit@5 / MRR@10 | states it | refused unanswerable / answerable "
        "| portal questions: found in top 5 / stated |\n|---|---|---|---|---|---|"
    )
    figures(WORK, "Markdown edition", CORPUS)
    with tempfile.TemporaryDirectory() as named:
        shutil.copyfile(PORTAL_JSON, Path(named) / PORTAL_MD.name)
        for path in sorted((CORPUS / "gesetze").glob("*.md")):
            shutil.copyfile(path, Path(named) / path.name)
        for label, as_json in (("JSON, structure", True), ("JSON as plain text (before)", False)):
            work = REPO / "bench" / "out" / f"retrieval-{'json' if as_json else 'jsontext'}"
            started = time.perf_counter()
            chunks = build(work, as_json)
            print(f"<!-- {label}: {chunks} chunks, {time.perf_counter() - started:.0f} s -->", flush=True)
            figures(work, label, Path(named))
    return 0


if __name__ == "__main__":
    sys.exit(main())
