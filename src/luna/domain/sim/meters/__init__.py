"""Smart-meter simulator: one household, business or farm connection at 1-minute (or coarser) steps.

A meter is not a standard load profile (DESIGN.md §5). Its series is built in layers:

1. **Envelope.** The BDEW 2025 standard load profile of its type (H25 household with the BDEW
   dynamisation polynomial, G25 commercial, L25 agriculture; the successors of H0/G0/L0), read from
   the ``demandlib`` package: quarter-hour values per month and day type (working day, Saturday,
   Sunday/holiday; German national holidays, 24 and 31 December count as Saturdays) on the
   Europe/Berlin clock, normalised so that every UTC calendar year integrates to ``annual_kwh``.
2. **Routine.** A single home keeps its own hours: the envelope is read through a time warp (morning
   and evening activity earlier or later by ``morning_shift_h`` / ``evening_shift_h``) and, on working
   days, daytime use is lowered to ``daytime_presence`` when nobody is home. Both only move energy
   within a day.
3. **Appliances.** Each day's energy is split into switched appliances (kettle, microwave, hob, oven,
   washing machine, dishwasher, dryer, hot-water boiler, fan heater in winter …: rectangular pulses
   with thermostat cycling, started at fractional minutes, more often when the envelope is high and
   clustered by a smooth "someone is home and busy" activity field), fridge compressor cycles and a
   smooth base load (standby, lighting, TV/PC) that rises with the same activity. Events are drawn
   until the day's appliance budget (45 % of a 3,500 kWh/a home's energy, less for bigger homes whose
   extra is continuous load) is used; the base load takes exactly the rest, so the layer
   redistributes energy and never adds any: each simulation day's energy is the envelope's times a
   random day factor whose mean over every 7-day group is one. Businesses and farms use generic
   machines sized to their mean power.
4. **PV** (optional): solar geometry for the module's own tilt and azimuth at 51° N 10° E, Haurwitz
   clear-sky global and Meinel beam irradiance as in ``weather.py``, clouds from ``cloud_cover``
   (Kasten–Czeplak) or, without it, from ``weather.py``'s process under the meter's own seed, a fast
   beam flicker for broken clouds, performance ratio 0.82: about 970 kWh/kWp/a on average, ±10 % with
   the weather year.
5. **Voltage** around 230 V: a per-meter feeder level (228–236 V), the feeder sagging with the
   population's load (H25 shape), slow noise and the meter's own sag (or rise when exporting)
   proportional to its net power (at most 8 V). It stays within EN 50160's ±10 % by construction.
6. **Quality and register.** Rare missing runs (values and register NaN, the register jumps by the
   gap's energy afterwards), rare estimated runs (consumption replaced by the run's mean, as a meter
   data system substitutes register differences; the register stays exact) and very rare counter
   resets (the register restarts at zero; flagged in ``register_reset``).

Determinism without history: randomness comes from a counter-based hash of ``(seed, stream, index)``
(``weather.uniform``) where the index is the absolute simulation day, event slot or minute. A
simulation day (a "block") runs from 02:00 to 02:00 UTC (03:00/04:00 local, the quietest time, so
appliance cycles are kept inside their block). The cumulative register has a closed form: the
envelope's cumulative energy since 2000-01-01 plus the day factors of the current 7-day group. So a
sub-range computed alone equals the slice of a longer run, and a live loop can produce one interval.

Sign convention: ``consumption_kw`` (the household's load) and ``production_kw`` (PV) are both ≥ 0, as in
the ``smart_meter_readings`` table; ``power_kw`` is the net grid power, import positive, export negative.
"""

from luna.domain.sim.meters.envelope import envelope_kw
from luna.domain.sim.meters.population import draw_meters
from luna.domain.sim.meters.simulate import simulate_meter
from luna.domain.sim.meters.spec import (
    METER_TYPES,
    NO_FAULTS,
    QUALITY_ESTIMATED,
    QUALITY_MISSING,
    QUALITY_OK,
    FaultRates,
    MeterSeries,
    MeterSpec,
    MeterType,
)

__all__ = [
    "METER_TYPES",
    "NO_FAULTS",
    "QUALITY_ESTIMATED",
    "QUALITY_MISSING",
    "QUALITY_OK",
    "FaultRates",
    "MeterSeries",
    "MeterSpec",
    "MeterType",
    "draw_meters",
    "envelope_kw",
    "simulate_meter",
]
