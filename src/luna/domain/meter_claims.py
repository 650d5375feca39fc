"""A meter's claim code ("Freischaltcode"): what proves that a customer holds the meter's bill.

German utilities print a short code next to the meter number on the bill; whoever types both links
the meter to their account without an operator. Luna derives the code instead of storing it:
HMAC-SHA256 of the meter ID under a key of its own (:func:`claim_key`, derived from the JWT secret
with a label), cut to :data:`CODE_LENGTH` characters of :data:`ALPHABET`. So every meter has a code
as soon as it exists, the operator can read it at any time, and rotating ``auth.jwt_secret``
replaces every code at once.

The alphabet has no 0/O and no 1/I, which look alike on paper; 32 symbols carry 5 bits each, so
8 characters are 40 bits of the HMAC with no bias. People type the code as they read it: any case,
with or without the dash of ``ABCD-EFGH``, with spaces (:func:`normalise_code`).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from luna.domain.errors import Unprocessable

#: 24 letters without I and O, and the digits 2–9.
ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH: Final = 8
#: Shown as two groups of four: ``ABCD-EFGH``.
GROUP: Final = 4
#: The label that makes the claim-code key differ from every other key derived from the same secret.
KEY_LABEL: Final = b"luna-meter-claim-code-v1"
#: Attempts at claiming a meter per customer and minute, right or wrong. A legitimate customer with a
#: typo needs two or three; a guesser needs about 2**39 for one meter (some 200,000 years at this rate).
CLAIM_ATTEMPTS_PER_MINUTE: Final = 5
#: Characters people put between groups; dropped before comparing.
_SEPARATORS: Final = frozenset(" \t-\u2010\u2011\u2012\u2013\u2014_.")


class ClaimRefused(Unprocessable):
    """The meter ID and the code do not belong together, or there is no such meter: one answer for
    both, so a caller cannot learn which meter IDs exist."""

    code = "claim_refused"


def claim_key(secret: str) -> bytes:
    """The key of every claim code, derived from ``secret`` (the JWT secret) under :data:`KEY_LABEL`."""
    return hmac.new(secret.encode(), KEY_LABEL, hashlib.sha256).digest()


def claim_code(key: bytes, meter_id: str) -> str:
    """The meter's code, :data:`CODE_LENGTH` characters of :data:`ALPHABET` without separators."""
    digest = hmac.new(key, meter_id.encode(), hashlib.sha256).digest()
    bits = int.from_bytes(digest[:5], "big")  # 40 bits: 8 symbols of 5 bits
    return "".join(ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))


def format_code(code: str) -> str:
    """``ABCDEFGH`` as people read it: ``ABCD-EFGH``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(text: str) -> str:
    """What someone typed, in the form :func:`claim_code` returns: upper case, separators dropped."""
    return "".join(char for char in text.strip().upper() if char not in _SEPARATORS)


def code_matches(key: bytes, meter_id: str, typed: str) -> bool:
    """Whether ``typed`` is the meter's code (compared in constant time, as bytes: text that is not
    ASCII is simply wrong, never an error)."""
    expected = claim_code(key, meter_id).encode()
    return hmac.compare_digest(expected, normalise_code(typed).encode())
