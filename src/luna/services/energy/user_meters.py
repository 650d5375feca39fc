"""Operators link customers to their meters; energy advice (``/recommend``, Luna's answers) follows.

Setting the links creates the customer's record when they have not signed in yet: linking the meter
is part of onboarding and usually comes first. Customers add a meter themselves with the claim code on
their bill (:meth:`MeterLinkService.claim`, codes in :mod:`luna.services.energy.meter_claims`) and
remove their own links. Reading or removing links of a user Luna has never seen is a 404, so a
mistyped ID does not look like a customer without meters.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from luna.domain.energy import MeterInfo
from luna.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from luna.domain.scores import AuditEntry
from luna.ports.energy import EnergyStore
from luna.ports.sql import Database, UnitOfWork
from luna.services.energy.meter_claims import VIA_CLAIM_CODE, ClaimCodes, refused

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
    """Operators set a customer's links; customers add a meter with its claim code (``claims``: the
    key and the bound on attempts; without them claiming is unavailable) and remove their own."""

    def __init__(self, database: Database, energy: EnergyStore, claims: ClaimCodes | None = None) -> None:
        self._database = database
        self._energy = energy
        self._claims = claims

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

    def add(self, user_id: str, meter_id: str, actor: str, via: str | None = None) -> MeterLinks:
        """Link one more meter; the others stay, and a meter already linked changes nothing.

        A customer holds at most :data:`MAX_METERS_PER_USER` meters (409 beyond); ``via`` names how
        the link came about in the audit entry (``claim_code``).
        """
        with self._database.unit_of_work() as uow:
            uow.users.get_or_create(user_id)
            current = uow.user_meters.meters_for(user_id)
            if meter_id not in current:
                if len(current) >= MAX_METERS_PER_USER:
                    raise Conflict(
                        f"You already have {MAX_METERS_PER_USER} meters, the most a customer can have; "
                        "unlink one first.",
                        details={"max_meters": MAX_METERS_PER_USER},
                    )
                uow.user_meters.link(user_id, [meter_id])
                uow.audit.add(_links_entry(actor, user_id, [meter_id], [], via))
            uow.commit()
        return self.links(user_id)

    def claim(self, user_id: str, meter_id: str, code: str) -> MeterLinks:
        """The customer links ``meter_id`` with the claim code on their bill; their other links stay.

        A wrong code and an unknown meter are the same refusal; every attempt counts against the
        customer's allowance (429 beyond). Audited with the customer as actor and ``via: claim_code``.
        """
        claims = self._require_claims()
        claims.admit(user_id)
        claims.check(user_id, meter_id, code, meter_known=self._energy.get_meter(meter_id) is not None)
        try:
            return self.add(user_id, meter_id, actor=f"user:{user_id}", via=VIA_CLAIM_CODE)
        except NotFound:  # the meter was deleted between the check and the link
            raise refused() from None

    def claim_code(self, meter_id: str) -> str:
        """The meter's claim code (``ABCD-EFGH``) for the operator to print or send; 404 for no such meter."""
        claims = self._require_claims()
        if self._energy.get_meter(meter_id) is None:
            raise NotFound(f"No meter with id {meter_id!r}; GET /api/v1/data/meters lists them.")
        return claims.code_for(meter_id)

    def links(self, user_id: str) -> MeterLinks:
        with self._database.unit_of_work(read_only=True) as uow:
            _require_user(uow, user_id)
            meter_ids = uow.user_meters.meters_for(user_id)
        return MeterLinks(user_id, self._meters(meter_ids))

    def unlink(self, user_id: str, meter_id: str, actor: str = "admin") -> MeterLinks:
        with self._database.unit_of_work() as uow:
            _require_user(uow, user_id)
            if uow.user_meters.unlink(user_id, [meter_id]) == 0:
                raise NotFound(f"Meter {meter_id!r} is not linked to user {user_id!r}.")
            uow.audit.add(_links_entry(actor, user_id, [], [meter_id]))
            uow.commit()
        return self.links(user_id)

    def _require_claims(self) -> ClaimCodes:
        if self._claims is None:
            raise Unavailable("Claim codes are not set up in this process.")
        return self._claims

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
            raise NotFound(
                f"No meter with id {meter_id!r} among your meters; GET /api/v1/data/meters lists them."
            )


def _links_entry(
    actor: str, user_id: str, linked: list[str], unlinked: list[str], via: str | None = None
) -> AuditEntry:
    details: dict[str, object] = {"linked": linked, "unlinked": unlinked}
    if via is not None:
        details["via"] = via
    return AuditEntry(
        audit_id=str(uuid.uuid4()),
        ts=datetime.now(UTC),
        actor=actor,
        action=METER_LINKS_ACTION,
        target=f"user:{user_id}",
        details=details,
    )


def _require_user(uow: UnitOfWork, user_id: str) -> None:
    if uow.users.get(user_id) is None:
        raise NotFound(f"No user with id {user_id!r}.")
