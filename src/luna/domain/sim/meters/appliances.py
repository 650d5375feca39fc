"""Layers 2 and 3, routine and appliances: each simulation day's energy as switched appliances,
compressor cycles and a base load that takes exactly the rest."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from luna.domain.sim.meters.envelope import (
    block_energy,
    day_types,
    envelope_at,
)
from luna.domain.sim.meters.spec import (
    BLOCK_MIN,
    BLOCK_OFFSET_S,
    DAY_S,
    HOUR_S,
    MINUTE_S,
    S_ACTIVITY,
    S_BASE_JITTER,
    S_BASE_SLOW,
    S_EVENT,
    S_FRIDGE,
    S_METER,
    WT,
    Floats,
    Ints,
    MeterSpec,
    MeterType,
)
from luna.domain.sim.price_stats import berlin_offset_seconds
from luna.domain.sim.weather import (
    seasonal_phase,
    smooth_noise,
    standard_normal,
    uniform,
)


@dataclass(frozen=True)
class _Appliance:
    """An event type. Power in kW (in units of the meter's mean power for businesses), times in
    minutes. Shape: a background draw for the whole duration, a main pulse of ``first`` minutes
    after ``offset``, then thermostat cycles (period ``cycle``, on-fraction ``duty``) to the end."""

    share: float
    power: tuple[float, float]
    duration: tuple[float, float]
    background: tuple[float, float] = (0.0, 0.0)
    offset: tuple[float, float] = (0.0, 0.0)
    first: tuple[float, float] = (1e9, 1e9)
    cycle: tuple[float, float] = (0.0, 0.0)
    duty: tuple[float, float] = (0.0, 0.0)
    winter_only: bool = False


_HOUSEHOLD = (
    _Appliance(0.07, (1.8, 2.4), (2, 5)),  # kettle
    _Appliance(0.05, (0.8, 1.3), (1, 8)),  # microwave, toaster, coffee machine
    _Appliance(0.15, (0.6, 1.8), (10, 45), (0.4, 1.2), first=(3, 8)),  # hob: boil, then simmer
    _Appliance(
        0.10, (2.0, 3.0), (30, 90), (0.02, 0.05), first=(8, 15), cycle=(6, 12), duty=(0.3, 0.5)
    ),  # oven
    _Appliance(0.11, (1.8, 2.3), (60, 120), (0.1, 0.3), (3, 6), (10, 20)),  # washing machine
    _Appliance(0.10, (1.8, 2.2), (90, 150), (0.05, 0.1), (5, 10), (15, 25)),  # dishwasher
    _Appliance(0.08, (2.0, 2.6), (60, 120), (0.2, 0.3), (1, 3), (10, 20), (8, 15), (0.6, 0.85)),  # dryer
    _Appliance(0.06, (1.0, 2.0), (5, 25)),  # hair dryer, vacuum cleaner, iron
    _Appliance(0.12, (2.0, 3.0), (15, 60)),  # hot-water boiler reheating
    _Appliance(
        0.16, (1.0, 2.0), (60, 180), first=(10, 30), cycle=(15, 30), duty=(0.4, 0.8), winter_only=True
    ),  # fan heater
)
_BUSINESS = (
    _Appliance(0.6, (0.5, 2.0), (20, 240), (0.05, 0.2), first=(5, 30), cycle=(6, 15), duty=(0.3, 0.8)),
    _Appliance(0.4, (0.3, 1.0), (2, 30)),
)


@dataclass(frozen=True)
class _Layer:
    appliances: tuple[_Appliance, ...]
    share: float  # of each day's energy drawn as appliance events
    relative_power: bool  # appliance power in units of the meter's mean power
    slots: int  # event slots per day (upper bound on events)
    fridge_share: float  # cap of the fridge/compressor cycles' share of the mean power


_LAYERS: dict[MeterType, _Layer] = {
    "household": _Layer(_HOUSEHOLD, 0.45, False, 160, 0.12),
    "commercial": _Layer(_BUSINESS, 0.35, True, 64, 0.15),
    "agriculture": _Layer(_BUSINESS, 0.35, True, 64, 0.15),
}
_START_SHARPNESS = 1.5  # events start with density ∝ envelope^1.5: fewer at night than the mean
_MAX_CYCLES = 48
# Occupants' activity: a smooth field (about an hour's correlation) that clusters appliance starts and
# lifts the base load together, as when someone is home and busy; plus 20-minute base-load noise.
_ACTIVITY_KNOT_S, _ACTIVITY_WIDTH = 1800, 2.0
_ACTIVITY_EVENTS, _ACTIVITY_BASE, _SLOW_BASE = 0.3, 0.3, 0.2
_FIELDS = ("kind", "power", "duration", "background", "offset", "first", "cycle", "duty", "start")


def consumption_minutes(spec: MeterSpec, blocks: Ints) -> tuple[Floats, Floats]:
    """Minute-mean consumption (kW) over whole blocks, and the cumulative kWh before each block."""
    energy, cumulative = block_energy(spec, blocks)
    seconds = (blocks * DAY_S + BLOCK_OFFSET_S)[:, None] + MINUTE_S * np.arange(BLOCK_MIN, dtype=np.int64)
    shape = _routine_shape(spec, seconds)
    target = energy * 60.0  # kW·min per block
    mean_kw = shape * (target / shape.sum(axis=1))[:, None]
    layer = _LAYERS[spec.type]
    flat = seconds.ravel()
    activity = smooth_noise(flat, spec.seed, S_ACTIVITY, _ACTIVITY_KNOT_S, _ACTIVITY_WIDTH).reshape(
        seconds.shape
    )
    expected = mean_kw**_START_SHARPNESS
    expected /= expected.sum(axis=1, keepdims=True)
    density = expected * np.exp(_ACTIVITY_EVENTS * activity)
    density /= density.sum(axis=1, keepdims=True)
    budget = _event_share(spec, layer) * target
    events = _render(*_events(spec, layer, blocks, density, budget), blocks.size)
    fridge = _render(*_fridge(spec, layer, blocks), blocks.size)
    fridge_mean = fridge.mean(axis=1, keepdims=True)
    base_shape = np.maximum(mean_kw - budget[:, None] * expected - fridge_mean, 0.15 * mean_kw)
    slow = smooth_noise(flat, spec.seed, S_BASE_SLOW, 600, 2.0).reshape(seconds.shape)
    jitter = standard_normal(spec.seed, S_BASE_JITTER, flat // MINUTE_S).reshape(seconds.shape)
    base_shape = (
        base_shape
        * np.exp(_ACTIVITY_BASE * activity + _SLOW_BASE * slow)
        * np.clip(1.0 + 0.03 * jitter, 0.9, 1.1)
    )
    base_energy = np.maximum(target - events.sum(axis=1) - fridge.sum(axis=1), 0.0)
    base = base_shape * (base_energy / base_shape.sum(axis=1))[:, None]
    return (base + events + fridge).ravel(), cumulative


def _event_share(spec: MeterSpec, layer: _Layer) -> float:
    """Share of the energy in switched appliances. Homes far above the typical 3,500 kWh/a owe the
    extra mostly to continuous loads (heating, hot water, pumps), so their share shrinks."""
    if layer.relative_power:
        return layer.share
    return layer.share * min(1.0, float((3_500.0 / spec.annual_kwh) ** 0.35))


# Envelope hours onto which the routine maps the home's 03:00, 07:00 + morning shift, 18:00 + evening
# shift, 23:00 and the next 03:00 (piecewise linear in between).
_ANCHORS = [3.0, 7.0, 18.0, 23.0, 27.0]


def _routine_shape(spec: MeterSpec, seconds: Ints) -> Floats:
    """The envelope read through the meter's routine: warped clock and daytime absence."""
    local = seconds + berlin_offset_seconds(seconds.astype("datetime64[s]"))
    hour = (local % DAY_S) / HOUR_S
    clock = np.where(hour < 3.0, hour + 24.0, hour)
    warped = np.interp(
        clock, [3.0, 7.0 + spec.morning_shift_h, 18.0 + spec.evening_shift_h, 23.0, 27.0], _ANCHORS
    )
    shifted = seconds + np.rint((warped - clock) * HOUR_S).astype(np.int64)
    shape = envelope_at(spec.type, shifted.ravel()).reshape(seconds.shape)
    if spec.daytime_presence < 1.0:
        away = np.interp(hour, [8.5, 9.5, 17.0, 18.0], [0.0, 1.0, 1.0, 0.0])
        working_day = day_types(local // DAY_S) == WT
        shape = shape * (1.0 - (1.0 - spec.daytime_presence) * away * working_day)
    return shape


def _events(
    spec: MeterSpec, layer: _Layer, blocks: Ints, density: Floats, budget: Floats
) -> tuple[Ints, Floats, Floats, Floats]:
    """Pulses (block row, start minute, end minute, kW) of the appliance events of each block.

    Slot ``j`` of block ``b`` draws its fields from the hash at ``b · slots + j``; events are kept
    while the block's cumulative event energy stays within ``budget`` (kW·min).
    """
    apps = layer.appliances
    slots = layer.slots
    counter = (blocks[:, None] * slots + np.arange(slots, dtype=np.int64)).ravel()
    u = {name: uniform(spec.seed, S_EVENT + i, counter).reshape(-1, slots) for i, name in enumerate(_FIELDS)}
    winter = (1.0 + seasonal_phase(blocks * DAY_S + DAY_S // 2)) / 2.0
    shares = np.array([[a.share * (w if a.winter_only else 1.0) for a in apps] for w in winter])
    expected = np.array([_expected_kw_min(a) for a in apps])
    probability = shares / expected
    cdf = np.cumsum(probability / probability.sum(axis=1, keepdims=True), axis=1)
    kind = np.minimum((u["kind"][:, :, None] > cdf[:, None, :]).sum(axis=2), len(apps) - 1)

    def field(name: str) -> Floats:
        low = np.array([getattr(a, name)[0] for a in apps])[kind]
        high = np.array([getattr(a, name)[1] for a in apps])[kind]
        result: Floats = low + (high - low) * u[name]
        return result

    scale = spec.annual_kwh / 8766.0 if layer.relative_power else 1.0
    power, background = field("power") * scale, field("background") * scale
    duration = field("duration")
    offset = np.minimum(field("offset"), duration)
    first = np.minimum(field("first"), duration - offset)
    cycle, duty = field("cycle"), field("duty")
    energy = background * duration + power * (
        first + _cycling_minutes(duration - offset - first, cycle, duty)
    )
    rows = np.broadcast_to(np.arange(blocks.size, dtype=np.int64)[:, None], energy.shape)
    begin = _inverse_cdf(density, rows, u["start"]) - duration / 2.0
    fits = (begin >= 0.0) & (begin + duration <= BLOCK_MIN)  # the rest would leave the block
    keep = fits & (np.cumsum(np.where(fits, energy, 0.0), axis=1) <= budget[:, None])
    row = rows[keep]
    power, background, duration = power[keep], background[keep], duration[keep]
    offset, first, cycle, duty = offset[keep], first[keep], cycle[keep], duty[keep]
    origin = begin[keep]
    cycle_start = (origin + offset + first)[:, None] + cycle[:, None] * np.arange(_MAX_CYCLES)
    cycle_end = np.minimum(cycle_start + (duty * cycle)[:, None], (origin + duration)[:, None])
    cycling = (cycle > 0)[:, None] & (cycle_start < cycle_end)
    begins = np.concatenate([origin, origin + offset, cycle_start[cycling]])
    ends = np.concatenate([origin + duration, origin + offset + first, cycle_end[cycling]])
    watts = np.concatenate([background, power, np.broadcast_to(power[:, None], cycling.shape)[cycling]])
    rows = np.concatenate([row, row, np.broadcast_to(row[:, None], cycling.shape)[cycling]])
    chosen = (watts > 0) & (ends > begins)
    return rows[chosen], begins[chosen], ends[chosen], watts[chosen]


def _cycling_minutes(region: Floats, cycle: Floats, duty: Floats) -> Floats:
    """On-minutes of thermostat cycles (period ``cycle``, on-fraction ``duty``) filling ``region``."""
    period = np.where(cycle > 0, cycle, 1.0)
    full = np.minimum(np.floor(region / period), _MAX_CYCLES)
    partial = np.where(full < _MAX_CYCLES, np.minimum(region - full * period, duty * period), 0.0)
    return np.where(cycle > 0, full * duty * period + partial, 0.0)


def _expected_kw_min(appliance: _Appliance) -> float:
    """Rough mean energy of one event (kW·min at unit scale): turns energy shares into frequencies."""
    mid = {name: sum(getattr(appliance, name)) / 2 for name in _FIELDS[1:-1]}
    duration = mid["duration"]
    first = min(mid["first"], duration - mid["offset"])
    cycling = (duration - mid["offset"] - first) * mid["duty"] if mid["cycle"] > 0 else 0.0
    return max(float(mid["background"] * duration + mid["power"] * (first + cycling)), 1e-6)


def _inverse_cdf(density: Floats, row: Ints, u: Floats) -> Floats:
    """Fractional minutes drawn from the per-minute ``density`` of block ``row`` (rows sum to one).

    A vectorised binary search within each row (not one search over concatenated rows, whose
    offsets would round differently depending on a block's position in the batch).
    """
    minutes = density.shape[1]
    cdf = np.cumsum(density, axis=1)
    cdf[:, -1] = 1.0
    low = np.zeros(u.shape, dtype=np.int64)
    high = np.full(u.shape, minutes - 1, dtype=np.int64)
    for _ in range(math.ceil(math.log2(minutes))):
        middle = (low + high) // 2
        right = cdf[row, middle] <= u
        low, high = np.where(right, middle + 1, low), np.where(right, high, middle)
    upper = cdf[row, low]
    lower = np.where(low > 0, cdf[row, np.maximum(low - 1, 0)], 0.0)
    fraction = np.clip((u - lower) / np.maximum(upper - lower, 1e-12), 0.0, 1.0)
    return low.astype(np.float64) + fraction


def _fridge(spec: MeterSpec, layer: _Layer, blocks: Ints) -> tuple[Ints, Floats, Floats, Floats]:
    """Compressor cycles (fridge, freezer; cold stores for businesses): per-meter power, period and
    duty, capped at ``fridge_share`` of the mean power; a fresh phase every block."""
    constants = uniform(spec.seed, S_METER + 3, np.arange(3, dtype=np.int64))
    period = 40.0 + 30.0 * float(constants[1])
    duty = 0.3 + 0.15 * float(constants[2])
    largest = layer.fridge_share * spec.annual_kwh / 8766.0 / duty  # cap on the cycles' mean share
    power = largest if layer.relative_power else min(0.07 + 0.06 * float(constants[0]), largest)
    phase = uniform(spec.seed, S_FRIDGE, blocks) * period
    cycles = math.ceil(BLOCK_MIN / period) + 1
    begins = (phase - period)[:, None] + period * np.arange(cycles)
    ends = begins + duty * period
    begins, ends = np.clip(begins, 0.0, BLOCK_MIN), np.clip(ends, 0.0, BLOCK_MIN)
    rows = np.broadcast_to(np.arange(blocks.size, dtype=np.int64)[:, None], begins.shape)
    chosen = ends > begins
    return rows[chosen], begins[chosen], ends[chosen], np.full(int(chosen.sum()), power)


def _render(rows: Ints, begins: Floats, ends: Floats, power: Floats, blocks: int) -> Floats:
    """Mean kW per minute of rectangular pulses with fractional edges, as a (blocks, 1440) array.

    Pulses are given per block ``rows`` in minutes from the block start. Each edge changes the slope
    of the cumulative energy; minute ``i`` gets the full change of every edge before it and the
    part ``(i + 1 − x)`` of an edge at ``x`` inside it. Blocks are summed separately, so a block's
    values do not depend on which other blocks are rendered with it.
    """
    width = BLOCK_MIN + 2
    row = np.concatenate([rows, rows]) * width
    edges = np.concatenate([begins, ends])
    change = np.concatenate([power, -power])
    whole = np.floor(edges).astype(np.int64)
    slope = np.bincount(row + whole + 1, weights=change, minlength=blocks * width)
    after = np.cumsum(slope.reshape(blocks, width), axis=1)
    part = np.bincount(row + whole, weights=change * (whole + 1 - edges), minlength=blocks * width)
    total = after + part.reshape(blocks, width)
    rendered: Floats = np.maximum(total[:, :BLOCK_MIN], 0.0)
    return rendered
