"""The evaluation core: run golden questions through Luna's real retrieval and answers, keep the run.

A run asks every question of a split once (search for the retrieval figures, ask for the answer figures)
and is kept in SQL (``eval_runs``), never replaced: the figures, each question's outcome and what
produced them (models, fusion, thresholds), so two runs compare like for like, figure by figure (``luna
eval show A B``) and question by question (``luna eval compare A B``). Runs that earlier versions wrote
as JSON files under ``<data_dir>/eval/runs/`` are imported on first use.

Documents are named in golden sets by file name; they are found in the knowledge base by the content
hash of that file (``--documents`` folder) or else by title.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any, Final

import yaml

from luna.domain.config_file import load_yaml
from luna.domain.errors import InvalidInput, NotFound
from luna.domain.evaluation import (
    GoldenQuestion,
    QuestionOutcome,
    Split,
    figures,
    first_paragraph,
    in_split,
    is_hit,
    parse_golden_set,
    states_any,
)
from luna.domain.evaluation_runs import EvalRun, RunComparison, compare_runs
from luna.domain.items import Item
from luna.ports.sql import Database, UnitOfWork
from luna.services.knowledge.answering import AnswerService
from luna.services.knowledge.retrieval import Citation, RetrievalService

#: When it ran, to the millisecond, and its name: sorts by time, and two runs never share a file.
RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{9}Z-[a-z0-9-]{1,40}$")
SEARCH_DEPTH = 10
#: How many runs ``list_runs`` returns at most (newest first).
RUN_LIST_LIMIT = 200
CHUNK_MARKER = re.compile(r"\[chunk ([^\]\s]+)\]")


#: A golden set of thousands of questions is far below this; a larger file is not one.
MAX_GOLDEN_SET_BYTES: Final = 20 * 1024 * 1024


def _golden_text(path: Path) -> str:
    """The file's text; a FIFO or a device (``/dev/zero`` filled the memory) is no golden set."""
    if path.exists() and not path.is_file():
        raise InvalidInput(f"{path}: not a regular file, so no golden set.")
    with path.open("rb") as handle:
        data = handle.read(MAX_GOLDEN_SET_BYTES + 1)
    if len(data) > MAX_GOLDEN_SET_BYTES:
        raise InvalidInput(f"{path}: larger than {MAX_GOLDEN_SET_BYTES // 2**20} MB, so no golden set.")
    return data.decode("utf-8")


