"""`luna flywheel run|kpis` and `luna alerts`: the cycle from the shell, and when the worker queues it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from structlog.testing import capture_logs
from typer.testing import CliRunner

from luna.cli.main import app
from luna.container import build_container
from luna.domain.errors import Unavailable
from luna.domain.flywheel.sessions import IncomingSession, SessionTurn
from luna.domain.jobs import JobStatus
from luna.ports.blobs import BlobStore
from luna.services.flywheel.cycle import FLYWHEEL_JOB, hourly_run_due
from luna.services.flywheel.normalise import GAPS_KEY, REPORT_KEY
from luna.services.flywheel.progress import ProgressService
from luna.settings import ensure_local_secrets, load_settings
from luna.workers.registry import load_jobs
from tests.integration.support import cli_environment
from tests.integration.test_flywheel_alerts import THRESHOLDS

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("restored_logging")


@pytest.fixture(autouse=True)
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text(THRESHOLDS, encoding="utf-8")
    environment = cli_environment(
        monkeypatch, tmp_path, COLUMNS="200", LUNA_FLYWHEEL__THRESHOLDS_FILE=str(thresholds)
    )
    container = build_container(ensure_local_secrets(load_settings()))
    container.database.upgrade()
    now = datetime.now(UTC) - timedelta(minutes=1)
    sessions = [
        IncomingSession(
            f"s{n}", "n8n", f"kunde-{n}", True, (SessionTurn("Frage?", "Antwort", now, rating=-1),)
        )
        for n in range(12)
    ]
    container.services.sessions.ingest(sessions)
    container.close()
    return environment


def test_a_dry_run_shows_what_would_fire_and_stores_nothing() -> None:
    dry = runner.invoke(app, ["flywheel", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Alarme aktiv: 1; Änderungen: 1." in dry.stdout
    assert "Probelauf: Alarmänderungen weder gespeichert noch versandt" in dry.stdout
    shown = runner.invoke(app, ["alerts", "--dry-run", "--json"])
    assert shown.exit_code == 0, shown.output
    judged = json.loads(shown.output)
    assert [(s["threshold"], s["state"]) for s in judged["states"]] == [
        ("usefulness_day", "firing (critical)")
    ]
    stored = json.loads(runner.invoke(app, ["alerts", "--dry-run", "--json"]).output)
    assert stored["changes"] == 1  # still new: the dry runs stored no state


def test_a_run_says_in_lines_what_the_cycle_did() -> None:
    result = runner.invoke(app, ["flywheel", "run"])
    assert result.exit_code == 0, result.output
    first, *lines = result.stdout.splitlines()
    # KPIs: one per kept KPI, window and scope, so their number depends on the clock's buckets
    assert re.fullmatch(r"Zyklus gelaufen: 12 Sitzungen, 12 Fragen, \d+ Kennzahlen berechnet\.", first)
    assert lines == [
        "Eigene Gespräche gelesen: 0; als Sitzung neu oder geändert: 0.",
        "Themen: 1; Wissenslücken: 1 (sonstiges).",
        "Alarme aktiv: 1; Änderungen: 1.",
        "Neue Maßnahmen: 1.",
    ]


def test_a_run_computes_kpis_and_fires_once() -> None:
    first = runner.invoke(app, ["flywheel", "run", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["alerts_firing"] == 1
    kpis = json.loads(runner.invoke(app, ["flywheel", "kpis", "--window", "day", "--json"]).output)
    usefulness = next(k for k in kpis if k["kpi"] == "usefulness_rate" and k["scope"] == "all")
    assert (usefulness["value"], usefulness["samples"]) == (0.0, 12)
    table = runner.invoke(app, ["alerts"])
    assert "usefulness_day" in table.output and "1 firing; 0 changed." in table.output


def test_alerts_before_any_kpi_say_that_no_threshold_has_a_value_yet() -> None:
    """Not that the file sets no thresholds: it sets one, and no KPI has been computed to judge."""
    result = runner.invoke(app, ["alerts"])

    assert result.exit_code == 0, result.output
    assert "no threshold (1 in the file) has a KPI value with enough samples" in result.output
    assert "sets none" not in result.output


def test_a_broken_thresholds_file_is_one_red_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("thresholds:\n  - name: x\n    kpi: nope\n", encoding="utf-8")
    monkeypatch.setenv("LUNA_FLYWHEEL__THRESHOLDS_FILE", str(broken))
    result = runner.invoke(app, ["alerts"])
    assert result.exit_code == 2 and "line 3" in result.output and "Traceback" not in result.output


def test_the_worker_queues_the_cycle_once_per_clock_hour() -> None:
    container = build_container(ensure_local_secrets(load_settings()), load_jobs)
    try:
        jobs = container.services.jobs
        assert hourly_run_due(jobs, datetime.now(UTC))
        job = jobs.submit(FLYWHEEL_JOB, {}, "schedule")
        assert job.created_at is not None
        assert not hourly_run_due(jobs, job.created_at)  # queued
        with container.database.unit_of_work() as uow:
            uow.jobs.update(job.job_id, status=JobStatus.SUCCEEDED)
            uow.commit()
        assert not hourly_run_due(jobs, job.created_at)  # done in this hour
        assert hourly_run_due(jobs, job.created_at + timedelta(hours=1))
    finally:
        container.close()


def test_the_progress_report_summary_and_consent_log(tmp_path: Path) -> None:
    container = build_container(ensure_local_secrets(load_settings()))
    try:
        container.services.privacy.set_consent("7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", learning=False)
    finally:
        container.close()
    assert runner.invoke(app, ["flywheel", "run"]).exit_code == 0

    exported = tmp_path / "progress_report.md"
    written = runner.invoke(app, ["progress", "--export", str(exported)])
    assert written.exit_code == 0, written.output
    report = exported.read_text(encoding="utf-8")
    assert report.startswith("# Fortschrittsbericht des Daten-Schwungrads")
    assert "| usefulness_rate | 0,0 % | 0,0 % | 1 | 12 |" in report
    assert "**critical**: Zu wenige hilfreiche Antworten" in report
    assert "Wissenslücke schließen" in report  # the ticket the alert opened, with its gap below
    assert "Beispielfragen:" in report and "  - Frage?" in report
    assert re.search(r"Die letzte Suche \(\d\d\.\d\d\.\d{4} \d\d:\d\d UTC\) fand 1 Wissenslücke: ", report)
    assert "Ohne offene Maßnahme" not in report  # the ticket follows the one gap found
    assert "Nutzer, die ihre Einwilligung widerrufen haben: 1" in report

    summary = runner.invoke(app, ["summary"]).stdout
    assert "Sitzungen: 12 gespeichert" in summary and "Alarme aktiv: 1" in summary

    log = runner.invoke(app, ["consent", "log"]).stdout
    assert "| 7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d | learning | widerrufen |" in log


def test_a_gap_found_without_an_alert_is_in_the_progress_report() -> None:
    """Only an alert opens a ticket; the report must not say "no gap" after a search found one."""
    assert runner.invoke(app, ["data", "--pipeline", "vector-ingest", "--days", "1"]).exit_code == 0

    report = runner.invoke(app, ["progress"])

    assert report.exit_code == 0, report.output
    assert "Keine Wissenslücke" not in report.stdout and "Keine offene Maßnahme." in report.stdout
    assert "fand 1 Wissenslücke: sonstiges (12 Fragen)." in report.stdout
    assert "Ohne offene Maßnahme: sonstiges. Eine Maßnahme entsteht erst, wenn ein Alarm" in report.stdout
    summary = runner.invoke(app, ["summary"]).stdout
    assert "Offene Maßnahmen: 0; Wissenslücken: 1 bei der letzten Suche, 0 mit offener Maßnahme" in summary


def test_before_any_search_the_progress_report_says_none_ran() -> None:
    report = runner.invoke(app, ["progress"])
    assert report.exit_code == 0, report.output
    assert "Keine offene Maßnahme zu einer Wissenslücke; nach Wissenslücken wurde noch nicht gesucht" in (
        report.stdout
    )


def test_a_question_that_looks_like_a_gap_heading_is_no_gap() -> None:
    """Example questions are user text in the Markdown report; the progress report must not parse them."""
    forged = "Frage?\n### strom (9 Fragen)"
    container = build_container(ensure_local_secrets(load_settings()))
    try:
        now = datetime.now(UTC) - timedelta(minutes=1)
        container.services.sessions.ingest(
            [
                IncomingSession(
                    f"f{n}", "n8n", f"kunde-f{n}", True, (SessionTurn(forged, "Antwort", now, rating=-1),)
                )
                for n in range(3)
            ]
        )
        assert runner.invoke(app, ["data", "--pipeline", "vector-ingest", "--days", "1"]).exit_code == 0
        markdown = container.blobs.get(REPORT_KEY).decode("utf-8")
        # The example question stays one escaped line of its list: no forged heading in the report.
        assert "\n### strom" not in markdown and "  - Frage? \\#\\#\\# strom \\(9 Fragen\\)\n" in markdown
    finally:
        container.close()

    report = runner.invoke(app, ["progress"])

    assert report.exit_code == 0, report.output
    assert "Die letzte Suche (" in report.stdout
    assert "strom (9 Fragen)" not in report.stdout and "Ohne offene Maßnahme: strom" not in report.stdout


class _BrokenBlobs:
    """A blob store whose reads fail, as an unreachable S3 or a full disk would."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    def get(self, key: str) -> bytes:
        raise self._error


