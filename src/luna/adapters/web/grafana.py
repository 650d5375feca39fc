"""Grafana's HTTP API: find or create a folder, then create or overwrite dashboards in it by UID.

Only three calls (``GET /api/folders``, ``POST /api/folders``, ``POST /api/dashboards/db``), with a
service account token as Bearer. Every failure becomes a message an operator can act on: a rejected
token names the setting to change, a refused connection names the URL, anything else carries
Grafana's own ``message``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from luna.domain.errors import InvalidInput, LunaError, Unavailable
from luna.domain.flywheel.dashboards import PublishedDashboard

#: Grafana lists at most this many folders per page; Luna's folder is found among them.
_FOLDER_PAGE = 1000


class GrafanaDashboardPublisher:
    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout_sec: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._timeout = timeout_sec
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=self._url, headers=headers, timeout=timeout_sec, transport=transport
        )

    def folder(self, title: str) -> str:
        listed = self._call("GET", "/api/folders", params={"limit": _FOLDER_PAGE})
        for folder in listed if isinstance(listed, list) else []:
            if isinstance(folder, dict) and folder.get("title") == title:
                return str(folder["uid"])
        created = self._object("POST", "/api/folders", json={"title": title})
        uid = created.get("uid")
        if not isinstance(uid, str) or not uid:
            raise self._odd("POST", "/api/folders", "no folder uid")
        return uid

    def publish(self, dashboard: Mapping[str, Any], *, folder_uid: str, message: str) -> PublishedDashboard:
        # Without "id" Grafana matches by UID, so the same file updates the same dashboard anywhere.
        body = {
            "dashboard": {**dashboard, "id": None},
            "folderUid": folder_uid,
            "overwrite": True,
            "message": message,
        }
        answer = self._object("POST", "/api/dashboards/db", json=body)
        version = answer.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self._odd("POST", "/api/dashboards/db", f"the version {str(version)[:40]!r}")
        return PublishedDashboard(
            uid=str(answer.get("uid", dashboard["uid"])),
            title=str(dashboard.get("title", "")),
            status="created" if version == 1 else "updated",
            version=version,
            url=self._url + str(answer.get("url", "")),
        )

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **request: Any) -> Any:
        try:
            response = self._client.request(method, path, **request)
        except httpx.TimeoutException as error:
            raise Unavailable(
                f"Grafana at {self._url} did not answer {method} {path} within {self._timeout:g} s."
            ) from error
        except httpx.HTTPError as error:
            raise Unavailable(f"Grafana not reachable at {self._url}: {error}.") from error
        if response.status_code >= 400:
            raise self._refusal(method, path, response)
        try:
            return response.json()
        except ValueError as error:
            raise Unavailable(f"Grafana at {self._url} answered {method} {path} with no JSON.") from error

    def _object(self, method: str, path: str, **request: Any) -> dict[str, Any]:
        answer = self._call(method, path, **request)
        if not isinstance(answer, dict):
            raise self._odd(method, path, f"JSON of type {type(answer).__name__}, not an object")
        return answer

    def _odd(self, method: str, path: str, what: str) -> Unavailable:
        """An answer in a shape Grafana does not give: most likely another server at that URL."""
        return Unavailable(
            f"Grafana at {self._url} answered {method} {path} with {what}; is flywheel.grafana_url a Grafana?"
        )

    def _refusal(self, method: str, path: str, response: httpx.Response) -> LunaError:
        status = response.status_code
        if status in (401, 403):
            return InvalidInput(
                f"Grafana at {self._url} rejected the token (HTTP {status}): set flywheel.grafana_token "
                "(LUNA_FLYWHEEL__GRAFANA_TOKEN) to a service account token with the Editor role."
            )
        error = Unavailable if status >= 500 else InvalidInput
        return error(f"Grafana at {self._url} answered {status} to {method} {path}: {_message(response)}")


def _message(response: httpx.Response) -> str:
    """Grafana's ``{"message": …}``, or the start of whatever else it sent."""
    try:
        answer = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(answer, dict) and answer.get("message"):
        return str(answer["message"])
    return response.text[:200]