def read_golden_sets(paths: Sequence[Path]) -> list[GoldenQuestion]:
    """The questions of one or more golden-set YAML files; ids must be unique across them.

    The paths may come from a job's parameters (``POST /admin/jobs``; the job names only files inside
    its folders, ``workers/evaluation.py``), so the files are read without anchors, aliases or deep
    nesting (:func:`~luna.domain.config_file.load_yaml`)."""
    questions: list[GoldenQuestion] = []
    for path in paths:
        try:
            entries = load_yaml(_golden_text(path))
        except OSError as error:
            raise InvalidInput(f"{path}: cannot read the golden set ({error.strerror}).") from None
        except UnicodeDecodeError:
            raise InvalidInput(f"{path}: the golden set is not UTF-8 text.") from None
        except yaml.YAMLError as error:
            # Where and what, never the offending line: the file may hold more than golden questions.
            mark = getattr(error, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            problem = getattr(error, "problem", None) or "not a YAML document"
            raise InvalidInput(f"{path}: not valid YAML ({where}{problem}).") from None
        questions += parse_golden_set(entries, str(path))
    ids = [q.question_id for q in questions]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InvalidInput(f"Question ids appear in more than one set: {', '.join(twice)}.")
    return questions


class EvaluationService:
    def __init__(
        self,
        database: Database,
        retrieval: RetrievalService,
        answers: AnswerService,
        runs_dir: Path,
        setup: Callable[[], dict[str, Any]],
    ) -> None:
        """``setup`` describes what is being measured (models, fusion, thresholds) for the run file."""
        self._database = database
        self._retrieval = retrieval
        self._answers = answers
        self._runs_dir = runs_dir
        self._setup = setup

    def resolve_documents(
        self,
        questions: Sequence[GoldenQuestion],
        documents_dir: Path | None,
        readable: Callable[[Path], bool] | None = None,
    ) -> dict[str, str]:
        """Item id per document name (a file name, or ``item:<id>`` as the datasets' golden sets write);
        a name the knowledge base lacks is an error naming it and how it was looked for.

        ``readable`` judges each file of ``documents_dir`` (resolved) before it is read: a job reads only
        inside its folders, and a symlink in them may lead out. None (``luna eval run``): every file."""
        names = sorted({q.document for q in questions if q.document})
        with self._database.unit_of_work(read_only=True) as uow:
            return {name: _document_item(uow, name, documents_dir, readable) for name in names}

    def run(
        self,
        questions: Sequence[GoldenQuestion],
        *,
        split: Split,
        name: str,
        documents_dir: Path | None = None,
        readable: Callable[[Path], bool] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> EvalRun:
        """Ask the questions of ``split`` and keep the run; ``readable`` as for :meth:`resolve_documents`."""
        chosen = in_split(questions, split)
        if not chosen:
            raise InvalidInput(f"No question of the set falls into the split {split!r}.")
        items = self.resolve_documents(chosen, documents_dir, readable)
        outcomes = []
        prompt_versions: set[int] = set()
        for done, question in enumerate(chosen, start=1):
            outcomes.append(self._outcome(question, items.get(question.document or ""), prompt_versions))
            if progress is not None:
                progress(done, len(chosen))
        created = datetime.now(UTC)
        slug = re.sub(r"[^a-z0-9-]+", "-", name.casefold()).strip("-")[:40] or "run"
        run = EvalRun(
            f"{created:%Y%m%dT%H%M%S}{created.microsecond // 1000:03d}Z-{slug}",
            name,
            split,
            created.isoformat(),
            {**self._setup(), **_prompt_setup(prompt_versions)},
            figures(outcomes),
            outcomes,
        )
        with self._database.unit_of_work() as uow:
            uow.eval_runs.add(run)
            uow.commit()
        return run

    def list_runs(self, limit: int = RUN_LIST_LIMIT) -> list[EvalRun]:
        """Newest first."""
        self._import_run_files()
        with self._database.unit_of_work(read_only=True) as uow:
            return list(uow.eval_runs.list(limit=limit))

    def get_run(self, run_id: str) -> EvalRun:
        self._import_run_files()
        with self._database.unit_of_work(read_only=True) as uow:
            run = uow.eval_runs.get(run_id) if RUN_ID.match(run_id) else None
        if run is None:
            raise NotFound(f"No evaluation run with id {run_id[:80]!r}; `luna eval list` shows them.")
        return run

    def compare(self, before_id: str, after_id: str) -> RunComparison:
        """Which questions got better and which worse from run ``before_id`` to ``after_id``."""
        return compare_runs(self.get_run(before_id), self.get_run(after_id))

    def _import_run_files(self) -> None:
        """Runs kept as JSON files by earlier versions move into SQL once (the file goes to
        ``imported/``, so it is read only once and still there to look at)."""
        files = sorted(self._runs_dir.glob("*.json")) if self._runs_dir.is_dir() else []
        if not files:
            return
        done = self._runs_dir / "imported"
        done.mkdir(exist_ok=True)
        for path in files:
            run = EvalRun.from_json(json.loads(path.read_text(encoding="utf-8")))
            with self._database.unit_of_work() as uow:
                if uow.eval_runs.get(run.run_id) is None:
                    uow.eval_runs.add(run)
                    uow.commit()
            path.rename(done / path.name)

    def _outcome(
        self, question: GoldenQuestion, item_id: str | None, prompt_versions: set[int]
    ) -> QuestionOutcome:
        started = time.perf_counter()
        found = self._retrieval.search(question.question, SEARCH_DEPTH)
        search_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        answer = self._answers.ask(question.question)
        answer_ms = (time.perf_counter() - started) * 1000
        if answer.prompt_version is not None:
            prompt_versions.add(answer.prompt_version)
        refused = not answer.citations
        if not question.answerable:
            return QuestionOutcome(
                question.question_id,
                False,
                refused=refused,
                unsupported_numbers=tuple(answer.unsupported_numbers),
                answer_ms=answer_ms,
                search_ms=search_ms,
            )
        rank = next(
            (r for r, c in enumerate(found.citations, 1) if self._hit(c, item_id, question.needles)),
            None,
        )
        lead = first_paragraph(answer.answer)
        wanted = (question.figure,) if question.figure else question.needles
        return QuestionOutcome(
            question.question_id,
            True,
            rank=rank,
            refused=refused,
            answer_holds_needle=not refused and states_any(lead, wanted),
            first_citation_hit=self._first_cited_hits(answer.answer, answer.citations, item_id, question),
            unsupported_numbers=tuple(answer.unsupported_numbers),
            answer_ms=answer_ms,
            search_ms=search_ms,
        )

    def _first_cited_hits(
        self, text: str, citations: Sequence[Citation], item_id: str | None, question: GoldenQuestion
    ) -> bool:
        """The passage the answer cites first (in reading order) answers the question."""
        marker = CHUNK_MARKER.search(text)
        cited = {c.chunk_id: c for c in citations}
        first = cited.get(marker.group(1)) if marker else None
        return first is not None and self._hit(first, item_id, question.needles)

    @staticmethod
    def _hit(citation: Citation, item_id: str | None, needles: Sequence[str]) -> bool:
        text = str(citation.payload.get("text", ""))
        return is_hit(citation.payload.get("item_id") == item_id, text, needles)


def _prompt_setup(versions: set[int]) -> dict[str, Any]:
    """The prompt version the answers used (0: the packaged file); every one when it changed mid-run."""
    if not versions:
        return {}
    return {"prompt_version": min(versions) if len(versions) == 1 else sorted(versions)}


def _item_id(name: str) -> str | None:
    """The id of an ``item:<uuid>`` document name; None for a file name or a malformed id."""
    if not name.startswith("item:"):
        return None
    try:
        return str(uuid.UUID(name.removeprefix("item:")))
    except ValueError:
        return None


def _document_item(
    uow: UnitOfWork, name: str, documents_dir: Path | None, readable: Callable[[Path], bool] | None
) -> str:
    """The item id of a golden set's document: its ``item:<id>``, else the item with the content of
    its file in ``documents_dir``, else the item titled like the file (without its ending)."""
    named = _item_id(name)
    if named is not None:
        item = uow.items.get(named)
        if item is None:
            raise NotFound(
                f"The knowledge base has no item {named} (the golden set's document {name!r}); it was "
                "deleted or the set was written for another knowledge base."
            )
        return item.item_id
    file = _document_file(name, documents_dir, readable) if documents_dir is not None else None
    item = uow.items.get_by_sha256(hashlib.sha256(file.read_bytes()).hexdigest()) if file else None
    item = item or _titled(uow, name)
    if item is None:
        raise NotFound(_missing_document(name, documents_dir, file))
    return item.item_id


def _document_file(name: str, documents_dir: Path, readable: Callable[[Path], bool] | None) -> Path | None:
    """The first file called ``name`` under ``documents_dir`` that may be read."""
    # The name is a file name, never a pattern ("**/*" would walk the whole folder).
    files = sorted(documents_dir.rglob(glob.escape(PurePath(name).name)))
    return next((f for f in files if readable is None or readable(f.resolve())), None)


def _titled(uow: UnitOfWork, name: str) -> Item | None:
    """The item whose title is the file name without its ending (case ignored)."""
    stem = PurePath(name).stem
    matches = uow.items.list(query=stem, limit=5)
    return next((i for i in matches if (i.title or "").casefold() == stem.casefold()), None)


def _missing_document(name: str, documents_dir: Path | None, file: Path | None) -> str:
    """Why no item was found for ``name``, by how it was looked for, and what to do.

    Without a documents folder only the title was compared, and a document's title comes from its
    metadata or first heading ("Netzentgelte 2026" for ``netzentgelte-2026.pdf``): telling the user to
    ingest a document the knowledge base holds sent them to ingest it again, which changes nothing."""
    title = PurePath(name).stem
    if documents_dir is None:
        return (
            f"No item has the title {title!r}, and without a documents folder the golden set's document "
            f"{name!r} is looked up by that title only. Give the folder its file was ingested from "
            "(the parameter `documents` of the job eval.run, `--documents` of `luna eval run`, "
            "`evaluation.regression_documents` for fine-tuning's regression sets) to find it by its "
            "content; if it was never ingested, ingest it first."
        )
    if file is None:
        return (
            f"The golden set's document {name!r} is no file inside the documents folder {documents_dir}, "
            f"and no item has the title {title!r}. Put the file it was ingested from there, or ingest "
            "it first."
        )
    return (
        f"The knowledge base has no document {name!r}: no item has the content of the file in "
        f"{documents_dir} (it was never ingested, or it changed since) nor the title {title!r}. "
        "Ingest it first."
    )