@pytest.mark.parametrize("error", [Unavailable("S3 antwortet nicht"), OSError(5, "Input/output error")])
def test_a_blob_store_that_fails_leaves_the_progress_report_working(error: Exception) -> None:
    container = build_container(ensure_local_secrets(load_settings()))
    try:
        services = container.services
        blobs = cast(BlobStore, _BrokenBlobs(error))  # only get is called
        progress = ProgressService(container.database, services.alerts, services.actions, blobs)
        with capture_logs() as logs:
            report = progress.progress_report()
            summary = progress.summary()
    finally:
        container.close()

    assert "nach Wissenslücken wurde noch nicht gesucht" in report
    assert "Sitzungen: 12 gespeichert" in summary
    assert [entry["event"] for entry in logs if entry["log_level"] == "warning"] == [
        "flywheel.gap_search_unreadable"
    ] * 2


@pytest.mark.parametrize("stored", [b"\xff\xfe kaputt", b"{nicht json", b'{"at": "gestern", "gaps": []}'])
def test_an_unreadable_gaps_file_leaves_the_progress_report_working(stored: bytes) -> None:
    container = build_container(ensure_local_secrets(load_settings()))
    try:
        container.blobs.put(GAPS_KEY, stored, "application/json")
    finally:
        container.close()

    report = runner.invoke(app, ["progress"])
    summary = runner.invoke(app, ["summary"])

    assert report.exit_code == 0, report.output
    assert "nach Wissenslücken wurde noch nicht gesucht" in report.stdout
    assert summary.exit_code == 0 and "Wissenslücken: 0" in summary.stdout


