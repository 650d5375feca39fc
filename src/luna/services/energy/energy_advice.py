"""Concrete German energy advice for a customer's meters, built on the energy insights.

For each meter linked to the customer (``user_meters``) the insights of its newest
:data:`ADVICE_DAYS` days of readings (ending at its last reading, so a meter fed by a backfill or a
CSV drop from the past still gets advice) give up to four pieces of advice, each with the figures it
rests on:

- ``load_shift``: run a flexible load (a washing machine or dishwasher, :data:`FLEXIBLE_LOAD`) in each
  day's cheapest window instead of the household's usual one; the € per month is the period's mean
  daily saving × 30 under a dynamic tariff (day-ahead price differences).
- ``pv_self_consumption``: a PV meter that exports a lot could run that load in its sunniest hours;
  each kWh used instead of exported saves the flat tariff minus the feed-in rate.
- ``tariff``: the dynamic tariff would have been cheaper than the flat one over the period.
- ``peak``: the highest quarter-hour is far above the average (no € figure: households pay no
  demand charge, but the grid and a future § 14a module do care).

Load shifting and PV self-consumption move the same flexible load to different hours (the cheapest
ones, the sunniest ones), so only the one worth more is given. Advice below
:data:`MIN_EUR_PER_MONTH` is left out; the score grows with the € per month
(``eur / (eur + 5)``), so the list is ordered by what it is worth. No meter, no readings or no prices
give fewer or no advice, never an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np

from luna.domain.energy import MeterInfo
from luna.domain.errors import LunaError
from luna.domain.german_numbers import de_number
from luna.domain.german_text import surface_tokens
from luna.domain.load_shift import FlexibleLoad
from luna.domain.recommend_reasons import clock_window, euros, kilowatt_hours, kilowatts, percent
from luna.domain.sim.price_stats import berlin_wall_clock
from luna.ports.energy import EnergyStore
from luna.ports.sql import Database
from luna.services.energy.insights import InsightsService, MeterInsights

logger = logging.getLogger(__name__)

ADVICE_DAYS: Final = 28
FLEXIBLE_LOAD: Final = FlexibleLoad(kwh=2.0, hours=2.0)
MIN_EUR_PER_MONTH: Final = 0.5
DAYS_PER_MONTH: Final = 30.0
#: A peak is worth advice when it is this many times the mean load and at least this high.
PEAK_FACTOR: Final = 4.0
PEAK_MIN_KW: Final = 3.0
PEAK_SCORE: Final = 0.3
#: Meters whose advice is kept in memory (least recently asked go first), and for how long.
CACHED_METERS: Final = 1024
CACHE_TTL_SEC: Final = 3600.0

LOAD_SHIFT, PV_SELF_CONSUMPTION, TARIFF, PEAK = "load_shift", "pv_self_consumption", "tariff", "peak"


#: A meter and the span of its readings: advice stays valid while these stay the same.
_MeterState = tuple[str, datetime | None, datetime | None]


@dataclass(frozen=True, slots=True)
class EnergyAdvice:
    kind: str
    meter_id: str
    title: str
    #: One or two German sentences with the figures in them.
    text: str
    reason: str
    score: float
    saving_eur_month: float | None
    period_from: datetime
    period_to: datetime
    figures: dict[str, Any] = field(default_factory=dict)


class EnergyAdviceService:
    """Advice per meter is kept until the meter's readings change (its first or last ``ts`` moves), for
    at most :data:`CACHE_TTL_SEC` (prices or corrected readings may arrive for the same period): the
    insights read four weeks of rollups, and a dashboard asks far more often than a meter reports."""

    def __init__(
        self,
        database: Database,
        energy: EnergyStore,
        insights: InsightsService,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._energy = energy
        self._insights = insights
        self._clock = clock
        self._cache: OrderedDict[_MeterState, tuple[float, list[EnergyAdvice]]] = OrderedDict()
        self._lock = threading.Lock()

    def meters_of(self, user_id: str) -> list[str]:
        with self._database.unit_of_work(read_only=True) as uow:
            return uow.user_meters.meters_for(user_id)

    def for_user(self, user_id: str, limit: int) -> list[EnergyAdvice]:
        """The best ``limit`` pieces of advice over all the user's meters, best first."""
        if limit <= 0:
            return []
        advice = [piece for meter_id in self.meters_of(user_id) for piece in self.for_meter(meter_id)]
        advice.sort(key=lambda piece: (-piece.score, piece.meter_id, piece.kind))
        return advice[:limit]

    def for_meter(self, meter_id: str) -> list[EnergyAdvice]:
        meter = self._energy.get_meter(meter_id)
        if meter is None or meter.first_ts is None or meter.last_ts is None:
            return []
        key = (meter_id, meter.first_ts, meter.last_ts)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and self._clock() - cached[0] < CACHE_TTL_SEC:
                self._cache.move_to_end(key)
                return list(cached[1])
        end = meter.last_ts + timedelta(seconds=1)
        start = max(meter.first_ts, end - timedelta(days=ADVICE_DAYS))
        try:
            result = self._insights.insights(meter_id, start, end, market=None, load=FLEXIBLE_LOAD)
        except LunaError as error:
            logger.info("no energy advice for meter %s: %s", meter_id, error.message)
            return []
        advice = advice_from_insights(meter, result)
        with self._lock:
            self._cache[key] = (self._clock(), advice)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHED_METERS:
                self._cache.popitem(last=False)
        return list(advice)


