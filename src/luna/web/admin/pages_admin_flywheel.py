"""``/admin/flywheel``: is Luna getting better? Sessions, KPIs against their thresholds, alerts.

Everything is read from SQL (the hourly cycle writes it); "Jetzt auswerten" queues that cycle as a
job, which the Jobs view follows. KPI charts show the day window over the last 30 days with the
threshold levels of ``config/thresholds.yaml`` as dashed lines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from nicegui import ui

from luna.container_services import Services
from luna.domain.flywheel.actions import Action, ActionStatus
from luna.domain.flywheel.alerts import AlertChange, AlertState
from luna.domain.flywheel.kpi_values import ALL, KPI_TITLES, Kpi, KpiValue, Window
from luna.domain.flywheel.thresholds import Threshold
from luna.services.flywheel.cycle import FLYWHEEL_JOB
from luna.web.components.clicks import one_at_a_time
from luna.web.components.errors import failure_shown
from luna.web.components.formats import day_start_note, de_datetime, de_int
from luna.web.components.kpi_chart import kpi_chart, kpi_text
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, figure, loading

#: KPIs charted, in this order.
CHARTED: Final = (Kpi.USEFULNESS_RATE, Kpi.REFUSAL_RATE, Kpi.THUMBS_DOWN_RATE, Kpi.NEGATIVE_SENTIMENT_RATE)
HISTORY_SHOWN: Final = 20
REPORTS_SHOWN: Final = 10
ACTIONS_SHOWN: Final = 20
_STATUS_NAMES: Final = {
    ActionStatus.OPEN: "offen",
    ActionStatus.APPROVED: "freigegeben",
    ActionStatus.RUNNING: "läuft",
    ActionStatus.DONE: "erledigt",
    ActionStatus.FAILED: "fehlgeschlagen",
    ActionStatus.REJECTED: "abgelehnt",
}
_TEAMS: Final = {"wissen": "Wissensteam", "modell": "Modellteam"}
_DAYS: Final = 30


@dataclass(frozen=True)
class _Snapshot:
    sessions: int
    consentless: int
    states: list[AlertState]
    history: list[AlertChange]
    thresholds: tuple[Threshold, ...]
    latest: list[KpiValue]
    series: dict[Kpi, list[KpiValue]]
    reports: list[str]
    current_report: str | None
    actions: list[Action]


class _Drawn:
    """What each part of the view shows: redrawing an unchanged part closed the report an operator was
    reading, every 30 seconds."""

    def __init__(self) -> None:
        self._parts: dict[str, object] = {}

    def changed(self, part: str, value: object) -> bool:
        """Whether ``part`` shows something else now (remembered as shown)."""
        if part in self._parts and self._parts[part] == value:
            return False
        self._parts[part] = value
        return True

    def forget(self) -> None:
        self._parts.clear()


@admin_page("/admin/flywheel")
async def flywheel(view: AdminView) -> None:
    services = view.web.services
    with ui.row().classes("w-full items-center"):
        stamp = ui.label().classes("text-sm luna-muted")
        ui.space()
        run = ui.button("Jetzt auswerten", icon="autorenew").props("no-caps").mark("flywheel-run")
    with ui.card().classes("w-full"):
        card_title("Sitzungen und Alarme", "sync")
        figures = ui.row().classes("w-full gap-8").mark("flywheel-figures")
    with ui.card().classes("w-full"):
        card_title("Alarme", "notifications_active")
        alerts = ui.column().classes("w-full").mark("flywheel-alerts")
    with ui.card().classes("w-full"):
        card_title("Maßnahmen", "assignment")
        actions = ui.column().classes("w-full gap-3").mark("flywheel-actions")
    with ui.card().classes("w-full"):
        card_title("Kennzahlen pro Tag (alle Themen)", "query_stats")
        kpis = ui.column().classes("w-full").mark("flywheel-kpis")
    with ui.card().classes("w-full"):
        card_title("Verlauf der Alarme", "history")
        history = ui.column().classes("w-full").mark("flywheel-history")
    with ui.card().classes("w-full"):
        card_title("Berichte: Themen und Wissenslücken", "description")
        reports = ui.column().classes("w-full").mark("flywheel-reports")
    for area in (figures, alerts, actions, kpis, history, reports):
        with area:
            loading()

    drawn = _Drawn()

    async def refresh() -> None:
        areas = (figures, alerts, actions, kpis, history, reports)
        with failure_shown(*areas, what="Das Daten-Schwungrad") as attempt:
            snapshot = await in_thread(_read, services)
            if drawn.changed("figures", replace(snapshot, reports=[], current_report=None, actions=[])):
                _figures(figures, snapshot)
                _alerts(alerts, snapshot)
                _kpis(kpis, snapshot)
                _history(history, snapshot)
            if drawn.changed("actions", snapshot.actions):
                _actions(actions, snapshot.actions, decide)
            if drawn.changed("reports", (snapshot.reports, snapshot.current_report)):
                _reports(reports, snapshot, lambda key: services.normaliser.report(key))
            stamp.set_text(f"Stand: {de_datetime(datetime.now(UTC))}")
        if attempt.failed:
            drawn.forget()  # the areas show the failure now: the next refresh draws them all again

    @one_at_a_time
    async def start() -> None:
        with failure_shown(what="Die Auswertung"):
            job = await in_thread(services.jobs.submit, FLYWHEEL_JOB, {}, "admin")
            ui.notify(f"Auswertung gestartet (Job {job.job_id[:8]}); der Stand aktualisiert sich danach.")

    async def decide(action_id: str, approve: bool) -> None:
        with failure_shown(what="Die Entscheidung"):
            move = services.actions.approve if approve else services.actions.reject
            await in_thread(move, action_id, "admin", None)
            ui.notify("Maßnahme freigegeben." if approve else "Maßnahme abgelehnt.")
        await refresh()

    run.on_click(start)
    await refresh()
    # Not at once: the page was just filled, and refilling it on connect deleted charts still being drawn
    # (echarts' "Cannot read properties of undefined (reading 'dispose')" in the browser).
    ui.timer(max(view.web.settings.web.refresh_sec, 30.0), refresh, immediate=False)


def _read(services: Services) -> _Snapshot:
    since = datetime.now(UTC) - timedelta(days=_DAYS)
    stats = services.sessions.stats(since.date())
    reports = services.normaliser.reports()[:REPORTS_SHOWN]
    return _Snapshot(
        sessions=stats.sessions,
        consentless=sum(stats.consentless.values()),
        states=services.alerts.states(),
        history=services.alerts.history(HISTORY_SHOWN),
        thresholds=services.alerts.thresholds(),
        latest=services.kpis.latest(),
        series={kpi: services.kpis.series(kpi.value, Window.DAY.value, ALL, since) for kpi in CHARTED},
        reports=reports,
        actions=services.actions.list(limit=ACTIONS_SHOWN),
        current_report=services.normaliser.report(reports[0]) if reports else None,
    )


def _figures(area: ui.row, snapshot: _Snapshot) -> None:
    area.clear()
    firing = [state for state in snapshot.states if state.firing]
    with area:
        figure("Gespeicherte Sitzungen", de_int(snapshot.sessions), "pseudonymisiert, geschwärzt")
        figure("Ohne Einwilligung", de_int(snapshot.consentless), f"letzte {_DAYS} Tage, nur gezählt")
        figure(
            "Aktive Alarme", de_int(len(firing)), f"von {de_int(len(snapshot.thresholds))} Schwellenwerten"
        )


def _alerts(area: ui.column, snapshot: _Snapshot) -> None:
    area.clear()
    described = {threshold.name: threshold for threshold in snapshot.thresholds}
    with area:
        if not snapshot.states:
            _no_alert_states(snapshot)
            return
        rows = []
        for state in snapshot.states:
            threshold = described.get(state.threshold)
            kpi = threshold.kpi if threshold else None
            rows.append(
                {
                    "key": f"{state.threshold}|{state.scope}",
                    "state": {"critical": "Kritisch", "warning": "Warnung"}.get(
                        str(state.severity), "In Ordnung"
                    ),
                    "name": threshold.description if threshold else state.threshold,
                    "scope": _scope(state.scope),
                    "value": kpi_text(kpi, state.value),
                    "samples": de_int(state.samples),
                    "since": de_datetime(state.since),
                }
            )
        columns = [
            {"name": name, "label": label, "field": name, "align": "left"}
            for name, label in (
                ("state", "Zustand"),
                ("name", "Schwellenwert"),
                ("scope", "Thema"),
                ("value", "Wert"),
                ("samples", "Stichprobe"),
                ("since", "Seit"),
            )
        ]
        ui.table(columns=columns, rows=rows, row_key="key").props("flat dense wrap-cells").classes("w-full")


def _no_alert_states(snapshot: _Snapshot) -> None:
    """Why no threshold has a state yet: never evaluated, or (with KPIs already there) too few samples.

    A threshold judges a KPI only from its ``min_samples`` on and keeps no state before that, so a fresh
    installation with a handful of answers has KPIs but no judgement, which is not "not evaluated".
    """
    if not snapshot.latest:
        empty_state(
            "Noch nicht ausgewertet", "Die stündliche Auswertung prüft die Schwellenwerte.", "schedule"
        )
        return
    fewest = min((threshold.min_samples for threshold in snapshot.thresholds), default=0)
    most = max(value.samples for value in snapshot.latest)
    empty_state(
        "Noch zu wenige Daten für ein Urteil",
        f"Die Kennzahlen sind ausgewertet, beruhen aber auf höchstens {de_int(most)} Stichproben; "
        f"die Schwellenwerte urteilen erst ab {de_int(fewest)}.",
        "hourglass_empty",
    )


def _kpis(area: ui.column, snapshot: _Snapshot) -> None:
    area.clear()
    with area:
        if not any(snapshot.series.values()):
            empty_state(
                "Noch keine Kennzahlen",
                "Sobald Sitzungen eingehen (Webhook oder Lunas eigene Gespräche) und die Auswertung läuft, "
                "erscheinen hier Hilfreich-Quote, Ablehnungen und Rückmeldungen pro Tag.",
                "monitoring",
            )
            return
        with ui.row().classes("w-full gap-6"):
            for value in snapshot.latest:
                if value.window is Window.DAY and value.scope == ALL:
                    shown = kpi_text(value.kpi, value.value)
                    figure(KPI_TITLES[value.kpi], shown, f"n = {de_int(value.samples)}")
        for kpi, series in snapshot.series.items():
            if series:
                ui.label(KPI_TITLES[kpi]).classes("text-sm font-medium")
                ui.echart(kpi_chart(kpi, series, snapshot.thresholds)).classes("w-full h-56")
        starts = [value.bucket_start for series in snapshot.series.values() for value in series]
        ui.label(f"{day_start_note(starts)} Gestrichelt: Warn- und kritische Schwelle.").classes(
            "text-xs luna-muted"
        )


def _history(area: ui.column, snapshot: _Snapshot) -> None:
    area.clear()
    with area:
        if not snapshot.history:
            empty_state("Keine Änderungen", "Bisher hat kein Alarm ausgelöst.", "check_circle")
            return
        names = {None: "in Ordnung", "warning": "Warnung", "critical": "kritisch"}
        for change in snapshot.history:
            before, after = names.get(_text(change.before)), names.get(_text(change.after))
            scope = _scope(change.scope)
            ui.label(
                f"{de_datetime(change.at)} · {change.description} · {scope}: {before} → {after}"
            ).classes("text-sm")


def _actions(area: ui.column, actions: list[Action], decide: Callable[[str, bool], Awaitable[None]]) -> None:
    area.clear()
    with area:
        if not actions:
            empty_state(
                "Keine Maßnahmen", "Löst ein Alarm aus, schlägt Luna hier Maßnahmen vor.", "assignment"
            )
            return
        for action in actions:
            with ui.card().props("flat bordered").classes("w-full"):
                with ui.row().classes("w-full items-center gap-2"):
                    ui.label(action.title).classes("font-medium grow")
                    ui.badge(_STATUS_NAMES[action.status]).props('color="primary" outline')
                    ui.label(_TEAMS.get(action.owner.value, action.owner.value)).classes("text-xs luna-muted")
                for gap in action.details.get("gaps", []):
                    ui.label(f"Thema „{gap['topic']}“: {gap['suggestion']}").classes("text-sm")
                    for example in gap.get("examples", [])[:3]:
                        ui.label(f"– {example}").classes("text-xs luna-muted")
                if action.status is ActionStatus.OPEN:
                    with ui.row().classes("gap-2"):
                        ui.button("Freigeben", on_click=lambda _, a=action.action_id: decide(a, True)).props(
                            "no-caps"
                        )
                        ui.button("Ablehnen", on_click=lambda _, a=action.action_id: decide(a, False)).props(
                            "flat no-caps"
                        )


def _reports(area: ui.column, snapshot: _Snapshot, read: Callable[[str], str]) -> None:
    area.clear()
    with area:
        if not snapshot.reports:
            empty_state(
                "Noch kein Bericht", "Die Auswertung schreibt nach jedem Lauf einen Bericht.", "description"
            )
            return
        with ui.expansion("Neuester Bericht anzeigen", icon="article").classes("w-full"):
            ui.markdown(snapshot.current_report or "").classes("w-full")
        for key in snapshot.reports:
            name = key.rsplit("/", 1)[-1]
            with ui.row().classes("items-center gap-2"):
                ui.button(
                    icon="download",
                    on_click=lambda _, key=key, name=name: ui.download(read(key).encode(), name),
                ).props(f'flat dense round aria-label="{name} herunterladen"')
                ui.label(name).classes("text-sm font-mono")


def _scope(scope: str) -> str:
    return "alle Themen" if scope == ALL else f"Thema „{scope.removeprefix('topic:')}“"


def _text(severity: object) -> str | None:
    return None if severity is None else str(severity)
