"""``/admin/activity``: how Luna is used and what she learns: events, ratings, learning runs, ingest.

Everything comes from the metrics and learning services (rollups and aggregates, never raw rows);
the view reloads on request and every ``web.refresh_sec`` (at least every half minute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from nicegui import ui

from luna.domain.scores import AuditEntry, ScoreVersion
from luna.ports.metrics import Ratings
from luna.services.learning.learning import AUDIT_ACTION
from luna.services.learning.metrics import IngestMetrics, Overview
from luna.web.admin.feedback_notes import SHOWN, unhelpful_answers
from luna.web.admin.pages_admin_activity_parts import audit_table, ingest_chart, seconds, versions_table
from luna.web.components.charts import EVENT_NAMES, events_chart
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_datetime, de_int, de_percent
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, figure, loading

#: Learning versions and audit entries shown.
HISTORY: Final = 10
_MIN_REFRESH_SEC: Final = 30.0
#: What a day of the events chart is.
BERLIN_DAYS: Final = "Tage nach deutscher Zeit (0 bis 24 Uhr)."


def _rate(ratings: Ratings) -> tuple[str, str]:
    if ratings.useful_ratio is None:
        return "–", "keine Bewertungen"
    return de_percent(ratings.useful_ratio), f"{de_int(ratings.useful)} von {de_int(ratings.total)} hilfreich"


@admin_page("/admin/activity")
async def activity(view: AdminView) -> None:
    with ui.row().classes("w-full items-center"):
        stamp = ui.label().classes("text-sm luna-muted")
        ui.space()
        reload = ui.button("Aktualisieren", icon="refresh").props("flat no-caps")
    cards = _cards()

    async def refresh() -> None:
        metrics = view.web.services.metrics
        with failure_shown(cards.events, cards.feedback, what="Die Nutzungszahlen"):
            overview = await in_thread(metrics.overview)
            _events(cards.events, overview)
            _feedback(cards.feedback, overview)
            stamp.set_text(f"Stand: {de_datetime(overview.as_of)}")
        with failure_shown(cards.unhelpful, what="Die nicht hilfreichen Antworten"):
            feedback = view.web.services.feedback
            unhelpful_answers(
                cards.unhelpful, await in_thread(lambda: feedback.recent(useful=False, limit=SHOWN))
            )
        with failure_shown(cards.ingest, what="Die Zahlen zum Einlesen"):
            _ingest(cards.ingest, await in_thread(metrics.ingest))
        learning = view.web.services.learning
        with failure_shown(cards.versions, cards.audit, what="Der Verlauf des Lernens"):
            score_versions, entries = await in_thread(
                lambda: (learning.versions(HISTORY), learning.audit_log(AUDIT_ACTION, HISTORY))
            )
            _learning(cards.versions, score_versions)
            _audit(cards.audit, entries)

    reload.on_click(refresh)
    await refresh()
    # Not at once: the page was just filled, and refilling it on connect deleted charts still being drawn
    # (echarts' "Cannot read properties of undefined (reading 'dispose')" in the browser).
    ui.timer(max(view.web.settings.web.refresh_sec, _MIN_REFRESH_SEC), refresh, immediate=False)


@dataclass(frozen=True)
class _Cards:
    """Where each part of the view goes."""

    events: ui.column
    feedback: ui.column
    unhelpful: ui.column
    ingest: ui.column
    versions: ui.column
    audit: ui.column


def _cards() -> _Cards:
    with ui.card().classes("w-full"):
        card_title("Ereignisse pro Tag", "bar_chart")
        events = ui.column().classes("w-full gap-2").mark("events-card")
    with ui.row().classes("w-full gap-4 items-start"):
        with ui.card().classes("grow basis-[24rem]"):
            card_title("Feedback zu Lunas Antworten", "thumbs_up_down")
            feedback = ui.column().classes("w-full gap-2").mark("feedback-card")
        with ui.card().classes("grow basis-[36rem]"):
            card_title("Einlesen von Dokumenten", "upload_file")
            ingest = ui.column().classes("w-full gap-2").mark("ingest-card")
    with ui.card().classes("w-full"):
        card_title("Als nicht hilfreich bewertete Antworten mit Anmerkungen", "thumb_down")
        unhelpful = ui.column().classes("w-full gap-2").mark("unhelpful-card")
    with ui.card().classes("w-full"):
        card_title("Lernen: Versionen der Bewertungen", "psychology")
        versions = ui.column().classes("w-full gap-2").mark("learning-card")
    with ui.card().classes("w-full"):
        card_title("Protokoll der Lernläufe", "fact_check")
        audit = ui.column().classes("w-full gap-2")
    for area in (events, feedback, unhelpful, ingest, versions, audit):
        with area:
            loading()
    return _Cards(events, feedback, unhelpful, ingest, versions, audit)


def _events(area: ui.column, overview: Overview) -> None:
    area.clear()
    with area:
        days = overview.events_per_day
        if not any(day.total for day in days):
            empty_state(
                "Noch keine Ereignisse",
                "Fragen, Klicks, Bewertungen und Empfehlungen erscheinen hier pro Tag.",
                "timeline",
            )
            return
        with ui.row().classes("w-full gap-6"):
            for kind, count in sorted(overview.events_by_type.items(), key=lambda pair: -pair[1]):
                figure(EVENT_NAMES.get(kind, kind), de_int(count), "insgesamt")
        # the rollup counts Europe/Berlin calendar days: a day is labelled as it is
        chart = events_chart([(day.day.strftime("%d.%m."), day.by_type) for day in days])
        ui.echart(chart).classes("w-full h-72").mark("events-chart")
        refreshed = overview.events_daily_refreshed_at
        note = BERLIN_DAYS
        if refreshed is not None:
            note += f" Tagesstatistik zuletzt berechnet {de_datetime(refreshed)}."
        ui.label(note).classes("text-xs luna-muted").mark("events-days")


def _feedback(area: ui.column, overview: Overview) -> None:
    area.clear()
    with area:
        if overview.feedback.overall.total == 0:
            empty_state(
                "Noch keine Bewertungen",
                "Sobald Kundinnen und Kunden Antworten als hilfreich oder nicht hilfreich bewerten, "
                "steht hier, wie viele geholfen haben.",
                "thumbs_up_down",
            )
            return
        with ui.row().classes("w-full gap-6"):
            for label, ratings in (
                ("Hilfreich insgesamt", overview.feedback.overall),
                ("Letzte 7 Tage", overview.feedback.last_7_days),
                ("Letzte 30 Tage", overview.feedback.last_30_days),
            ):
                value, hint = _rate(ratings)
                figure(label, value, hint)


def _ingest(area: ui.column, figures: IngestMetrics) -> None:
    area.clear()
    with area:
        failures = figures.failures
        with ui.row().classes("w-full gap-6"):
            figure("Dokumente", de_int(figures.documents), f"letzte {figures.days} Tage")
            figure("Abschnitte", de_int(figures.chunks), f"letzte {figures.days} Tage")
            figure(
                "Fehlschläge",
                de_int(failures.total),
                f"{failures.items} Dokumente, {failures.jobs} Jobs, {failures.files} Dateien",
            )
            figure(
                "Einlesezeit je Dokument",
                seconds(figures.indexing.avg_sec),
                f"Mittel; 95 %: {seconds(figures.indexing.p95_sec)}" if figures.indexing.count else None,
            )
        if not any(day.documents or day.failures.total for day in figures.per_day):
            ui.label("In diesem Zeitraum wurde nichts eingelesen.").classes("luna-muted")
            return
        ui.echart(ingest_chart(figures.per_day)).classes("w-full h-64").mark("ingest-chart")
        ui.label(BERLIN_DAYS).classes("text-xs luna-muted")


def _learning(area: ui.column, score_versions: list[ScoreVersion]) -> None:
    area.clear()
    with area:
        if not score_versions:
            empty_state(
                "Noch nichts gelernt",
                "Der Lernlauf läuft nachts oder unter „Jobs“ auf Knopfdruck; jede Änderung wird "
                "eine neue Version.",
                "psychology",
            )
        else:
            versions_table(score_versions)


def _audit(area: ui.column, entries: list[AuditEntry]) -> None:
    area.clear()
    with area:
        if not entries:
            ui.label("Noch keine Einträge.").classes("luna-muted")
        else:
            audit_table(entries)
