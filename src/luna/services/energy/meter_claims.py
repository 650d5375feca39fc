"""The claim codes customers link their own meters with, and the bound on their attempts.

The code is derived, not stored (:mod:`luna.domain.meter_claims`), so claiming needs no table of its
own; :meth:`MeterLinkService.claim <luna.services.energy.user_meters.MeterLinkService.claim>` adds the
meter to the customer's links when :class:`ClaimCodes` accepts the code. A wrong code and an unknown
meter are the same :class:`~luna.domain.meter_claims.ClaimRefused`, after the same work, so a caller
learns nothing about which meter IDs exist. Every attempt, right or wrong, counts against the
customer's allowance per minute (:data:`~luna.domain.meter_claims.CLAIM_ATTEMPTS_PER_MINUTE`);
refused ones are logged, so an operator sees someone guessing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import structlog

from luna.domain.errors import RateLimited, Unavailable
from luna.domain.meter_claims import ClaimRefused, claim_code, code_matches, format_code
from luna.ports.ratelimit import RateLimiter

log = structlog.stdlib.get_logger("luna.energy")

#: How a claimed link is marked in its audit entry.
VIA_CLAIM_CODE = "claim_code"


@dataclass(frozen=True)
class ClaimCodes:
    """The claim-code key (None: ``auth.jwt_secret`` is not set, so there are no codes) and the
    limiter of attempts per customer."""

    key: bytes | None
    limiter: RateLimiter

    def code_for(self, meter_id: str) -> str:
        """The meter's code as printed on a bill: ``ABCD-EFGH``."""
        return format_code(claim_code(self._require_key(), meter_id))

    def admit(self, user_id: str) -> None:
        """Count one attempt of the customer; :class:`RateLimited` (with the wait) past the allowance."""
        wait = self.limiter.hit(f"user:{user_id}")
        if wait is not None:
            raise RateLimited(
                f"Too many attempts at linking a meter; try again in {max(1, math.ceil(wait))} s.",
                details={"retry_after_sec": wait, "per_minute": self.limiter.per_minute},
            )

    def check(self, user_id: str, meter_id: str, code: str, *, meter_known: bool) -> None:
        """Pass when ``code`` is the claim code of ``meter_id`` and the meter exists; else one refusal."""
        matches = code_matches(self._require_key(), meter_id, code)
        if not (matches and meter_known):
            log.warning("meter_claim_refused", user_id=user_id, meter_id=meter_id)
            raise refused()

    def _require_key(self) -> bytes:
        if self.key is None:
            raise Unavailable("Claim codes need auth.jwt_secret, which this installation does not set.")
        return self.key


def refused() -> ClaimRefused:
    return ClaimRefused(
        "No meter with this number and claim code; check both against your bill "
        "(the code has 8 characters, such as ABCD-EFGH)."
    )
