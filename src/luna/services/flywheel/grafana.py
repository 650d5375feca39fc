"""`luna grafana sync`: push the dashboards of ``deploy/grafana/dashboards`` into an operator's Grafana.

Sites whose Grafana is not the one ``deploy/docker-compose.yml`` provisions get the same dashboards
this way. The files are read at every sync, so an edited or regenerated dashboard goes out as it is
on disk; all of them are checked before the first is pushed, so a broken file never leaves Grafana
with half a sync.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from luna.domain.errors import InvalidInput
from luna.domain.flywheel.dashboards import PublishedDashboard
from luna.ports.dashboards import DashboardPublisher

DASHBOARDS: Final = Path("deploy") / "grafana" / "dashboards"


def default_dashboards_dir() -> Path:
    """``deploy/grafana/dashboards`` of the source tree, or of the working directory when installed
    elsewhere (found the way ``config/`` is, :func:`luna.settings.loader.default_config_dir`)."""
    source_tree = Path(__file__).resolve().parents[4] / DASHBOARDS
    return source_tree if source_tree.is_dir() else Path.cwd() / DASHBOARDS


@dataclass(frozen=True, slots=True)
class DashboardFile:
    path: Path
    uid: str
    title: str
    dashboard: dict[str, Any]


def load_dashboards(folder: Path) -> list[DashboardFile]:
    """Every ``*.json`` in ``folder`` by file name; ``InvalidInput`` lists every file at fault."""
    if not folder.is_dir():
        raise InvalidInput(f"No dashboards folder at {folder} (run Luna from its source tree).")
    loaded: list[DashboardFile] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.json")):
        try:
            loaded.append(_read(path))
        except ValueError as error:
            problems.append(f"{path.name}: {error}")
    first_file: dict[str, str] = {}
    for dashboard in loaded:
        if dashboard.uid in first_file:
            problems.append(
                f"{dashboard.path.name}: uid {dashboard.uid!r} is taken by {first_file[dashboard.uid]}"
            )
        first_file.setdefault(dashboard.uid, dashboard.path.name)
    if problems:
        raise InvalidInput("Dashboards that cannot be pushed:\n" + "\n".join(problems))
    if not loaded:
        raise InvalidInput(f"No dashboards (*.json) in {folder}.")
    return loaded


def _read(path: Path) -> DashboardFile:
    try:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON (line {error.lineno}: {error.msg})") from error
    if not isinstance(dashboard, dict):
        raise ValueError("not a dashboard (expected a JSON object)")
    uid, title = dashboard.get("uid"), dashboard.get("title")
    if not isinstance(uid, str) or not uid or not isinstance(title, str) or not title:
        raise ValueError("a dashboard needs a non-empty 'uid' and 'title'")
    return DashboardFile(path, uid, title, dashboard)


class GrafanaSync:
    """The dashboards on disk, and pushing them into one Grafana folder (``publisher`` None: no Grafana)."""

    def __init__(self, publisher: DashboardPublisher | None, *, folder: str, dashboards_dir: Path) -> None:
        self._publisher = publisher
        self._folder = folder
        self._dir = dashboards_dir

    def plan(self) -> list[DashboardFile]:
        """What a sync would push, read and checked, without talking to Grafana."""
        return load_dashboards(self._dir)

    def sync(self) -> list[PublishedDashboard]:
        """Find or create the folder, then create or overwrite every dashboard in it by its UID."""
        if self._publisher is None:
            raise InvalidInput(
                "No Grafana configured: set flywheel.grafana_url (LUNA_FLYWHEEL__GRAFANA_URL)."
            )
        dashboards = self.plan()
        folder_uid = self._publisher.folder(self._folder)
        return [
            self._publisher.publish(
                dashboard.dashboard,
                folder_uid=folder_uid,
                message=f"luna grafana sync: {dashboard.path.name}",
            )
            for dashboard in dashboards
        ]
