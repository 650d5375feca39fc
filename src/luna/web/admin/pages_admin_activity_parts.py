"""Pieces of the activity view: the ingest chart and the learning tables (versions, audit log)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from nicegui import ui

from luna.domain.scores import AuditEntry, ScoreVersion
from luna.services.learning.metrics import IngestDay
from luna.web.admin.pages_admin_jobs_parts import duration
from luna.web.components import theme
from luna.web.components.formats import de_datetime, de_int, de_number

_ACTORS: Final = {
    "admin": "Administration",
    "admin-api": "API (Admin)",
    # The schedule starts the nightly run, and also a run that is due at start (none yet, or one missed).
    "schedule": "Zeitplan",
    "worker": "Worker",
}
_ACTIONS: Final = {"learn.run": "Lernlauf"}


def actor_label(actor: str) -> str:
    """German name of who started something; a job names itself ``job:<uuid>`` (shown shortened)."""
    if actor.startswith("job:"):
        return f"Job {actor.removeprefix('job:')[:8]}"
    return _ACTORS.get(actor, actor)


def ingest_chart(days: Sequence[IngestDay]) -> dict[str, Any]:
    """Documents and chunks per day (two axes: a day can bring 3 documents and 400 chunks), failures."""
    labels = [f"{day.day:%d.%m.}" for day in days]
    return {
        "aria": {"enabled": True},
        "animation": False,
        "grid": {"left": 56, "right": 64, "top": 48, "bottom": 32},
        "legend": {"top": 4},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": [
            {"type": "value", "name": "Dokumente", "minInterval": 1},
            {"type": "value", "name": "Abschnitte", "minInterval": 1, "splitLine": {"show": False}},
        ],
        "series": [
            {
                "name": "Dokumente",
                "type": "bar",
                "data": [day.documents for day in days],
                "itemStyle": {"color": theme.PRIMARY},
            },
            {
                "name": "Fehlschläge",
                "type": "bar",
                "data": [day.failures.total for day in days],
                "itemStyle": {"color": theme.NEGATIVE},
            },
            {
                "name": "Abschnitte",
                "type": "line",
                "yAxisIndex": 1,
                "showSymbol": False,
                "data": [day.chunks for day in days],
                "itemStyle": {"color": theme.ACCENT_DARK},
            },
        ],
    }


def seconds(value: float | None) -> str:
    return "–" if value is None else duration(value) if value >= 1 else f"{de_number(value, 1)} s"


def versions_table(versions: Sequence[ScoreVersion]) -> None:
    columns = [
        {"name": "version", "label": "Version", "field": "version", "align": "left"},
        {"name": "computed", "label": "Berechnet", "field": "computed", "align": "left"},
        {"name": "as_of", "label": "Datenstand", "field": "as_of", "align": "left"},
        {"name": "actor", "label": "Ausgelöst von", "field": "actor", "align": "left"},
        {"name": "chunks", "label": "Abschnitte", "field": "chunks", "align": "right"},
        {"name": "items", "label": "Dokumente", "field": "items", "align": "right"},
    ]
    rows = [
        {
            "version": version.version,
            "computed": de_datetime(version.computed_at),
            "as_of": de_datetime(version.as_of),
            "actor": actor_label(version.actor),
            "chunks": de_int(version.chunks),
            "items": de_int(version.items),
        }
        for version in versions
    ]
    ui.table(columns=columns, rows=rows, row_key="version").props("flat dense").classes("w-full").mark(
        "score-versions"
    )


def _count(details: dict[str, Any], group: str, key: str) -> int:
    values = details.get(group)
    value = values.get(key) if isinstance(values, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _effect(entry: AuditEntry) -> str:
    """What a learning run read and changed, from its audit details."""
    if entry.action != "learn.run":
        return "–"
    details = entry.details
    read = (
        f"{de_int(_count(details, 'counts', 'events'))} Ereignisse, "
        f"{de_int(_count(details, 'counts', 'ratings'))} Bewertungen gelesen"
    )
    if details.get("unchanged") is True:
        return f"unverändert; {read}"
    return (
        f"{de_int(_count(details, 'changes', 'changed'))} Abschnitte geändert "
        f"({de_int(_count(details, 'changes', 'added'))} neu, "
        f"{de_int(_count(details, 'changes', 'removed'))} entfallen); {read}"
    )


def audit_table(entries: Sequence[AuditEntry]) -> None:
    columns = [
        {"name": "ts", "label": "Zeit", "field": "ts", "align": "left"},
        {"name": "actor", "label": "Wer", "field": "actor", "align": "left"},
        {"name": "action", "label": "Was", "field": "action", "align": "left"},
        {"name": "target", "label": "Ergebnis", "field": "target", "align": "left"},
        {"name": "effect", "label": "Wirkung", "field": "effect", "align": "left"},
    ]
    rows = [
        {
            "key": entry.audit_id,
            "ts": de_datetime(entry.ts),
            "actor": actor_label(entry.actor),
            "action": _ACTIONS.get(entry.action, entry.action),
            "target": (entry.target or "–").replace("scores:v", "Version "),
            "effect": _effect(entry),
        }
        for entry in entries
    ]
    ui.table(columns=columns, rows=rows, row_key="key").props("flat dense wrap-cells").classes("w-full").mark(
        "audit-log"
    )
