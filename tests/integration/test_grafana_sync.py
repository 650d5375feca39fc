"""`luna grafana sync` against a stand-in Grafana: a real HTTP server on 127.0.0.1 speaking the subset
of Grafana's API the sync uses (folders, ``POST /api/dashboards/db``), checking the Bearer token and
keeping dashboards by UID with Grafana's version counter.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from luna.adapters.web.grafana import GrafanaDashboardPublisher
from luna.cli.main import app
from luna.domain.errors import InvalidInput, Unavailable
from luna.services.flywheel.grafana import GrafanaSync, default_dashboards_dir, load_dashboards
from tests.contracts.s3_support import free_port
from tests.http_support import send_json
from tests.integration.support import cli_environment

TOKEN = "glsa_test-token"
FOLDER = "Luna Tests"
runner = CliRunner()


@dataclass
class FakeGrafana:
    """What the stand-in stores; ``requests`` counts every call, rejected ones included."""

    folders: dict[str, str] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders_created: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(grafana: FakeGrafana) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def _answer(self, status: int, body: object) -> None:
            send_json(self, status, body)

        def _authorised(self) -> bool:
            with grafana.lock:
                grafana.requests += 1
            if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                return True
            self._answer(401, {"message": "invalid API key"})
            return False

        def do_GET(self) -> None:
            if not self._authorised():
                return
            if self.path.split("?")[0] != "/api/folders":
                return self._answer(404, {"message": "Not found"})
            with grafana.lock:
                self._answer(200, [{"uid": u, "title": t} for t, u in grafana.folders.items()])

        def do_POST(self) -> None:
            if not self._authorised():
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with grafana.lock:
                if self.path == "/api/folders":
                    grafana.folders_created += 1
                    uid = f"folder-{grafana.folders_created}"
                    grafana.folders[body["title"]] = uid
                    return self._answer(200, {"uid": uid, "title": body["title"]})
                if self.path == "/api/dashboards/db":
                    return self._answer(*self._store(body))
            self._answer(404, {"message": "Not found"})

        def _store(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            if body["folderUid"] not in grafana.folders.values():
                return 400, {"message": "folder not found"}
            dashboard = body["dashboard"]
            previous = grafana.dashboards.get(dashboard["uid"])
            if previous is not None and not body["overwrite"]:
                return 412, {"message": "The dashboard has been changed by someone else"}
            version = 1 if previous is None else previous["version"] + 1
            grafana.dashboards[dashboard["uid"]] = {**body, "version": version}
            url = f"/d/{dashboard['uid']}/{dashboard['uid']}"
            return 200, {"uid": dashboard["uid"], "url": url, "version": version, "status": "success"}

    return Handler


@pytest.fixture
def grafana() -> Iterator[tuple[str, FakeGrafana]]:
    state = FakeGrafana()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def sync(url: str, token: str = TOKEN) -> list[Any]:
    publisher = GrafanaDashboardPublisher(url, token, timeout_sec=2.0)
    try:
        return list(GrafanaSync(publisher, folder=FOLDER, dashboards_dir=default_dashboards_dir()).sync())
    finally:
        publisher.close()


def test_sync_creates_the_folder_once_and_every_dashboard_then_updates_them(
    grafana: tuple[str, FakeGrafana],
) -> None:
    url, state = grafana
    files = load_dashboards(default_dashboards_dir())
    first = sync(url)
    assert [(p.uid, p.title, p.status, p.version) for p in first] == [
        (f.uid, f.title, "created", 1) for f in files
    ]
    assert first[0].url == f"{url}/d/{files[0].uid}/{files[0].uid}"
    assert state.folders == {FOLDER: "folder-1"} and set(state.dashboards) == {f.uid for f in files}
    stored = state.dashboards[files[0].uid]
    assert stored["folderUid"] == "folder-1" and stored["dashboard"]["id"] is None
    assert stored["dashboard"]["panels"] == files[0].dashboard["panels"]
    second = sync(url)
    assert [(p.status, p.version) for p in second] == [("updated", 2)] * len(files)
    assert state.folders_created == 1


def test_a_wrong_token_is_a_clear_error_and_stores_nothing(grafana: tuple[str, FakeGrafana]) -> None:
    url, state = grafana
    with pytest.raises(InvalidInput, match=r"rejected the token \(HTTP 401\).*flywheel\.grafana_token"):
        sync(url, token="wrong")
    assert state.requests == 1 and state.folders == {} and state.dashboards == {}


def test_an_unreachable_grafana_names_its_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(Unavailable, match=f"Grafana not reachable at {url}"):
        sync(url)


def test_grafanas_own_message_is_passed_on(grafana: tuple[str, FakeGrafana]) -> None:
    url, _ = grafana
    publisher = GrafanaDashboardPublisher(url, TOKEN, timeout_sec=2.0)
    try:
        with pytest.raises(InvalidInput, match=r"answered 400 to POST /api/dashboards/db: folder not found"):
            publisher.publish({"uid": "x", "title": "X"}, folder_uid="nope", message="test")
    finally:
        publisher.close()


@pytest.mark.parametrize(
    ("path", "answer", "what"),
    [
        ("/api/folders", [], "answered POST /api/folders with JSON of type list, not an object"),
        ("/api/folders", {"title": FOLDER}, "answered POST /api/folders with no folder uid"),
        ("/api/dashboards/db", ["ok"], "answered POST /api/dashboards/db with JSON of type list"),
        ("/api/dashboards/db", {"version": "v2"}, "answered POST /api/dashboards/db with the version 'v2'"),
    ],
)
def test_an_answer_in_a_shape_grafana_never_gives_is_one_clear_error(
    path: str, answer: object, what: str
) -> None:
    """`luna grafana sync` showed a KeyError or AttributeError traceback when another server answered."""

    def odd_server(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])
        if request.url.path == path:
            return httpx.Response(200, json=answer)
        return httpx.Response(200, json={"uid": "folder-1"})

    transport = httpx.MockTransport(odd_server)
    publisher = GrafanaDashboardPublisher("http://grafana.test", TOKEN, transport=transport)
    try:
        with pytest.raises(Unavailable, match=r"is flywheel\.grafana_url a Grafana\?") as refused:
            GrafanaSync(publisher, folder=FOLDER, dashboards_dir=default_dashboards_dir()).sync()
    finally:
        publisher.close()
    assert what in refused.value.message


def test_a_broken_dashboard_file_stops_the_sync_before_anything_is_pushed(
    grafana: tuple[str, FakeGrafana], tmp_path: Path
) -> None:
    url, state = grafana
    (tmp_path / "a.json").write_text('{"uid": "same", "title": "A"}', encoding="utf-8")
    (tmp_path / "b.json").write_text('{"uid": "same", "title": "B"}', encoding="utf-8")
    (tmp_path / "c.json").write_text("{", encoding="utf-8")
    publisher = GrafanaDashboardPublisher(url, TOKEN)
    try:
        with pytest.raises(InvalidInput) as refused:
            GrafanaSync(publisher, folder=FOLDER, dashboards_dir=tmp_path).sync()
    finally:
        publisher.close()
    assert "b.json: uid 'same' is taken by a.json" in refused.value.message
    assert "c.json: not JSON (line 1" in refused.value.message
    assert state.requests == 0


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cli_environment(monkeypatch, tmp_path, COLUMNS="200", LUNA_FLYWHEEL__GRAFANA_FOLDER=FOLDER)
    monkeypatch.delenv("LUNA_FLYWHEEL__GRAFANA_URL", raising=False)
    monkeypatch.delenv("LUNA_FLYWHEEL__GRAFANA_TOKEN", raising=False)
    return tmp_path


@pytest.mark.usefixtures("cli", "restored_logging")
def test_the_cli_without_a_grafana_url_exits_2_naming_the_setting() -> None:
    result = runner.invoke(app, ["grafana", "sync"])
    assert result.exit_code == 2 and "flywheel.grafana_url" in result.output
    planned = runner.invoke(app, ["grafana", "sync", "--dry-run", "--json"])
    assert planned.exit_code == 0, planned.output
    shown = json.loads(planned.stdout)
    assert shown["dry_run"] is True and shown["url"] is None and shown["folder"] == FOLDER
    assert {d["uid"] for d in shown["dashboards"]} >= {"luna-flywheel", "luna-operations"}


@pytest.mark.usefixtures("cli", "restored_logging")
def test_the_cli_syncs_and_reports_a_refused_setting_with_exit_2(
    grafana: tuple[str, FakeGrafana], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = grafana
    monkeypatch.setenv("LUNA_FLYWHEEL__GRAFANA_URL", url)
    monkeypatch.setenv("LUNA_FLYWHEEL__GRAFANA_TOKEN", "wrong")
    refused = runner.invoke(app, ["grafana", "sync"])
    assert refused.exit_code == 2 and "rejected the token" in refused.output  # a setting to mend
    assert "Traceback" not in refused.output and state.dashboards == {}
    monkeypatch.setenv("LUNA_FLYWHEEL__GRAFANA_TOKEN", TOKEN)
    done = runner.invoke(app, ["grafana", "sync", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["url"] == url and {d["status"] for d in report["dashboards"]} == {"created"}
    assert {d["uid"] for d in report["dashboards"]} == set(state.dashboards)
    table = runner.invoke(app, ["grafana", "sync"])
    assert table.exit_code == 0 and "updated" in table.output and "luna-flywheel" in table.output
