"""System status as both dashboards show it: Luna's versions and the health of each component."""

from __future__ import annotations

from typing import Final

from nicegui import ui

from luna.domain.health import ComponentHealth, HealthStatus
from luna.services.operations.health import HealthReport
from luna.services.operations.system import SystemInfo
from luna.web.admin.health_details import german_detail

COMPONENT_NAMES: Final = {
    "database": "Datenbank",
    "vectors": "Vektorindex",
    "blobs": "Dateispeicher",
    "jobs": "Hintergrundjobs",
    "extract": "Textextraktion",
    "embeddings": "Suchmodell (Einbettungen)",
    "index": "Suchindex passt zum Suchmodell",
    "lexical": "Stichwortsuche (BM25)",
    "chat": "Antwortmodell",
    "mqtt": "MQTT-Zählerdaten",
    "refine": "Verfeinerte Suche (EmbeddingGemma)",
}
#: The details cell: the German text, the adapter's own words in a tooltip when they differ.
_DETAIL_SLOT: Final = r"""
<q-td :props="props">
  <span>{{ props.value }}</span>
  <q-tooltip v-if="props.row.raw_detail" max-width="32rem">Original: {{ props.row.raw_detail }}</q-tooltip>
</q-td>
"""
_STATUS: Final = {
    HealthStatus.UP: ("Läuft", "positive", "check_circle"),
    HealthStatus.DOWN: ("Gestört", "negative", "error"),
    HealthStatus.DISABLED: ("Abgeschaltet", "grey-8", "pause_circle"),
}


def overall_status(report: HealthReport) -> None:
    """One line: everything runs, or how many components are disturbed."""
    down = [name for name, health in report.components.items() if health.status is HealthStatus.DOWN]
    if not down:
        text, color, icon = "Alle Dienste laufen", "positive", "check_circle"
    else:
        names = ", ".join(COMPONENT_NAMES.get(name, name) for name in down)
        text, color, icon = f"Eingeschränkt: {names} gestört", "negative", "warning"
    with ui.row().classes("items-center gap-2").props('role="status"').mark("system-status"):
        ui.icon(icon, color=color, size="sm").props('aria-hidden="true"')
        ui.label(text).classes(f"text-{color} font-medium")


def version_lines(info: SystemInfo) -> None:
    """Version, commit and models: what a support request needs to quote."""
    commit = info.git_sha[:10] if info.git_sha != "unknown" else "unbekannt"
    rows = [
        ("Version", f"{info.name} {info.version}"),
        ("Commit", commit),
        ("Profil", info.profile),
        ("Antwortmodell", info.models.get("chat", "–")),
        ("Suchmodell", info.models.get("embeddings", "–")),
    ]
    with ui.grid(columns="auto 1fr").classes("gap-x-4 gap-y-1 text-sm"):
        for label, value in rows:
            ui.label(label).classes("luna-muted")
            ui.label(value).classes("font-mono break-all")


def component_table(report: HealthReport, *, technical: bool) -> None:
    """Every component with its status; ``technical`` adds backend, latency, version and details."""
    columns = [
        {"name": "component", "label": "Komponente", "field": "component", "align": "left"},
        {"name": "status", "label": "Status", "field": "status", "align": "left"},
    ]
    if technical:
        columns += [
            {"name": "backend", "label": "Backend", "field": "backend", "align": "left"},
            {"name": "latency", "label": "Antwortzeit", "field": "latency", "align": "right"},
            {
                "name": "detail",
                "label": "Technische Details",
                "field": "detail",
                "align": "left",
                "classes": "whitespace-normal break-words",
                "style": "min-width: 16rem",
            },
        ]
    rows = [_row(name, health) for name, health in report.components.items()]
    table = ui.table(columns=columns, rows=rows, row_key="key").classes("w-full").props("flat dense")
    table.add_slot(
        "body-cell-status",
        r"""<q-td :props="props"><q-badge :color="props.row.color" :label="props.value" /></q-td>""",
    )
    if technical:
        table.add_slot("body-cell-detail", _DETAIL_SLOT)


def detail_texts(health: ComponentHealth) -> tuple[str, str]:
    """The details cell of ``health``: its German text, and the raw text when that differs ("" if not)."""
    german = german_detail(health.detail, health.name) if health.detail else None
    shown = " · ".join(part for part in (health.version, german) if part) or "–"
    raw = " · ".join(part for part in (health.version, health.detail) if part)
    return shown, raw if raw and raw != shown else ""


def _row(name: str, health: ComponentHealth) -> dict[str, str]:
    label, color, _ = _STATUS[health.status]
    detail, raw_detail = detail_texts(health)
    return {
        "key": name,
        "component": COMPONENT_NAMES.get(name, name),
        "status": label,
        "color": color,
        "backend": health.backend,
        "latency": f"{health.latency_ms:.0f} ms" if health.latency_ms is not None else "–",
        "detail": detail,
        "raw_detail": raw_detail,
    }
