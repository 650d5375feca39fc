"""The `luna` command: help for users, migrations, health, jobs, clear errors, and a real `luna serve`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from luna.cli.main import app
from luna.cli.server_client import ServerClient
from luna.services.flywheel.actions import EVAL_BY_HAND
from tests.contracts.s3_support import free_port
from tests.integration.support import cli_environment, luna_serve

runner = CliRunner()
ADMIN_KEY = "cli-admin-key-0123456789"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return cli_environment(monkeypatch, tmp_path, ADMIN_API_KEY=ADMIN_KEY)


@pytest.mark.parametrize(
    "command",
    [
        *(
            [],
            ["serve"],
            ["worker"],
            ["health"],
            ["db"],
            ["db", "upgrade"],
            ["jobs"],
            ["jobs", "run"],
            ["smoke"],
            ["admin", "reread"],
        ),
        *(
            ["accounts"],
            ["accounts", "create"],
            ["flywheel"],
            ["flywheel", "run"],
            ["flywheel", "kpis"],
            ["alerts"],
        ),
    ],
)
def test_every_command_explains_itself(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output) > 200


def test_the_evaluation_tickets_note_calls_luna_eval_run_as_it_takes_its_sets() -> None:
    """The note said ``luna eval run --sets …``, an option that does not exist: the sets are positional."""
    command = re.search(r"luna eval run [^,)]*", EVAL_BY_HAND)
    assert command is not None, EVAL_BY_HAND
    shown = runner.invoke(app, ["eval", "run", "--help"], terminal_width=200)

    assert command.group().startswith("luna eval run SET.yaml")
    assert set(re.findall(r"--[a-z-]+", command.group())) <= set(re.findall(r"--[a-z-]+", shown.output))


def test_db_upgrade_migrates_once_and_then_reports_the_revision(cli_env: dict[str, str]) -> None:
    first = runner.invoke(app, ["db", "upgrade"])
    second = runner.invoke(app, ["db", "upgrade"])
    current = runner.invoke(app, ["db", "current"])
    assert first.exit_code == 0 and "migrated from empty" in first.output
    assert second.exit_code == 0 and "already at revision" in second.output
    assert current.output.strip() in first.output


def test_health_checks_directly_when_no_server_runs(cli_env: dict[str, str]) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, ["health"])
    assert result.exit_code == 0, result.output
    assert "checked directly" in result.output
    for component in ("database", "vectors", "blobs", "jobs", "embeddings"):
        assert component in result.output


def test_health_exits_1_when_a_component_is_down(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUNA_JOBS__KIND", "redis")
    monkeypatch.setenv("LUNA_JOBS__REDIS_URL", "redis://127.0.0.1:1/0")
    result = runner.invoke(app, ["health"])
    assert result.exit_code == 1
    assert "degraded" in result.output


def test_a_job_started_without_a_server_waits_for_it(cli_env: dict[str, str]) -> None:
    started = runner.invoke(app, ["jobs", "run", "maintenance.refresh_events_daily"])
    listed = runner.invoke(app, ["jobs", "list"])
    assert started.exit_code == 0, started.output
    assert "runs when `luna serve` starts" in started.output
    assert "queued" in listed.output


def test_unknown_job_and_bad_param_are_refused_as_input_it_cannot_take(cli_env: dict[str, str]) -> None:
    """Exit 2, as `luna eval` and `luna finetune` exit for a value they refuse (README, exit codes)."""
    unknown = runner.invoke(app, ["jobs", "run", "no.such.job"])
    bad_param = runner.invoke(app, ["jobs", "run", "maintenance.refresh_events_daily", "-P", "novalue"])
    assert unknown.exit_code == 2 and "no.such.job" in unknown.output
    assert bad_param.exit_code == 2 and "key=value" in bad_param.output


def test_worker_explains_that_embedded_jobs_run_inside_serve(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "LUNA_JOBS__KIND=redis" in result.output


def test_a_redis_worker_beside_the_embedded_vector_folder_is_refused_with_what_it_needs(
    cli_env: dict[str, str],
) -> None:
    """It started, and every knowledge job failed: the server holds the vector folder."""
    env = {"LUNA_JOBS__KIND": "redis", "LUNA_JOBS__REDIS_URL": "redis://127.0.0.1:9/0"}
    result = runner.invoke(app, ["worker", "--check"], env=env)
    assert result.exit_code == 2
    assert "LUNA_VECTORS__KIND=qdrant" in result.output


def test_a_worker_that_cannot_reach_redis_says_so_and_exits_instead_of_logging_tracebacks(
    cli_env: dict[str, str],
) -> None:
    env = {
        "LUNA_JOBS__KIND": "redis",
        "LUNA_JOBS__REDIS_URL": "redis://127.0.0.1:9/0",
        "LUNA_VECTORS__KIND": "qdrant",
        "LUNA_VECTORS__URL": "http://127.0.0.1:9",
    }
    result = runner.invoke(app, ["worker"], env=env)
    assert result.exit_code == 1, result.output
    assert "cannot be reached" in result.output and "redis" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_command_pointed_at_a_data_dir_with_no_install_refuses_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mistyped LUNA_DATA_DIR: `snapshot list` and `db current` set up a new install there and
    reported it empty, and commands talking to the server sent it a newly generated admin key."""
    monkeypatch.setenv("LUNA_PROFILE", "test")
    monkeypatch.setenv("LUNA_ENV_FILE", os.devnull)
    for name in ("LUNA_AUTH__ADMIN_API_KEY", "ADMIN_API_KEY", "LUNA_AUTH__JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    mistyped = tmp_path / "vra"
    monkeypatch.setenv("LUNA_DATA_DIR", str(mistyped))

    for command in (["snapshot", "list"], ["db", "current"], ["jobs", "list"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1 and "no Luna install at" in str(result.exception), command
        assert not mistyped.exists(), command

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (mistyped / "secrets.json").is_file(), "setting one up is what `luna db upgrade` is for"
    assert runner.invoke(app, ["db", "current"]).exit_code == 0


def test_invalid_settings_stop_with_the_setting_named_and_no_traceback(cli_env: dict[str, str]) -> None:
    env = {**os.environ, "LUNA_API__PORT": "not-a-port"}
    result = subprocess.run(
        [sys.executable, "-m", "luna", "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "api.port (LUNA_API__PORT)" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_to_start_on_a_broken_thresholds_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "thresholds.yaml"
    broken.write_text("thresholds:\n  - name: x\n    kpi: usefulnes_rate\n", encoding="utf-8")
    env = {**os.environ, "LUNA_FLYWHEEL__THRESHOLDS_FILE": str(broken)}
    result = subprocess.run(
        [sys.executable, "-m", "luna", "serve", "--no-worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "line 3" in result.stderr and "usefulnes_rate" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def served(cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("LUNA_API__START_WORKER", "true")  # the test profile leaves it off
    with luna_serve(cli_env["API_PORT"], tmp_path / "serve.log") as base:
        yield base


def test_serve_answers_with_the_envelope_and_runs_jobs(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    info = httpx.get(f"{served}/system/info", timeout=5)
    assert info.status_code == 200
    body = info.json()
    assert body["status"] == "ok" and body["trace_id"] == info.headers["x-trace-id"]
    assert body["data"]["profile"] == "test"
    assert httpx.get(f"{served}/admin/health", timeout=5).status_code == 401
    health = httpx.get(f"{served}/admin/health", headers={"X-Admin-Key": ADMIN_KEY}, timeout=10).json()
    assert set(health["data"]["components"]) >= {"database", "vectors", "blobs", "jobs", "embeddings"}

    ran = runner.invoke(app, ["jobs", "run", "maintenance.refresh_events_daily"])
    assert ran.exit_code == 0, ran.output
    assert "succeeded" in ran.output

    # The dry run opened the vector folder the server holds and was refused; it is the server's job now.
    dry = runner.invoke(app, ["flywheel", "run", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["alerts_firing"] >= 0
    listed = runner.invoke(app, ["jobs", "list", "--name", "flywheel.dry_run"])
    assert "succeeded" in listed.output and "flywheel.hourly" not in listed.output

    sample = SAMPLES / "stromtarife-und-lastverschiebung.md"
    first, again = (runner.invoke(app, ["ingest", str(sample)]) for _ in range(2))
    items = httpx.get(f"{served}/admin/items", headers={"X-Admin-Key": ADMIN_KEY}, timeout=10).json()
    assert first.exit_code == 0 and again.exit_code == 0, (first.output, again.output)
    [item] = items["data"]["items"]
    assert "duplicate" in again.output and item["item_id"][:8] in again.output  # which item has it

    # A server started on another port than the CLI's api.port (`luna serve --port`) is found through
    # the record it keeps in the data dir: the command goes through it, never opens the stores itself.
    monkeypatch.setenv("API_PORT", str(free_port()))
    found = runner.invoke(app, ["ingest", str(sample)])
    assert found.exit_code == 0 and "through the running server" in found.output, found.output


SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def test_a_job_the_api_would_refuse_is_refused_here_too_and_nothing_waits(cli_env: dict[str, str]) -> None:
    """Checked only by name and type, a backfill from 'garbage' was queued for `luna serve` to fail."""
    refused = runner.invoke(
        app, ["jobs", "run", "sim.backfill", "-P", "start=garbage", "-P", "end=garbage", "--no-wait"]
    )
    listed = runner.invoke(app, ["jobs", "list"])

    assert refused.exit_code == 2 and "start" in refused.output
    assert "sim.backfill" not in listed.output


@pytest.mark.parametrize(
    "command",
    [
        ["jobs", "run", "[/x]", "--no-wait"],
        ["jobs", "list", "--status", "[/x]"],
        ["snapshot", "delete", "[/x]"],
    ],
)
def test_input_that_looks_like_terminal_markup_is_shown_as_written(
    cli_env: dict[str, str], command: list[str]
) -> None:
    result = runner.invoke(app, command)

    assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit), result.exception
    assert "[/x]" in result.output and "Traceback" not in result.output


def test_an_unknown_job_state_is_a_usage_error_that_names_the_states(cli_env: dict[str, str]) -> None:
    """`jobs list --status bogus` reached the store and ended with exit code 1, naming no state."""
    result = runner.invoke(app, ["jobs", "list", "--status", "bogus"])

    assert result.exit_code == 2 and "bogus" in result.output and "succeeded" in result.output


def test_restoring_an_unknown_snapshot_says_so_before_asking_to_replace_anything(
    cli_env: dict[str, str],
) -> None:
    """It asked "Replace the current knowledge base…?" first, and only after a "yes" found no snapshot."""
    result = runner.invoke(app, ["snapshot", "restore", "20260101T000000Z-abcdef"], input="y\n")

    assert result.exit_code == 1 and "Replace" not in result.output
    assert "No snapshot with id '20260101T000000Z-abcdef'" in result.output


def test_snapshots_and_jobs_are_listed_as_json_for_scripts(cli_env: dict[str, str]) -> None:
    """A script had to cut the ID out of a table (80 columns: "2026…")."""
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    empty = runner.invoke(app, ["snapshot", "list", "--json"])
    assert json.loads(empty.output) == [], empty.output
    created = runner.invoke(app, ["snapshot", "create", "--no-vectors", "--no-blobs", "--json"])

    assert created.exit_code == 0, created.output
    snapshot_id = json.loads(created.output)["id"]
    listed = json.loads(runner.invoke(app, ["snapshot", "list", "--json"]).output)
    assert [row["id"] for row in listed] == [snapshot_id] and listed[0]["parts"] == ["sql"]
    jobs = runner.invoke(app, ["jobs", "list", "--json"])
    assert jobs.exit_code == 0 and isinstance(json.loads(jobs.stdout), list)  # notices go to stderr


@pytest.mark.parametrize("command", [["restore", "-y"], ["delete"]])
def test_a_snapshot_id_of_another_form_is_refused_before_any_request(
    cli_env: dict[str, str], command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It went into the URL as written: `restore "../jobs/<id>/cancel?" -y` cancelled a running job."""
    sent: list[object] = []
    monkeypatch.setattr(ServerClient, "post", lambda *args, **kwargs: sent.append(args))
    monkeypatch.setattr(ServerClient, "delete", lambda *args, **kwargs: sent.append(args))
    result = runner.invoke(app, ["snapshot", command[0], "../jobs/1017d46e/cancel?", *command[1:]])

    shown = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "is no snapshot ID" in shown and not sent


def test_a_file_name_that_looks_like_terminal_markup_is_listed_as_written(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    folder = tmp_path / "d[" / "x]f"
    folder.mkdir(parents=True)
    (tmp_path / "d[" / "br[bold]acket.md").write_text(
        "# Tarif\n\nDer Grundpreis steigt 2026.\n", encoding="utf-8"
    )

    ingested = runner.invoke(app, ["ingest", str(tmp_path / "d[")])

    assert ingested.exit_code == 0, ingested.output
    assert "br[bold]acket.md" in ingested.output and "1 ingested" in ingested.output


def test_lunas_own_data_dir_and_files_of_no_known_format_are_never_ingested(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`luna ingest <data_dir>/secrets.json` put the admin key and the JWT secret into the knowledge
    base, and `luna ask` quoted them; `/etc/shadow` named alone was read too (a folder skipped it)."""
    monkeypatch.setenv("COLUMNS", "200")
    data_dir = Path(cli_env["LUNA_DATA_DIR"])
    (data_dir / "import").mkdir(parents=True)
    secrets = data_dir / "secrets.json"
    secrets.write_text('{"admin_api_key": "geheim-0123456789abcdef"}', encoding="utf-8")
    no_ending = tmp_path / "shadow"
    no_ending.write_text("root:$6$hash:19000:0:99999:7:::\n", encoding="utf-8")
    (data_dir / "import" / "tarif.md").write_text(
        "# Tarif\n\nDer Grundpreis steigt 2026 auf 12 Euro.\n", encoding="utf-8"
    )

    refused = runner.invoke(app, ["ingest", str(secrets), str(no_ending)])
    whole = runner.invoke(app, ["ingest", str(data_dir)])

    assert refused.exit_code == 1, refused.output
    shown = " ".join(refused.output.split())
    assert "secrets.json – liegt in Lunas Datenordner" in shown
    assert "shadow – Datei ohne Endung wird nicht eingelesen" in shown
    # the whole data dir: only its import folder is read
    assert whole.exit_code == 0 and "1 ingested" in whole.output, whole.output
    assert "tarif.md" in whole.output and "secrets.json – liegt in Lunas Datenordner" in " ".join(
        whole.output.split()
    )


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5 GB file was read whole before the size check and ended in a MemoryError traceback."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("LUNA_API__MAX_UPLOAD_MB", "1")
    huge = tmp_path / "gross.md"
    with huge.open("wb") as file:
        file.truncate(3 * 2**20)  # sparse: takes no disk
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read"))

    result = runner.invoke(app, ["ingest", str(huge)])

    assert "The file has 3.0 MiB; at most 1 MiB are accepted (setting api.max_upload_mb)." in " ".join(
        result.output.replace("│", " ").split()
    ), result.output
    assert "0 ingested" in result.output and "1 failed" in result.output


def test_a_cited_title_that_looks_like_markup_or_an_emoji_code_is_shown_as_written(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "[/]" in a document's title made `luna ask` end in a traceback after the answer; ":x:" read ❌."""
    monkeypatch.setenv("COLUMNS", "200")
    document = tmp_path / "speicher.md"
    document.write_text(
        "# Speicher [/] Förderung :x:\n\nDer Heimspeicher wird in Bayern mit 500 Euro gefördert.\n",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["ingest", str(document)]).exit_code == 0

    asked = runner.invoke(app, ["ask", "Wie wird ein Heimspeicher in Bayern gefördert?"])

    assert asked.exit_code == 0, asked.output
    assert "Traceback" not in asked.output and "Quellen" in asked.output
    assert "Speicher [/] Förderung :x:" in asked.output and "❌" not in asked.output


def test_ingest_ask_verify_and_snapshot_work_without_a_server(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # tables on one line each
    ingested = runner.invoke(
        app, ["ingest", str(SAMPLES / "stromtarife-und-lastverschiebung.md"), "--tag", "demo"]
    )
    assert ingested.exit_code == 0, ingested.output
    assert "directly (no running server)" in ingested.output and "1 ingested" in ingested.output
    monkeypatch.setenv("COLUMNS", "80")  # a new user's terminal: the file name, not a cut path
    again = runner.invoke(app, ["ingest", str(SAMPLES / "stromtarife-und-lastverschiebung.md")])
    assert again.exit_code == 0 and "1 already there" in again.output
    assert "│ stromtarife-und-lastverschiebung.md" in again.output
    assert "keep their tags" not in again.output
    monkeypatch.setenv("COLUMNS", "200")
    retagged = runner.invoke(
        app, ["ingest", str(SAMPLES / "stromtarife-und-lastverschiebung.md"), "-t", "neu"]
    )
    assert "1 file(s) already there keep their tags: --tag is not added to them" in retagged.output
    missing = runner.invoke(app, ["ingest", "/nonexistent/file.pdf"])
    assert missing.exit_code == 2 and "neither a file nor a folder" in missing.output
    ftp = runner.invoke(app, ["ingest", "ftp://example.com/tarif.pdf"])
    assert ftp.exit_code == 2 and "ftp://example.com/tarif.pdf is not a file, and only http://" in ftp.output

    asked = runner.invoke(app, ["ask", "Wann lohnt es sich, die Waschmaschine laufen zu lassen?"])
    assert asked.exit_code == 0, asked.output
    assert "[chunk " in asked.output and "Quellen" in asked.output
    assert "were searched" not in asked.output
    filtered = runner.invoke(
        app, ["ask", "Wann lohnt es sich, die Waschmaschine laufen zu lassen?", "--tag", "x"]
    )
    # Nothing under the tag: the answer cites nothing, and a script can tell by the exit code.
    assert filtered.exit_code == 1 and "Only documents with tags = 'x' were searched" in filtered.output

    verified = runner.invoke(app, ["admin", "verify"])
    assert verified.exit_code == 0 and "agree" in verified.output
    reread = runner.invoke(app, ["admin", "reread"])
    assert reread.exit_code == 0, reread.output
    assert "1 documents read again: 0 new versions, 1 unchanged, 0 failed." in reread.output
    reindexed = runner.invoke(app, ["admin", "reindex"])
    assert reindexed.exit_code == 0 and "chunks embedded again into chunks_v2, now active" in reindexed.output
    assert "'mode'" not in reindexed.output
    created = runner.invoke(app, ["snapshot", "create"])
    assert created.exit_code == 0, created.output
    listed = runner.invoke(app, ["snapshot", "list"])
    assert listed.exit_code == 0 and "sql, vectors, blobs" in listed.output
    monkeypatch.setenv("COLUMNS", "80")
    snapshot_id = re.findall(r"Snapshot (\S+) created\.", created.output)[0]
    declined = runner.invoke(app, ["snapshot", "restore", snapshot_id], input="n\n")
    assert declined.exit_code == 1 and f"with snapshot {snapshot_id} of 20" in declined.output
    assert f"│ {snapshot_id} │" in runner.invoke(app, ["snapshot", "list"]).output


def test_ingest_of_a_folder_names_the_files_it_skips_and_counts_them(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A new user's ``luna ingest docs/samples`` passed over ``make_samples.py`` without a word."""
    monkeypatch.setenv("COLUMNS", "200")
    folder = tmp_path / "ordner"
    (folder / "bilder").mkdir(parents=True)
    (folder / "tarife.md").write_text("# Tarife\n\nDer Arbeitspreis beträgt 30 ct/kWh.\n", encoding="utf-8")
    (folder / "make_samples.py").write_text("print('kein Dokument')\n", encoding="utf-8")
    (folder / "bilder" / "zaehler.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / ".notizen.txt").write_text("privat", encoding="utf-8")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "scan.jpg").symlink_to(tmp_path / "scan.pdf")  # named by its link, not by the PDF

    ingested = runner.invoke(app, ["ingest", str(folder)])
    nothing = runner.invoke(app, ["ingest", str(folder / "bilder")])

    assert ingested.exit_code == 0, ingested.output
    assert "Übersprungen: make_samples.py – Format .py wird nicht eingelesen" in ingested.output
    assert "Übersprungen: bilder/zaehler.png – Format .png wird nicht eingelesen" in ingested.output
    assert "Übersprungen: scan.jpg – Format .jpg wird nicht eingelesen" in ingested.output
    assert "1 ingested, 0 already there, 0 failed, 3 skipped;" in ingested.output
    assert ".notizen" not in ingested.output  # hidden files are not read, and not worth a line
    assert nothing.exit_code == 1
    assert (
        "Übersprungen: zaehler.png" in nothing.output
        and "No files found to read (PDF, DOCX" in nothing.output
    )


@pytest.fixture
def demo_on(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUNA_INGEST__DEMO_SAMPLES", "true")


@pytest.fixture
def samples_importable(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's ``kb.ingest_paths`` reads only inside ``ingest.import_dirs``: here, the samples."""
    monkeypatch.setenv("LUNA_INGEST__IMPORT_DIRS", json.dumps([str(SAMPLES)]))


def test_the_first_serve_ingests_the_demo_set_and_the_cli_goes_through_the_server(
    demo_on: None, samples_importable: None, served: str, tmp_path: Path
) -> None:
    headers = {"X-Admin-Key": ADMIN_KEY}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        jobs = httpx.get(f"{served}/admin/jobs", params={"name": "kb.ingest_samples"}, headers=headers).json()
        if jobs["data"]["items"] and jobs["data"]["items"][0]["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.5)
    job = jobs["data"]["items"][0]
    log_tail = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")[-3000:]
    assert job["status"] == "succeeded", f"{job['status']}: {job.get('error')}\n{log_tail}"
    assert job["result"]["ingested"] == 4, job["result"]
    items = httpx.get(f"{served}/admin/items", headers=headers).json()["data"]
    assert {i["title"] for i in items["items"]} >= {"Netzentgelte 2026", "Wärmepumpe im Einfamilienhaus"}

    ingested = runner.invoke(app, ["ingest", str(SAMPLES / "netzentgelte-2026.pdf")])
    assert "through the running server" in ingested.output and "1 already there" in ingested.output
    as_job = runner.invoke(app, ["ingest", "--job", str(SAMPLES)])
    assert as_job.exit_code == 0, as_job.output
    assert "as a job of the running server" in as_job.output
    assert "0 ingested, 4 already there, 0 failed, 0 skipped" in as_job.output  # no README.md
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "notiz.md").write_text("# Notiz\n\nNicht im Import-Ordner.\n", encoding="utf-8")
    refused = runner.invoke(app, ["ingest", "--job", str(elsewhere)])
    assert refused.exit_code == 2, refused.output
    assert "outside the import folders" in refused.output and "Without --job" in refused.output
    latin1 = elsewhere / os.fsdecode(b"w\xe4rme.md")  # a name in Latin-1: failed as "not JSON"
    latin1.write_text("# Wärme\n\nEin Pufferspeicher fasst 800 Liter.\n", encoding="utf-8")
    uploaded = runner.invoke(app, ["ingest", str(latin1)])
    assert uploaded.exit_code == 0, uploaded.output
    assert "1 ingested" in uploaded.output and "w\ufffdrme.md" in uploaded.output
    asked = runner.invoke(app, ["ask", "Was kostet die Netznutzung pro Kilowattstunde?"])
    assert asked.exit_code == 0, asked.output
    assert "[chunk " in asked.output and "Netzentgelte 2026" in asked.output
    # Beside the server it found, --direct cannot open the vector folder: it says so, not "another port".
    direct = runner.invoke(app, ["health", "--direct"])
    assert "holds the vector folder, so --direct cannot open it" in " ".join(direct.output.split())
    assert "another port" not in direct.output


def test_jobs_show_and_cancel_take_the_id_start_that_jobs_list_prints(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    runner.invoke(app, ["jobs", "run", "maintenance.refresh_events_daily"])
    listed = runner.invoke(app, ["jobs", "list"])
    row = next(line for line in listed.output.splitlines() if "queued" in line)
    short = row.split()[1]

    shown = runner.invoke(app, ["jobs", "show", short])
    unknown = runner.invoke(app, ["jobs", "show", "00000000"])
    too_short = runner.invoke(app, ["jobs", "show", short[:4]])
    cancelled = runner.invoke(app, ["jobs", "cancel", short.upper()])

    assert len(short) == 8 and "maintenance.refresh_events_daily" in row
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output[shown.output.index("{") :])["job_id"].startswith(short)
    assert unknown.exit_code == 1 and "starting with '00000000'" in unknown.output
    assert too_short.exit_code == 2 and "Invalid value" in too_short.output
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output


@pytest.mark.parametrize(
    "command",
    [
        ["ask", "--kind", "foo", "Was kostet Strom?"],
        ["ingest", "--kind", "foo", "README.md"],
        ["flywheel", "kpis", "--window", "month"],
    ],
)
def test_an_unknown_kind_or_window_is_a_usage_error(cli_env: dict[str, str], command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 2 and "Invalid value" in result.output
