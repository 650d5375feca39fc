"""Validate the retrieval benchmark's question set against the shared corpus.

``bench/retrieval_quality.py`` counts a retrieved chunk as a hit when it comes from the question's ``file``
and contains one of its ``needles``. That rule is only as good as the needles: one that is missing from the
file makes a question unanswerable, and one that occurs all over the law turns unrelated chunks into hits.
This script catches both before a benchmark run, so a bad number means bad retrieval, not a bad question.

Usage: ``python bench/check_questions.py [--corpus DIR] [--questions FILE] [--min-questions N]``; exits 1
on any error. A PDF is read through Luna's own extractor. Unanswerable entries (``answerable: false``)
are skipped; a ``figure`` is allowed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_QUESTIONS = BENCH_DIR / "questions_de.yaml"
# The corpus lives beside the repository (``<repo>/../shared/corpus``), not in it: the texts are not ours.
DEFAULT_CORPUS = BENCH_DIR.parent.parent / "shared" / "corpus"

MIN_QUESTIONS = 50
MIN_NEEDLES, MAX_NEEDLES = 1, 3
MIN_NEEDLE_CHARS, MAX_NEEDLE_CHARS = 15, 80
# A needle seen more often than this in its file probably matches chunks that do not answer the question.
GENERIC_NEEDLE_COUNT = 5
# Chunk text is extracted from Markdown, so markup and line breaks never survive into it.
_MARKUP = ("**", "#", "|", "\n")


@dataclass(frozen=True, slots=True)
class Question:
    """One benchmark question: the corpus file that answers it and the needles that mark the answer."""

    id: str
    question: str
    file: str
    needles: tuple[str, ...]


@dataclass(slots=True)
class CheckReport:
    """Errors make the set unusable; warnings flag needles worth replacing; counts document both."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    needle_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    questions_per_file: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.errors


def load_questions(path: Path, report: CheckReport) -> list[Question]:
    """Parse the YAML list; malformed entries are reported and skipped so the rest still gets checked."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        report.errors.append(f"{path}: expected a list of questions, got {type(raw).__name__}")
        return []
    questions: list[Question] = []
    for position, entry in enumerate(raw, start=1):
        where = f"entry {position}"
        if not isinstance(entry, dict):
            report.errors.append(f"{where}: expected a mapping")
            continue
        if entry.get("answerable", True) is False:
            continue  # nothing to find: `luna eval` checks that it is refused
        qid, text, name, needles = (entry.get(key) for key in ("id", "question", "file", "needles"))
        if not isinstance(qid, str) or not qid:
            report.errors.append(f"{where}: missing id")
            continue
        if not isinstance(text, str) or not text.strip():
            report.errors.append(f"{qid}: missing question text")
            continue
        if not isinstance(name, str) or not name:
            report.errors.append(f"{qid}: missing file")
            continue
        if not isinstance(needles, list) or not all(isinstance(n, str) for n in needles):
            report.errors.append(f"{qid}: needles must be a list of strings")
            continue
        unknown = set(entry) - {"id", "question", "file", "needles", "figure"}
        if unknown:
            report.errors.append(f"{qid}: unknown keys {sorted(unknown)}")
        questions.append(Question(qid, text.strip(), name, tuple(needles)))
    return questions


def _index_corpus(corpus: Path) -> dict[str, list[Path]]:
    """Corpus files by name: questions name a file, not its sub-directory (gesetze/, notizen/)."""
    index: dict[str, list[Path]] = {}
    for path in sorted(corpus.rglob("*")):
        if path.is_file():
            index.setdefault(path.name, []).append(path)
    return index


def _check_needle(question: Question, needle: str, text: str, report: CheckReport) -> None:
    if not MIN_NEEDLE_CHARS <= len(needle) <= MAX_NEEDLE_CHARS:
        report.errors.append(
            f"{question.id}: needle has {len(needle)} chars (allowed {MIN_NEEDLE_CHARS}–{MAX_NEEDLE_CHARS}): "
            f"{needle!r}"
        )
    if needle != needle.strip() or any(mark in needle for mark in _MARKUP):
        report.errors.append(
            f"{question.id}: needle has outer whitespace, a line break or markup: {needle!r}"
        )
    count = text.count(needle)
    report.needle_counts[(question.id, needle)] = count
    if count == 0:
        report.errors.append(f"{question.id}: needle not found in {question.file}: {needle!r}")
    elif count > GENERIC_NEEDLE_COUNT:
        report.warnings.append(
            f"{question.id}: needle occurs {count} times in {question.file}, too generic: {needle!r}"
        )


def check_questions(questions_path: Path, corpus: Path, min_questions: int = MIN_QUESTIONS) -> CheckReport:
    """Run every check on the question set; the report lists all problems, not just the first."""
    report = CheckReport()
    if not corpus.is_dir():
        report.errors.append(f"corpus directory not found: {corpus}")
        return report
    questions = load_questions(questions_path, report)
    if len(questions) < min_questions:
        report.errors.append(f"only {len(questions)} questions, need at least {min_questions}")
    for qid, seen in Counter(q.id for q in questions).items():
        if seen > 1:
            report.errors.append(f"{qid}: id used {seen} times")
    for text, seen in Counter(q.question for q in questions).items():
        if seen > 1:
            report.errors.append(f"question asked {seen} times: {text!r}")
    index = _index_corpus(corpus)
    texts: dict[Path, str] = {}
    for question in questions:
        report.questions_per_file[question.file] += 1
        if not MIN_NEEDLES <= len(question.needles) <= MAX_NEEDLES:
            report.errors.append(
                f"{question.id}: has {len(question.needles)} needles, need {MIN_NEEDLES}–{MAX_NEEDLES}"
            )
        matches = index.get(question.file, [])
        if len(matches) != 1:
            problem = "not found" if not matches else f"ambiguous ({len(matches)} files)"
            report.errors.append(f"{question.id}: file {question.file!r} {problem} in {corpus}")
            continue
        path = matches[0]
        if path not in texts:
            texts[path] = _file_text(path)
        for needle in question.needles:
            _check_needle(question, needle, texts[path], report)
    return report


def _file_text(path: Path) -> str:
    """A corpus file's text as Luna reads it: a PDF through Luna's own extractor, its blocks one per line."""
    if path.suffix.lower() != ".pdf":
        return path.read_text(encoding="utf-8")
    from luna.adapters.extract.pdf import pdf_content  # only PDF questions need the project installed

    return "\n".join(block.text for block in pdf_content(path.read_bytes()).blocks)


def _print_report(report: CheckReport) -> None:
    print("Needle occurrences in their file:")
    for (qid, needle), count in report.needle_counts.items():
        print(f"  {qid}  {count:>2}×  {needle}")
    print("\nQuestions per file:")
    for name, count in sorted(report.questions_per_file.items()):
        print(f"  {name:<32} {count:>3}")
    print(f"  {'total':<32} {report.questions_per_file.total():>3}")
    for warning in report.warnings:
        print(f"WARNING: {warning}")
    for error in report.errors:
        print(f"ERROR: {error}", file=sys.stderr)
    print("\nOK" if report.ok else f"\n{len(report.errors)} error(s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus root (searched by file name)"
    )
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="question YAML file")
    parser.add_argument(
        "--min-questions", type=int, default=MIN_QUESTIONS, help="fewest answerable questions in the file"
    )
    args = parser.parse_args(argv)
    report = check_questions(args.questions, args.corpus, args.min_questions)
    _print_report(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
