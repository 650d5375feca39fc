"""`luna jobs cancel` on a running job says it was asked to stop (it stops at its next checkpoint),
not that it is "running" as if nothing had happened."""

from __future__ import annotations

from typer.testing import CliRunner

from luna.cli.main import app
from luna.container import build_container
from luna.settings import load_settings
from luna.workers.registry import load_jobs

runner = CliRunner()


def test_cancelling_a_running_job_says_it_was_asked_to_stop(cli_env: None) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    container = build_container(load_settings(), load_jobs)
    try:
        job = container.services.jobs.submit("kb.verify", {}, "cli-test")
        assert container.services.jobs.claim(job.job_id, "worker-1") is not None  # a worker took it
    finally:
        container.close()

    result = runner.invoke(app, ["jobs", "cancel", job.job_id[:8]])

    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert f"job {job.job_id}: running; asked to stop (`luna jobs show {job.job_id[:8]}`)" in said
