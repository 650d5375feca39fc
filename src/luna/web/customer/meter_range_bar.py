"""The Smart-Meter view's time navigation: "◀ früher", the shown window, "später ▶" and
"Zeitraum wählen" (a dialog with two German date fields and a calendar to pick the range in,
checked before anything is drawn).

The buttons only report a click; which window comes next is decided by
:class:`~luna.web.customer.meter_view_state.ViewState`, and whether a direction holds data by
:func:`~luna.web.customer.meter_view_state.can_go_earlier` / ``can_go_later``. The date fields take
``TT.MM.JJJJ`` whatever the browser's language (a native date field shows ``11/23/2026`` in an
English browser).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Final

from nicegui import ui

from luna.web.components.meter_charts import MONTH_NAMES
from luna.web.components.widgets import card_title
from luna.web.customer.meter_window import (
    MAX_RANGE_DAYS,
    DayRange,
    berlin_today,
    parse_german_day,
    range_problem,
    typed_day_problem,
    unbreakable_stamps,
)

Step = Callable[[], Awaitable[None]]

_DAY: Final = "%d.%m.%Y"
#: The calendar in German, weeks starting on Monday (Quasar's QDate locale).
_CALENDAR_LOCALE: Final = {
    "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
    "daysShort": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
    "months": list(MONTH_NAMES),
    "monthsShort": ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
    "firstDayOfWeek": 1,
    "format24h": True,
    "pluralDay": "Tage",
}


class RangeBar:
    """One row under the meter controls; :meth:`show` says which window is on screen."""

    def __init__(self, on_earlier: Step, on_later: Step, on_pick: Step) -> None:
        with ui.row().classes("w-full items-center gap-x-4 gap-y-2"):
            # On a phone the window takes a line of its own above the two arrows.
            stepper = ui.row().classes("w-full sm:w-auto items-center justify-between gap-2 sm:flex-nowrap")
            with stepper.props('role="group" aria-label="Blättern"'):
                self._earlier = ui.button("früher", icon="chevron_left", on_click=on_earlier)
                self._earlier.props("outline no-caps no-wrap").classes("shrink-0").mark("earlier")
                self._earlier.tooltip("Den Zeitraum davor zeigen")
                self._label = ui.label().classes(
                    "order-first sm:order-none w-full sm:w-auto sm:min-w-[12rem] font-medium text-center"
                )
                self._label.props('aria-live="polite"').mark("window-label")
                self._later = ui.button("später", on_click=on_later).mark("later")
                self._later.props("outline no-caps no-wrap icon-right=chevron_right").classes("shrink-0")
                self._later.tooltip("Den Zeitraum danach zeigen")
            pick = ui.button("Zeitraum wählen", icon="date_range", on_click=on_pick)
            pick.props("flat no-caps").mark("pick-range")
        self._picker = _RangePicker()

    def show(self, label: str, *, earlier: bool, later: bool) -> None:
        self._label.set_text(unbreakable_stamps(label))
        self._earlier.set_enabled(earlier)
        self._later.set_enabled(later)

    async def pick(self, start_with: DayRange) -> DayRange | None:
        """The days the customer picks in the dialog; None when they cancel it."""
        return await self._picker.ask(start_with)


class _RangePicker:
    def __init__(self) -> None:
        with ui.dialog() as self._dialog, ui.card().classes("w-[22rem] max-w-full gap-3"):
            card_title("Zeitraum wählen", "date_range")
            ui.label(
                f"Ganze Tage nach deutscher Zeit, von 0 bis 24 Uhr; höchstens {MAX_RANGE_DAYS} Tage. "
                "Tippen Sie die Daten ein oder wählen Sie Anfang und Ende im Kalender."
            ).classes("text-sm luna-muted")
            with ui.row().classes("w-full gap-3 no-wrap"):
                self._first = _day_field("Von")
                self._last = _day_field("Bis")
            self._calendar = ui.date(mask="DD.MM.YYYY", on_change=self._picked_in_calendar)
            for field in (self._first, self._last):
                field.on_value_change(self._typed)
            self._calendar.props("range minimal flat bordered").classes("w-full")
            self._calendar.props["locale"] = _CALENDAR_LOCALE
            self._problem = ui.label().classes("text-sm text-negative").props('role="alert"')
            self._problem.mark("range-problem")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Abbrechen", on_click=lambda: self._dialog.submit(None)).props("flat no-caps")
                ui.button("Anzeigen", icon="check", on_click=self._apply).props("no-caps").mark("apply-range")

    async def ask(self, start_with: DayRange) -> DayRange | None:
        today = berlin_today()
        # Days after today cannot be picked (QDate passes a day as YYYY/MM/DD).
        self._calendar.props[":options"] = f"day => day <= '{today:%Y/%m/%d}'"
        self._calendar.props["navigation-max-year-month"] = f"{today:%Y/%m}"
        self._first.value, self._last.value = f"{start_with.first:{_DAY}}", f"{start_with.last:{_DAY}}"
        self._calendar.value = {"from": self._first.value, "to": self._last.value}
        self._problem.set_text("")
        chosen = await self._dialog
        return chosen if isinstance(chosen, DayRange) else None

    def _picked_in_calendar(self) -> None:
        picked: Any = self._calendar.value
        if isinstance(picked, str):  # one day clicked twice
            picked = {"from": picked, "to": picked}
        if not isinstance(picked, dict):
            return
        for field, key in ((self._first, "from"), (self._last, "to")):
            day = parse_german_day(picked.get(key))
            if day is not None and parse_german_day(field.value) != day:  # leave what means the same
                field.value = f"{day:{_DAY}}"
        self._problem.set_text("")

    def _typed(self) -> None:
        """A typed range shows in the calendar as soon as both days read as one."""
        first, last = parse_german_day(self._first.value), parse_german_day(self._last.value)
        if first is None or last is None or first > last:
            return
        typed = {"from": f"{first:{_DAY}}", "to": f"{last:{_DAY}}"}
        if self._calendar.value != typed:
            self._calendar.value = typed

    def _apply(self) -> None:
        first, last = parse_german_day(self._first.value), parse_german_day(self._last.value)
        today: date = berlin_today()
        problem = (
            typed_day_problem(self._first.value, "Von-Datum")
            or typed_day_problem(self._last.value, "Bis-Datum")
            or range_problem(first, last, today)
        )
        if problem is not None or first is None or last is None:
            self._problem.set_text(problem or "")
            return
        self._dialog.submit(DayRange(first, last))


def _day_field(label: str) -> ui.input:
    field = ui.input(label, placeholder="TT.MM.JJJJ").props("outlined stack-label inputmode=numeric")
    return field.classes("grow").props('autocomplete="off"')
