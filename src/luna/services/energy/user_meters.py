"""Operators link customers to their meters; energy advice (``/recommend``, Luna's answers) follows.

Setting the links creates the customer's record when they have not signed in yet: linking the meter
is part of onboarding and usually comes first. Reading or removing links of a user Luna has never
seen is a 404, so a mistyped ID does not look like a customer without meters.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from luna.domain.energy import MeterInfo
from luna.domain.errors import InvalidInput, NotFound
from luna.domain.scores import AuditEntry
from luna.ports.energy import EnergyStore
from luna.ports.sql import Database, UnitOfWork

MAX_METERS_PER_USER = 100
#: The audit action of a change to a customer's meter links; its target is ``user:<id>``.
METER_LINKS_ACTION = "meters.links"


@dataclass(frozen=True, slots=True)
class MeterLinks:
    user_id: str
    meters: list[MeterInfo]

    @property
    def meter_ids(self) -> list[str]:
        return [meter.meter_id for meter in self.meters]


class MeterLinkService:
    def __init__(self, database: Database, energy: EnergyStore) -> None:
        self._database = database
        self._energy = energy

    def replace(self, user_id: str, meter_ids: Sequence[str], actor: str = "admin") -> MeterLinks:
        """Link exactly ``meter_ids`` (an empty list unlinks all); an unknown meter changes nothing.

        Links decide whose readings a customer may read, so every change is audited (who, which).
        """
        wanted = sorted(set(meter_ids))
        if len(wanted) > MAX_METERS_PER_USER:
            raise InvalidInput(f"A customer can have at most {MAX_METERS_PER_USER} meters.")
        with self._database.unit_of_work() as uow:
            uow.users.get_or_create(user_id)
            current = uow.user_meters.meters_for(user_id)
            dropped = [meter for meter in current if meter not in wanted]
            uow.user_meters.link(user_id, wanted)
            uow.user_meters.unlink(user_id, dropped)
            added = [meter for meter in wanted if meter not in current]
            uow.audit.add(_links_entry(actor, user_id, added, dropped))
            uow.commit()
        return self.links(user_id)

    def links(self, user_id: str) -> MeterLinks:
        with self._database.unit_of_work(read_only=True) as uow:
            _require_user(uow, user_id)
            meter_ids = uow.user_meters.meters_for(user_id)
        return MeterLinks(user_id, self._meters(meter_ids))

    def unlink(self, user_id: str, meter_id: str, actor: str = "admin") -> MeterLinks:
        with self._database.unit_of_work() as uow:
            _require_user(uow, user_id)
            if uow.user_meters.unlink(user_id, [meter_id]) == 0:
                raise NotFound(f"Meter {meter_id!r} is not linked to user {user_id}.")
            uow.audit.add(_links_entry(actor, user_id, [], [meter_id]))
            uow.commit()
        return self.links(user_id)

    def _meters(self, meter_ids: Sequence[str]) -> list[MeterInfo]:
        """The linked meters as the store knows them (a meter deleted meanwhile takes its link along)."""
        found = (self._energy.get_meter(meter_id) for meter_id in meter_ids)
        return [meter for meter in found if meter is not None]


class MeterAccess:
    """Who may read which meter: operators every meter, a customer only the meters linked to them.

    One rule for the data API, the insights and the dashboards. A meter a customer may not read is
    answered as unknown (404), so its existence is not revealed either.
    """

    def __init__(self, database: Database, energy: EnergyStore) -> None:
        self._database = database
        self._energy = energy

    def linked_meters(self, user_id: str) -> list[MeterInfo]:
        """The customer's meters as the store knows them (none for a user Luna has not seen)."""
        with self._database.unit_of_work(read_only=True) as uow:
            meter_ids = uow.user_meters.meters_for(user_id)
        found = (self._energy.get_meter(meter_id) for meter_id in meter_ids)
        return [meter for meter in found if meter is not None]

    def require(self, user_id: str | None, meter_id: str) -> None:
        """Pass for operators (``user_id`` None) and for the customer's own meters; else 404."""
        if user_id is None:
            return
        with self._database.unit_of_work(read_only=True) as uow:
            linked = meter_id in uow.user_meters.meters_for(user_id)
        if not linked:
            raise NotFound(f"No meter {meter_id!r} among your meters; GET /api/v1/data/meters lists them.")


def _links_entry(actor: str, user_id: str, linked: list[str], unlinked: list[str]) -> AuditEntry:
    return AuditEntry(
        audit_id=str(uuid.uuid4()),
        ts=datetime.now(UTC),
        actor=actor,
        action=METER_LINKS_ACTION,
        target=f"user:{user_id}",
        details={"linked": linked, "unlinked": unlinked},
    )


def _require_user(uow: UnitOfWork, user_id: str) -> None:
    if uow.users.get(user_id) is None:
        raise NotFound(f"No user {user_id}.")
