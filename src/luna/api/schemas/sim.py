"""``/api/v1/sim``: starting and stopping the live simulation, and what it has written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from luna.api.schemas.jobs import JobOut
from luna.services.energy.simulation import MAX_METERS, MAX_SEED
from luna.services.energy.simulation_control import SimulationStatus


class SimRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["start", "stop"] = Field(description="`start` queues the live loops, `stop` ends them")
    # Strict: JSON true or "3" is a mistake in the request, not a fleet of one or three meters.
    meters: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        le=MAX_METERS,
        description="Meters of the fleet (start only; default sim.meters)",
    )
    seed: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        le=MAX_SEED,
        description="Seed of fleet, weather, prices (start only; sim.seed)",
    )

    @model_validator(mode="after")
    def _start_options(self) -> SimRun:
        if self.action == "stop" and (self.meters is not None or self.seed is not None):
            raise ValueError("meters and seed apply to action start only")
        return self


class SimStatusOut(BaseModel):
    live: JobOut | None = Field(description="The live simulation's job while it is queued or running")
    meters: int = Field(description="Meters in the store (simulated and fed)")
    readings: int = Field(description="Stored smart-meter readings")
    prices: int = Field(description="Stored market-price rows (every market label and product)")
    newest_reading: datetime | None = Field(description="Start of the newest stored reading, UTC")

    @classmethod
    def from_status(cls, status: SimulationStatus) -> SimStatusOut:
        return cls(
            live=JobOut.from_job(status.live) if status.live is not None else None,
            meters=status.meters,
            readings=status.readings,
            prices=status.prices,
            newest_reading=_utc(status.newest_reading),
        )


def _utc(moment: datetime | None) -> datetime | None:
    """Timestamps leave the API in UTC; a naive one from the store already is UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
