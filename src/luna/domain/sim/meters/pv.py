"""Layer 4, PV: solar geometry for the module's tilt and azimuth, clear-sky irradiance, clouds."""

from __future__ import annotations

import math

import numpy as np

from luna.domain.sim.meters.spec import (
    DAY_S,
    MINUTE_S,
    QUARTER_S,
    S_METER,
    S_PV_FLICKER,
    Floats,
    Ints,
    MeterSpec,
)
from luna.domain.sim.weather import (
    LATITUDE_DEG,
    LONGITUDE_DEG,
    smooth_noise,
    uniform,
    weather_for_periods,
)

_PERFORMANCE_RATIO = 0.82  # all losses, temperature included
_YEAR_DAYS = 365.2425
_YEAR_ZERO_DAY = 10_957.0  # 2000-01-01: the fractional year's origin
_ALBEDO = 0.2


def pv_kw(spec: MeterSpec, seconds: Ints, step_s: int, cloud_cover: Floats | None) -> Floats:
    """Mean PV output of each interval, evaluated at its midpoint."""
    middle = seconds + step_s // 2
    if cloud_cover is None:
        cloud_cover = _own_cloud_cover(spec.seed, middle)
    cloud = np.clip(np.asarray(cloud_cover, dtype=np.float64), 0.0, 1.0)
    constants = uniform(spec.seed, S_METER + 6, np.arange(2, dtype=np.int64))
    tilt = math.radians(20.0 + 20.0 * float(constants[0]))
    azimuth = math.radians(140.0 + 80.0 * float(constants[1]))
    knots = 300 * np.arange(int(middle.min()) // 300, int(middle.max()) // 300 + 2, dtype=np.int64)
    zenith_knots, incidence_knots = _sun(knots, tilt, azimuth)  # smooth: 5-minute knots suffice
    cos_zenith = np.interp(middle, knots, zenith_knots)
    cos_incidence = np.interp(middle, knots, incidence_knots)
    up = cos_zenith > 0.01
    mu = np.where(up, cos_zenith, 1.0)
    zenith_deg = np.degrees(np.arccos(mu))
    air_mass = 1.0 / (mu + 0.50572 * (96.07995 - zenith_deg) ** -1.6364)
    ghi = np.where(up, 1098.0 * mu * np.exp(-0.057 / mu) * (1.0 - 0.75 * cloud**3.4), 0.0)
    flicker = smooth_noise(middle, spec.seed, S_PV_FLICKER, 120, 1.0)
    beam_share = (1.0 - cloud) * (1.0 + cloud * np.tanh(1.5 * flicker))  # mean 1 − c, within 0…1
    dni = np.where(up, 1353.0 * 0.7 ** (air_mass**0.678) * beam_share, 0.0)
    beam_horizontal = np.minimum(dni * mu, ghi)
    diffuse = ghi - beam_horizontal
    poa = (
        beam_horizontal / mu * np.maximum(cos_incidence, 0.0)
        + diffuse * (1.0 + math.cos(tilt)) / 2.0
        + ghi * _ALBEDO * (1.0 - math.cos(tilt)) / 2.0
    )
    power: Floats = np.clip(spec.pv_kwp * _PERFORMANCE_RATIO * poa / 1000.0, 0.0, spec.pv_kwp)
    return power


def _own_cloud_cover(seed: int, seconds: Ints) -> Floats:
    """Cloud cover from ``weather.py``'s process under the meter's seed.

    Evaluated at absolute quarter hours and interpolated: the field is smooth on that scale, and a
    1-minute series then costs a fifteenth of the weather model.
    """
    first, last = int(seconds.min()) // QUARTER_S, int(seconds.max()) // QUARTER_S + 1
    knots = QUARTER_S * np.arange(first, last + 1, dtype=np.int64)
    half = np.full(knots.size, QUARTER_S, dtype=np.int64)
    cloud = weather_for_periods((knots - QUARTER_S // 2).astype("datetime64[s]"), half, seed).cloud_cover
    return np.interp(seconds, knots, cloud)


def _sun(seconds: Ints, tilt: float, azimuth: float) -> tuple[Floats, Floats]:
    """Cosines of the solar zenith angle and of the incidence on a module (tilt, azimuth from north).

    Declination and equation of time after NOAA's version of Spencer's series, with the fractional
    year taken on the mean Gregorian year (within a day of the calendar's: negligible here).
    """
    days = seconds / DAY_S
    gamma = 2.0 * np.pi * np.mod(days - _YEAR_ZERO_DAY, _YEAR_DAYS) / _YEAR_DAYS
    cos1, sin1 = np.cos(gamma), np.sin(gamma)
    cos2, sin2 = 2.0 * cos1 * cos1 - 1.0, 2.0 * sin1 * cos1
    cos3, sin3 = cos1 * cos2 - sin1 * sin2, sin1 * cos2 + cos1 * sin2
    equation_of_time = 229.18 * (
        0.000075 + 0.001868 * cos1 - 0.032077 * sin1 - 0.014615 * cos2 - 0.040849 * sin2
    )
    declination = (
        0.006918
        - 0.399912 * cos1
        + 0.070257 * sin1
        - 0.006758 * cos2
        + 0.000907 * sin2
        - 0.002697 * cos3
        + 0.00148 * sin3
    )
    minutes = (seconds % DAY_S) / MINUTE_S
    hour_angle = np.radians((minutes + equation_of_time + 4.0 * LONGITUDE_DEG) / 4.0 - 180.0)
    lat = math.radians(LATITUDE_DEG)
    cos_dec, sin_dec, cos_hour = np.cos(declination), np.sin(declination), np.cos(hour_angle)
    east = -cos_dec * np.sin(hour_angle)
    north = math.cos(lat) * sin_dec - math.sin(lat) * cos_dec * cos_hour
    up = math.sin(lat) * sin_dec + math.cos(lat) * cos_dec * cos_hour
    incidence = (
        east * math.sin(tilt) * math.sin(azimuth)
        + north * math.sin(tilt) * math.cos(azimuth)
        + up * math.cos(tilt)
    )
    return up, incidence
