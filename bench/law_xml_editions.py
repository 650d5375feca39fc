"""The laws' XML edition (gesetze-im-internet.de) against their Markdown edition (issue #14's corpus).

    .venv/bin/python bench/law_xml_editions.py [--reuse]     # after bench/retrieval_quality.py --fresh

Builds a second bench index from ``gesetze/xml/*.xml`` (and the Winterthur notes, as the Markdown index
has them) in ``bench/out/retrieval-xml/`` and answers every golden question through the evaluation core
on both indexes. Golden sets name the Markdown files and the evaluation core finds a document by the hash
of the file of that name, so the XML edition is judged with a folder where each XML file carries its
Markdown edition's name. Prints chunks, hit@1 / hit@5 / MRR@10, states it, first citation
answers and refusals per split for each edition.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from corpus_container import REPO, WORK, corpus_container, split_outcomes

from luna.services.knowledge.ingest import IngestRequest

XML_WORK = REPO / "bench" / "out" / "retrieval-xml"
CORPUS = REPO.parent / "shared" / "corpus"


def build_index(work: Path, files: list[Path]) -> int:
    """Ingest ``files`` into a fresh data dir ``work``; the number of chunks."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    c = corpus_container(work)
    c.database.upgrade()
    chunks = 0
    try:
        for path in files:
            result = c.services.knowledge.ingest.ingest(
                IngestRequest(data=path.read_bytes(), filename=path.name, kind="regulation")
            )
            chunks += result.chunks
            print(f"ingested {path.name}: {result.chunks} chunks, title {result.title!r}", file=sys.stderr)
    finally:
        c.close()
    return chunks


def build_xml_index() -> int:
    """The XML laws and the notes, in ``XML_WORK``."""
    laws = sorted((CORPUS / "gesetze" / "xml").glob("*.xml"))
    return build_index(XML_WORK, [*laws, CORPUS / "notizen" / "energieportal-winterthur.md"])


def figures(data_dir: Path, label: str, documents_dir: Path, about: str | None = None) -> None:
    """One table row per split; with ``about`` (a golden file name) also how many of the questions
    about that document were found in the top 5 and stated."""
    c = corpus_container(data_dir)
    try:
        for split, run, pairs in split_outcomes(c, f"edition-{label}", documents_dir):
            f = run.figures
            cells = [
                f"{f.hit_at_1:.3f} / {f.hit_at_5:.3f} / {f.mrr_at_10:.3f}",
                f"{f.answer_holds_needle:.3f}",
                f"{f.first_citation_hit:.3f}",
                f"{f.refusal_rate:.3f} / {f.false_refusal_rate:.3f}",
                str(f.false_number_warnings),
            ]
            if about is not None:
                asked = [o for o, q in pairs if q.answerable and q.document == about]
                found = sum(1 for o in asked if o.rank is not None and o.rank <= 5)
                cells.append(f"{found} / {sum(o.answer_holds_needle for o in asked)} of {len(asked)}")
            print(f"| {label} | {split} | " + " | ".join(cells) + " |", flush=True)
    finally:
        c.close()


def main(argv: list[str]) -> int:
    if "--reuse" not in argv:  # --reuse: the XML index of an earlier run
        started = time.perf_counter()
        chunks = build_xml_index()
        print(f"XML edition: {chunks} chunks, ingested in {time.perf_counter() - started:.0f} s", flush=True)
    print(
        "| edition | split | hit@1 / hit@5 / MRR@10 | states it | first citation answers "
        "| refused unanswerable / answerable | number warnings |\n|---|---|---|---|---|---|---|"
    )
    figures(WORK, "Markdown", CORPUS)
    with tempfile.TemporaryDirectory() as named:
        for path in sorted((CORPUS / "gesetze" / "xml").glob("*.xml")):
            shutil.copyfile(path, Path(named) / f"{path.stem}.md")
        shutil.copyfile(
            CORPUS / "notizen" / "energieportal-winterthur.md", Path(named) / "energieportal-winterthur.md"
        )
        figures(XML_WORK, "XML", Path(named))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
