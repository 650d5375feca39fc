"""The flywheel's schedulers outside Luna's worker: `deploy/github/flywheel.yml`, `deploy/cron/luna-flywheel`.

Neither GitHub Actions nor cron runs here, so what they would run is checked as data: they run hourly,
every ``luna …`` they call is a real command with real options, the environment they set is what the CLI
reads, and the workflow's server check stops the run when no Luna answers (``luna flywheel run`` would
otherwise run the cycle on the runner's own empty database).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from luna.cli.main import app
from luna.cli.server_client import ServerClient
from luna.settings import load_settings
from luna.settings.loader import ENV_NESTED_DELIMITER, ENV_PREFIX, SEED_ENV_ALIASES
from tests.contracts.s3_support import free_port

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "deploy" / "github" / "flywheel.yml"
CRON = ROOT / "deploy" / "cron" / "luna-flywheel"
SECRET = re.compile(r"^\$\{\{\s*secrets\.[A-Z0-9_]+\s*\}\}$")
SHELL_BREAKS = {"|", "||", "&&", ";", ">", ">>", "2>&1", "<"}
#: The cycle must run once an hour: a fixed minute, every hour, day, month and weekday.
HOURLY = re.compile(r"^[0-5]?[0-9] \* \* \* \*$")

runner = CliRunner()


def _workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _steps(workflow: dict[Any, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job["steps"]


def _cron_lines() -> list[list[str]]:
    """The active lines of the cron file, split into 5 time fields, the user and the command."""
    lines = [line for line in CRON.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [line.split(None, 6) for line in lines if not line.lstrip().startswith("#")]


def luna_calls(script: str) -> list[list[str]]:
    """Every ``luna …`` call in a shell script: where a command starts (a line's first word or after a
    shell operator) the program ``luna`` or ``…/luna``, and its words up to the next shell operator."""
    calls = []
    for line in script.splitlines():
        words = shlex.split(line, comments=True)
        starts = [0, *(at + 1 for at, word in enumerate(words) if word in SHELL_BREAKS)]
        for start in starts:
            if start < len(words) and (words[start] == "luna" or words[start].endswith("/luna")):
                call = []
                for argument in words[start + 1 :]:
                    if argument in SHELL_BREAKS:
                        break
                    call.append(argument)
                calls.append(call)
    return calls


def assert_real_command(call: list[str]) -> None:
    """``luna <call>`` names a command (not a group) whose options exist, and its ``--help`` runs."""
    words = [word for word in call if not word.startswith("-")]
    command: Any = typer.main.get_command(app)
    for word in words:
        subcommands = getattr(command, "commands", None)
        assert subcommands is not None, f"luna {' '.join(call)}: {command.name} takes no {word!r}"
        assert word in subcommands, f"luna {' '.join(call)}: no command {word!r}"
        command = subcommands[word]
    assert not hasattr(command, "commands"), f"luna {' '.join(call)} names a group, not a command"
    known = {option for param in command.params for option in getattr(param, "opts", [])}
    used = {word.split("=", 1)[0] for word in call if word.startswith("-")}
    assert used <= known, f"luna {' '.join(call)}: unknown options {sorted(used - known)}"
    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output


def _setting_of(name: str) -> tuple[str, ...]:
    """The setting an environment variable feeds (the loader's rules), or fail."""
    if name in SEED_ENV_ALIASES:
        return SEED_ENV_ALIASES[name]
    assert name.startswith(ENV_PREFIX), f"{name} is not a variable Luna reads"
    return tuple(part.lower() for part in name[len(ENV_PREFIX) :].split(ENV_NESTED_DELIMITER))


def _settings(environ: dict[str, str], tmp_path: Path) -> Any:
    return load_settings("default", environ=environ, env_file=tmp_path / "absent.env")


# The GitHub Actions workflow


def test_the_workflow_runs_hourly_and_on_demand() -> None:
    workflow = _workflow()
    triggers: dict[str, Any] = workflow["on" if "on" in workflow else True]  # YAML 1.1: a bare `on` is true
    crons = [entry["cron"] for entry in triggers["schedule"]]
    assert crons and all(HOURLY.match(cron) for cron in crons), crons
    assert "workflow_dispatch" in triggers


def test_the_workflow_installs_luna_on_python_3_11_from_the_checkout() -> None:
    steps = list(_steps(_workflow()))
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert str(steps[1]["with"]["python-version"]) == "3.11"
    installs = [step["run"] for step in steps if "pip install" in step.get("run", "")]
    assert installs and shlex.split(installs[0])[-1] == ".", installs


def test_every_luna_call_of_the_workflow_is_a_real_command() -> None:
    calls = [call for step in _steps(_workflow()) for call in luna_calls(step.get("run", ""))]
    assert ["flywheel", "run", "--json"] in calls, calls  # the artifact is the result as JSON
    for call in calls:
        assert_real_command(call)


def test_the_workflow_keeps_the_printed_report_as_an_artifact() -> None:
    steps = list(_steps(_workflow()))
    (run,) = [step["run"] for step in steps if luna_calls(step.get("run", ""))]
    report = shlex.split(run)[-1]
    (upload,) = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == report
    assert upload["if"] == "always()"  # a failed run keeps what it printed


def test_the_workflow_environment_is_what_the_cli_reads_from_secrets(tmp_path: Path) -> None:
    """Through the loader, the workflow's variables give the CLI's server client its host, port and key."""
    env = _workflow()["jobs"]["hourly"]["env"]
    for name, value in env.items():
        assert SECRET.match(value), f"{name} must come from a repository secret, not {value!r}"
    fake: dict[tuple[str, ...], str] = {
        ("api", "host"): "luna.example",
        ("api", "port"): "8443",
        ("auth", "admin_api_key"): "k" * 32,
    }
    fed = {name: fake[_setting_of(name)] for name in env if _setting_of(name) in fake}
    assert set(fed) == set(env), f"variables the server client does not read: {sorted(set(env) - set(fed))}"
    client = ServerClient(_settings(fed, tmp_path))
    assert client.base_url == "http://luna.example:8443/api/v1"
    assert client._headers == {"X-Admin-Key": "k" * 32}


class _LunaInfo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"status": "ok", "data": {}}).encode()
        self.send_response(200 if self.path == "/api/v1/system/info" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _run_server_check(port: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    (check,) = [step["run"] for step in _steps(_workflow()) if "ServerClient" in step.get("run", "")]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "LUNA_ENV_FILE": os.devnull,
        "LUNA_API__HOST": "127.0.0.1",
        "LUNA_API__PORT": str(port),
        "LUNA_AUTH__ADMIN_API_KEY": "k" * 32,
    }
    return subprocess.run(
        ["bash", "-e", "-c", check], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def test_the_workflow_stops_when_no_luna_answers(tmp_path: Path) -> None:
    checked = _run_server_check(free_port(), tmp_path)
    assert checked.returncode != 0
    assert "No Luna server answers at http://127.0.0.1:" in checked.stderr


def test_the_workflow_goes_on_when_luna_answers(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LunaInfo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        checked = _run_server_check(server.server_address[1], tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert checked.returncode == 0, checked.stderr
    assert f"Luna answers at http://127.0.0.1:{server.server_address[1]}/api/v1" in checked.stdout


# The cron file


def test_the_cron_file_runs_a_real_luna_command_hourly() -> None:
    (line,) = _cron_lines()
    assert HOURLY.match(" ".join(line[:5])), line
    assert line[5] == "luna"  # the user the command runs as
    calls = luna_calls(line[6])
    assert calls == [["flywheel", "run"]]
    assert_real_command(calls[0])


@pytest.mark.parametrize("path", [WORKFLOW, CRON], ids=["workflow", "cron"])
def test_the_worker_switch_both_files_name_is_a_setting(path: Path, tmp_path: Path) -> None:
    """Both tell the operator to turn the worker's schedule off, by a variable that does turn it off."""
    (name,) = set(re.findall(r"\b(LUNA_[A-Z0-9_]+)=false\b", path.read_text(encoding="utf-8")))
    assert _setting_of(name) == ("flywheel", "schedule_enabled")
    assert _settings({}, tmp_path).flywheel.schedule_enabled is True
    assert _settings({name: "false"}, tmp_path).flywheel.schedule_enabled is False
