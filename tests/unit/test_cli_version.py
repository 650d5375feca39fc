"""`luna --version` answers what every command-line tool answers, without settings or a server."""

from __future__ import annotations

from typer.testing import CliRunner

import luna
from luna.cli.main import app


def test_version_prints_the_installed_version_and_exits_0() -> None:
    result = CliRunner().invoke(app, ["--version"], env={"LUNA_DATA_DIR": "/nonexistent/luna"})

    assert result.exit_code == 0 and result.output == f"luna {luna.__version__}\n"
