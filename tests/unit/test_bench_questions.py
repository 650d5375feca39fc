"""The retrieval benchmark's question set is valid against the corpus, and the checker catches bad sets."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from luna.services.evaluation.evaluation import read_golden_sets

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
QUESTIONS = REPO / "bench" / "questions_de.yaml"
# Every corpus text the benchmark ingests must be asked about, or its retrieval quality goes unmeasured.
CORPUS_FILES = {
    *(
        f"{law}.md"
        for law in ("edl-g", "eeg", "enefg", "enfg", "enwg", "geg", "kwkg", "msbg", "stromgvv", "stromstg")
    ),
    "energieportal-winterthur.md",
}


def _load_checker() -> ModuleType:
    """bench/ is not a package, so load the script by path (registered first: its dataclasses need it)."""
    name = "bench_check_questions"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "check_questions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def _write_set(path: Path, entries: list[tuple[str, str, list[str]]], *, pad_to: int = 50) -> Path:
    """A question file; ``pad_to`` fills it with valid questions so the size check stays quiet."""
    lines: list[str] = []
    rows = entries + [
        (f"p{n:02d}", "law.md", ["Die Wärmepumpe darf gedrosselt werden"])
        for n in range(max(0, pad_to - len(entries)))
    ]
    for qid, name, needles in rows:
        lines += [f"- id: {qid}", f'  question: "Frage {qid}?"', f"  file: {name}", "  needles:"]
        lines += [f'    - "{needle}"' for needle in needles]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "gesetze").mkdir(parents=True)
    sentence = "Die Wärmepumpe darf gedrosselt werden, wenn das Netz eng wird."
    generic = " ".join(["nach Maßgabe dieses Gesetzes"] * 6)
    (root / "gesetze" / "law.md").write_text(f"# Gesetz\n\n{sentence}\n\n{generic}\n", encoding="utf-8")
    return root


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not present at {CORPUS}")
def test_question_set_is_valid_against_the_corpus() -> None:
    report = checker.check_questions(QUESTIONS, CORPUS)

    assert report.errors == []
    assert report.warnings == []
    assert report.questions_per_file.total() >= checker.MIN_QUESTIONS
    assert set(report.questions_per_file) == CORPUS_FILES
    assert report.questions_per_file["energieportal-winterthur.md"] >= 8


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not present at {CORPUS}")
def test_the_confirmation_set_is_valid_and_its_unanswerable_questions_are_skipped() -> None:
    report = checker.check_questions(REPO / "bench" / "questions_confirm_de.yaml", CORPUS, min_questions=44)

    assert report.errors == []
    assert report.warnings == []
    assert report.questions_per_file.total() == 44
    assert set(report.questions_per_file) == CORPUS_FILES


def test_a_valid_set_passes(tmp_path: Path, corpus: Path) -> None:
    report = checker.check_questions(_write_set(tmp_path / "q.yaml", []), corpus)

    assert report.ok
    assert report.questions_per_file == {"law.md": 50}


def test_missing_needle_unknown_file_and_duplicate_id_are_errors(tmp_path: Path, corpus: Path) -> None:
    questions = _write_set(
        tmp_path / "q.yaml",
        [
            ("q01", "law.md", ["Die Gaspumpe darf gedrosselt werden"]),
            ("q02", "missing.md", ["Die Wärmepumpe darf gedrosselt werden"]),
            ("q02", "law.md", ["Die Wärmepumpe darf gedrosselt werden"]),
        ],
    )

    report = checker.check_questions(questions, corpus)

    assert not report.ok
    assert any("q01: needle not found" in error for error in report.errors)
    assert any("q02: file 'missing.md' not found" in error for error in report.errors)
    assert any("q02: id used 2 times" in error for error in report.errors)
    assert checker.main(["--corpus", str(corpus), "--questions", str(questions)]) == 1


def test_needle_shape_and_too_few_questions_are_errors(tmp_path: Path, corpus: Path) -> None:
    questions = _write_set(
        tmp_path / "q.yaml",
        [("q01", "law.md", ["Wärmepumpe"]), ("q02", "law.md", ["# Gesetz"])],
        pad_to=0,
    )

    errors = checker.check_questions(questions, corpus).errors

    assert "only 2 questions, need at least 50" in errors
    assert any("q01: needle has 10 chars" in error for error in errors)
    assert any("q02: needle has outer whitespace, a line break or markup" in error for error in errors)


def test_generic_needle_is_a_warning_not_an_error(tmp_path: Path, corpus: Path) -> None:
    questions = _write_set(tmp_path / "q.yaml", [("q01", "law.md", ["nach Maßgabe dieses Gesetzes"])])

    report = checker.check_questions(questions, corpus)

    assert report.ok
    assert report.needle_counts[("q01", "nach Maßgabe dieses Gesetzes")] == 6
    assert report.warnings == [
        "q01: needle occurs 6 times in law.md, too generic: 'nach Maßgabe dieses Gesetzes'"
    ]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not present at {CORPUS}")
@pytest.mark.parametrize(
    ("name", "answerable"),
    [
        ("questions_blind_de.yaml", 44),
        ("questions_fresh_de.yaml", 43),
        ("questions_sixth_de.yaml", 44),
        ("questions_seventh_de.yaml", 45),
        ("questions_eighth_de.yaml", 45),
    ],
)
def test_the_later_blind_sets_are_valid_too(name: str, answerable: int) -> None:
    report = checker.check_questions(REPO / "bench" / name, CORPUS, min_questions=answerable)

    assert report.errors == []
    assert report.questions_per_file.total() == answerable
    assert set(report.questions_per_file) == CORPUS_FILES


ENERGY_PLAN = "kommunaler-energieplan-winterthur-2022.pdf"


@pytest.mark.skipif(
    not (CORPUS / "dokumente" / ENERGY_PLAN).is_file(), reason=f"{ENERGY_PLAN} not in {CORPUS}"
)
def test_a_pdfs_needles_are_checked_against_the_text_luna_extracts_from_it(tmp_path: Path) -> None:
    pdf = ENERGY_PLAN
    questions = tmp_path / "q.yaml"
    questions.write_text(
        yaml.safe_dump(
            [
                {
                    "id": "p01",
                    "question": "Gibt es ein Zwischenziel?",
                    "file": pdf,
                    "needles": ["mit einem Zwischenziel von 1,0 Tonne bis 2033"],
                },
                {
                    "id": "p02",
                    "question": "Seit wann?",
                    "file": pdf,
                    "needles": ["Winterthur ist klimaneutral seit 1990"],
                },
            ]
        ),
        encoding="utf-8",
    )

    report = checker.check_questions(questions, CORPUS, min_questions=2)

    assert report.errors == [f"p02: needle not found in {pdf}: 'Winterthur ist klimaneutral seit 1990'"]
    assert report.needle_counts[("p01", "mit einem Zwischenziel von 1,0 Tonne bis 2033")] == 1


def test_the_teams_sets_can_be_run_together_as_the_evaluation_docs_show() -> None:
    later = sorted((REPO / "bench").glob("questions_*_de.yaml"))
    near = REPO / "bench" / "unanswerable_near_de.yaml"  # the tuning set of near-topic questions
    sets = [QUESTIONS, REPO / "bench" / "unanswerable_de.yaml", near, *later]

    questions = read_golden_sets(sets)

    assert len({q.question_id for q in questions}) == len(questions) > 320
    assert not any(q.answerable for q in read_golden_sets([near]))