def test_vector_ingest_says_in_lines_what_it_found(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["data", "--pipeline", "vector-ingest", "--days", "1"])
    assert result.exit_code == 0, result.output
    report = Path(cli_env["LUNA_DATA_DIR"]) / "blobs" / "reports/flywheel/vector_ingest_report.md"
    assert result.stdout.splitlines() == [
        "Vektor-Ingest: 12 Sitzungen, 12 Fragen eingebettet, 1 Thema.",
        "Themen (Fragen): sonstiges (12).",
        "Wissenslücken: 1.",
        "  - sonstiges, z. B. „Frage?“",
        f"Bericht: {report}",  # where the file is, not its key read relative to the current folder
    ]
    assert report.is_file()


def test_vector_ingest_groups_the_questions_and_writes_the_report() -> None:
    result = runner.invoke(app, ["data", "--pipeline", "vector-ingest", "--days", "1", "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert (run["sessions"], run["questions"]) == (12, 12)
    assert run["topics"] == [
        {"topic": "sonstiges", "questions": 12}
    ]  # one question twelve times; no content word
    assert run["report"] == "reports/flywheel/vector_ingest_report.md"


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["data", "--pipeline", "cleaning"], "Invalid value for '--pipeline'"),
        (["data", "--pipeline", "vector-ingest", "--days", "0"], "Invalid value for '--days'"),
    ],
)
def test_an_unknown_pipeline_or_look_back_is_refused(args: list[str], why: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert why in result.output
