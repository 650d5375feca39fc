"""Claim codes ("Freischaltcode"): derived from the meter ID and a key, typable, checked as typed,
and the dashboard's German answers to a failed claim."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter

import pytest

from luna.domain.errors import Conflict, NotFound, RateLimited, Unavailable
from luna.domain.meter_claims import (
    ALPHABET,
    CODE_LENGTH,
    ClaimRefused,
    claim_code,
    claim_key,
    code_matches,
    format_code,
    normalise_code,
)
from luna.services.energy.meter_claims import ClaimCodes
from luna.web.customer.meter_claim_dialog import CLAIM_REFUSED, claim_problem, input_problem

SECRET = "test-jwt-secret-0123456789abcdef"
KEY = claim_key(SECRET)
CODE_SHAPE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


class _Limiter:
    """Allows ``allowed`` hits, then answers a wait of 12.3 s."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.keys: list[str] = []

    @property
    def per_minute(self) -> int:
        return self.allowed

    def hit(self, key: str) -> float | None:
        self.keys.append(key)
        return None if len(self.keys) <= self.allowed else 12.3


def test_the_alphabet_leaves_out_what_is_misread_on_paper() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("01IO") & set(ALPHABET)


def test_a_code_is_eight_symbols_shown_in_two_groups() -> None:
    code = claim_code(KEY, "haus-1")

    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert CODE_SHAPE.match(format_code(code))
    assert format_code(code).replace("-", "") == code


def test_codes_printed_on_bills_do_not_change_with_the_code_that_derives_them() -> None:
    """A letter already sent must stay valid: the derivation is pinned by known values."""
    assert hmac.new(SECRET.encode(), b"luna-meter-claim-code-v1", hashlib.sha256).digest() == KEY
    assert format_code(claim_code(KEY, "haus-1")) == "XK4N-AJTM"
    assert format_code(claim_code(KEY, "haus-2")) == "R546-4QNB"


def test_the_code_depends_on_the_meter_and_on_the_key() -> None:
    codes = {claim_code(KEY, f"meter-{i}") for i in range(1000)}
    assert len(codes) == 1000
    assert claim_code(claim_key(SECRET + "x"), "haus-1") != claim_code(KEY, "haus-1")
    # The key is not the secret itself, so a code tells nothing about the token key.
    assert SECRET.encode() != KEY and claim_code(SECRET.encode(), "haus-1") != claim_code(KEY, "haus-1")


def test_every_symbol_turns_up_in_every_position() -> None:
    codes = [claim_code(KEY, f"m-{i}") for i in range(3000)]
    for position in range(CODE_LENGTH):
        counts = Counter(code[position] for code in codes)
        assert set(counts) == set(ALPHABET)
        assert max(counts.values()) < 3 * min(counts.values()), (position, counts)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("XK4N-AJTM", "XK4NAJTM"),
        ("xk4n-ajtm", "XK4NAJTM"),
        (" xk4n ajtm ", "XK4NAJTM"),
        ("XK4N–AJTM", "XK4NAJTM"),  # an en dash, as word processors write it
        ("x-k-4-n-a-j-t-m", "XK4NAJTM"),
        ("XK4NAJTM\t", "XK4NAJTM"),
        ("XK4N-AJTM-", "XK4NAJTM"),
    ],
)
def test_the_code_is_read_as_people_type_it(typed: str, expected: str) -> None:
    assert normalise_code(typed) == expected
    assert code_matches(KEY, "haus-1", typed)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "XK4N-AJTN",  # one symbol off
        "XK4N-AJT",  # one short
        "XK4N-AJTMA",  # one too many
        "R546-4QNB",  # another meter's code
        "ΧΚ4Ν-ΑJΤΜ",  # Greek capitals that look alike: wrong, not an error
        "XK4N\x00AJTM",
    ],
)
def test_anything_else_is_wrong_and_never_an_error(typed: str) -> None:
    assert not code_matches(KEY, "haus-1", typed)


def test_the_code_of_one_meter_does_not_open_another() -> None:
    assert not code_matches(KEY, "haus-2", format_code(claim_code(KEY, "haus-1")))
    assert not code_matches(KEY, "HAUS-1", format_code(claim_code(KEY, "haus-1")))  # IDs keep their case


def test_claim_codes_count_each_attempt_per_customer_and_refuse_past_the_allowance() -> None:
    limiter = _Limiter(allowed=2)
    codes = ClaimCodes(KEY, limiter)

    codes.admit("u-1")
    codes.admit("u-1")
    with pytest.raises(RateLimited) as refused:
        codes.admit("u-1")

    assert limiter.keys == ["user:u-1"] * 3
    assert refused.value.details == {"retry_after_sec": 12.3, "per_minute": 2}
    assert "13 s" in refused.value.message


def test_a_wrong_code_and_an_unknown_meter_are_one_refusal() -> None:
    codes = ClaimCodes(KEY, _Limiter(allowed=10))
    codes.check("u-1", "haus-1", "xk4n ajtm", meter_known=True)

    with pytest.raises(ClaimRefused) as wrong:
        codes.check("u-1", "haus-1", "XK4N-AJTN", meter_known=True)
    with pytest.raises(ClaimRefused) as unknown:
        codes.check("u-1", "haus-1", "XK4N-AJTM", meter_known=False)

    assert (wrong.value.code, wrong.value.message) == (unknown.value.code, unknown.value.message)
    assert wrong.value.code == "claim_refused"


def test_without_a_key_there_are_no_codes() -> None:
    codes = ClaimCodes(None, _Limiter(allowed=10))

    with pytest.raises(Unavailable, match="jwt_secret"):
        codes.code_for("haus-1")
    with pytest.raises(Unavailable):
        codes.check("u-1", "haus-1", "XK4N-AJTM", meter_known=True)


# -- the dashboard's words ---------------------------------------------------------------------------


def test_the_dialog_says_what_is_missing_before_sending_anything() -> None:
    assert input_problem("", "ABCD") == "Bitte geben Sie die Zählernummer ein."
    assert input_problem("haus-1", "") == "Bitte geben Sie den Freischaltcode ein."
    assert input_problem("haus 1", "ABCD-EFGH") == CLAIM_REFUSED  # no meter number has a space
    assert input_problem("haus-1", "abcd efgh") is None


def test_the_dialog_explains_a_failed_claim_in_german() -> None:
    refused = claim_problem(ClaimRefused("x"))
    assert refused.startswith("Zählernummer oder Freischaltcode stimmen nicht.")
    assert claim_problem(RateLimited("x", details={"retry_after_sec": 41.2})) == (
        "Zu viele Versuche in kurzer Zeit. Bitte versuchen Sie es in 42 s noch einmal."
    )
    assert "gleich" in claim_problem(RateLimited("x"))
    assert "bereits so viele Zähler" in claim_problem(Conflict("x"))
    assert "Energieversorger" in claim_problem(Unavailable("x"))
    assert claim_problem(NotFound("x")).startswith("Das Gesuchte wurde nicht gefunden")