def advice_from_insights(meter: MeterInfo, result: MeterInsights) -> list[EnergyAdvice]:
    """Every piece of advice the insights support (see the module), unordered."""
    found = result.insights
    days = (found.end - found.start) / timedelta(days=1)
    common: dict[str, Any] = {
        "meter_id": meter.meter_id,
        "period_from": found.start,
        "period_to": found.end,
    }
    tariff = _tariff(result, common)
    shift, solar = _load_shift(result, common, tariff is not None), _pv_self_consumption(result, common, days)
    if shift is not None and solar is not None:
        # Both move the same flexible load, to different hours: give the move that is worth more.
        shift, solar = (None, solar) if _worth(solar) >= _worth(shift) else (shift, None)
    advice = [shift, solar, tariff, _peak(result, common)]
    return [piece for piece in advice if piece is not None]


def _worth(advice: EnergyAdvice) -> float:
    return advice.saving_eur_month or 0.0


def _score(eur_month: float) -> float:
    return round(eur_month / (eur_month + 5.0), 4)


def _load_shift(result: MeterInsights, common: dict[str, Any], tariff_advised: bool) -> EnergyAdvice | None:
    """``tariff_advised``: the tariff's own saving is advised beside this one, so this one says it adds."""
    shift = result.insights.load_shift
    if shift is None or shift.saving_eur_per_day is None:
        return None
    monthly = shift.saving_eur_per_day * DAYS_PER_MONTH
    if monthly < MIN_EUR_PER_MONTH:
        return None
    starts = Counter(_local_hour_minute(day.cheapest_start) for day in shift.days)
    (hour, minute), _ = min(starts.items(), key=lambda pair: (-pair[1], pair[0]))
    end_minutes = hour * 60 + minute + round(shift.hours * 60)
    cheap = clock_window(hour, minute, end_minutes // 60 % 24 or 24, end_minutes % 60)
    usual = clock_window(
        shift.usual_local_start.hour,
        shift.usual_local_start.minute,
        shift.usual_local_end.hour or 24,
        shift.usual_local_end.minute,
    )
    text = (
        f"Verschieben Sie Waschmaschine oder Geschirrspüler ({kilowatt_hours(shift.kwh)}) von {usual} "
        f"auf die günstigsten Stunden des Tages, meist {cheap}: mit einem dynamischen Tarif spart das "
        f"etwa {euros(monthly)} im Monat"
        + (", zusätzlich zu dem, was der Tarif selbst spart" if tariff_advised else "")
        + "; bei einem festen Preis spart das Verschieben nichts."
    )
    return EnergyAdvice(
        kind=LOAD_SHIFT,
        title="Flexible Verbraucher in günstige Stunden legen",
        text=text,
        reason=f"weil Ihr Verbrauch meist {usual} anfällt, wenn Strom teurer ist",
        score=_score(monthly),
        saving_eur_month=round(monthly, 2),
        figures={
            "load_kwh": shift.kwh,
            "load_hours": shift.hours,
            "usual_window_local": usual,
            "cheapest_window_local": cheap,
            "days_compared": len(shift.days),
            "saving_eur_per_day": round(shift.saving_eur_per_day, 4),
        },
        **common,
    )


def _pv_self_consumption(result: MeterInsights, common: dict[str, Any], days: float) -> EnergyAdvice | None:
    energy = result.insights.energy
    if energy.production_kwh <= 0 or energy.grid_export_kwh <= 0 or days <= 0:
        return None
    export_month = energy.grid_export_kwh / days * DAYS_PER_MONTH
    shiftable = min(FLEXIBLE_LOAD.kwh * DAYS_PER_MONTH, export_month)
    value_kwh = result.tariffs.flat_eur_kwh - result.tariffs.feed_in_eur_kwh
    monthly = shiftable * value_kwh
    if monthly < MIN_EUR_PER_MONTH:
        return None
    sunny = _sunniest_window(result.insights.production_kw_by_hour, int(FLEXIBLE_LOAD.hours))
    if sunny is None:
        return None
    window = clock_window(sunny, 0, sunny + int(FLEXIBLE_LOAD.hours), 0)
    exported_share = energy.grid_export_kwh / energy.production_kwh
    text = (
        f"Ihre PV-Anlage hat {percent(exported_share)} ihres Stroms ins Netz eingespeist "
        f"({kilowatt_hours(energy.grid_export_kwh)}). Lassen Sie Waschmaschine oder Geschirrspüler in der "
        f"sonnigsten Zeit ({window}) mit eigenem Solarstrom laufen: das spart etwa {euros(monthly)} im Monat."
    )
    return EnergyAdvice(
        kind=PV_SELF_CONSUMPTION,
        title="Mehr eigenen Solarstrom nutzen",
        text=text,
        reason="weil Ihre PV-Anlage viel Strom ins Netz einspeist",
        score=_score(monthly),
        saving_eur_month=round(monthly, 2),
        figures={
            "production_kwh": round(energy.production_kwh, 2),
            "grid_export_kwh": round(energy.grid_export_kwh, 2),
            "self_consumption_share": energy.self_consumption_share,
            "shiftable_kwh_month": round(shiftable, 2),
            "eur_per_kwh_kept": round(value_kwh, 4),
            "sunniest_window_local": window,
        },
        **common,
    )


def _tariff(result: MeterInsights, common: dict[str, Any]) -> EnergyAdvice | None:
    cost = result.insights.cost
    coverage = result.insights.coverage
    priced = min(coverage.priced_intervals, coverage.energy_intervals)
    if cost is None or priced <= 0:
        return None
    covered_days = priced * result.insights.step_s / 86_400
    monthly = cost.saving_eur / covered_days * DAYS_PER_MONTH
    if monthly < MIN_EUR_PER_MONTH:
        return None
    # Luna does not know the customer's tariff: the comparison says which fixed price it assumed, so the
    # overview's costs "bei dynamischem Tarif" and this advice do not read as contradicting each other.
    flat_ct = de_number(result.tariffs.flat_eur_kwh * 100, 1)
    text = (
        f"Ein dynamischer Stromtarif wäre für Ihr Verbrauchsprofil günstiger gewesen als ein fester Preis "
        f"von {flat_ct} ct/kWh: in den betrachteten {covered_days:.0f} Tagen um {euros(cost.saving_eur)}, "
        f"das sind etwa {euros(monthly)} im Monat, ohne etwas zu verschieben."
    )
    return EnergyAdvice(
        kind=TARIFF,
        title="Dynamischen Stromtarif prüfen",
        text=text,
        reason="weil ein dynamischer Tarif bei Ihrem Verbrauchsprofil günstiger gewesen wäre",
        score=_score(monthly),
        saving_eur_month=round(monthly, 2),
        figures={
            "dynamic_eur": round(cost.dynamic_eur, 2),
            "flat_eur": round(cost.flat_eur, 2),
            "covered_days": round(covered_days, 2),
            "flat_eur_kwh": result.tariffs.flat_eur_kwh,
        },
        **common,
    )


def _peak(result: MeterInsights, common: dict[str, Any]) -> EnergyAdvice | None:
    found = result.insights
    peak, intervals = found.peak_interval, found.coverage.energy_intervals
    if peak is None or intervals <= 0:
        return None
    mean_kw = found.energy.consumption_kwh / (intervals * found.step_s / 3600)
    if mean_kw <= 0 or peak.kw < PEAK_MIN_KW or peak.kw < PEAK_FACTOR * mean_kw:
        return None
    local = berlin_wall_clock(np.array([np.datetime64(peak.at.replace(tzinfo=None), "s")]))[0]
    when = local.astype(datetime).strftime("%d.%m. um %H:%M Uhr")
    text = (
        f"Ihr höchster Viertelstundenwert lag bei {kilowatts(peak.kw)} ({when}), das "
        f"{peak.kw / mean_kw:.0f}-Fache Ihres Durchschnitts von {kilowatts(mean_kw)}. Schalten Sie große "
        f"Verbraucher wie Backofen, Waschmaschine und Wasserkocher nacheinander statt gleichzeitig ein."
    )
    return EnergyAdvice(
        kind=PEAK,
        title="Lastspitzen vermeiden",
        text=text,
        reason="weil Ihre Lastspitze weit über Ihrem Durchschnitt liegt",
        score=PEAK_SCORE,
        saving_eur_month=None,
        figures={"peak_kw": round(peak.kw, 3), "peak_at": peak.at, "mean_kw": round(mean_kw, 3)},
        **common,
    )


def _local_hour_minute(instant: datetime) -> tuple[int, int]:
    local = berlin_wall_clock(np.array([np.datetime64(instant.replace(tzinfo=None), "s")]))[0]
    as_datetime: datetime = local.astype(datetime)
    return as_datetime.hour, as_datetime.minute


def _sunniest_window(production_kw_by_hour: Sequence[float | None], hours: int) -> int | None:
    """Local start hour of the ``hours`` consecutive hours with the most mean PV output."""
    values = [value or 0.0 for value in production_kw_by_hour]
    sums = [sum(values[start : start + hours]) for start in range(0, 25 - hours)]
    if not sums or max(sums) <= 0:
        return None
    return max(range(len(sums)), key=lambda start: (sums[start], -start))


# -- advice in Luna's answers ---------------------------------------------------------------------

#: Words that make a question about the asker's own situation (folded, see german_text.fold).
_PERSONAL = frozenset(
    "ich mein meine meinen meinem meiner meines mir mich wir unser unsere unseren unserem unserer uns".split()  # noqa: SIM905 - a word list reads best as text
)
#: Whole words about energy that are too short to match inside other words.
_ENERGY_WORDS = frozenset({"pv", "kwh"})
#: Parts of words about consumption, costs and saving (matched inside compounds: "Stromkosten").
_ENERGY_STEMS = (
    "verbrauch",
    "kost",
    "spar",
    "rechnung",
    "abschlag",
    "tarif",
    "preis",
    "verschieb",
    "einspeis",
    "spitze",
    "zahler",
    "gunstig",
    "billig",
    "teuer",
    "senk",
    "waschmaschine",
    "geschirrspul",
    "solar",
    "photovoltaik",
)


def wants_energy_advice(question: str) -> bool:
    """A question about the asker's own consumption, costs or saving: a personal word ("ich", "mein",
    "wir" …) and a consumption/cost word ("Verbrauch", "Stromkosten", "sparen" …)."""
    tokens = [part for token in surface_tokens(question) for part in token.split("-")]
    personal = any(token in _PERSONAL for token in tokens)
    about_energy = any(
        token in _ENERGY_WORDS or any(stem in token for stem in _ENERGY_STEMS) for token in tokens
    )
    return personal and about_energy


def answer_section(advice: Sequence[EnergyAdvice]) -> str:
    """The "Handlungsempfehlung" Luna appends to an answer (empty without advice)."""
    if not advice:
        return ""
    lines = "\n".join(f"- {piece.text}" for piece in advice)
    return f"\n\nHandlungsempfehlung aus Ihren Zählerdaten:\n{lines}"
