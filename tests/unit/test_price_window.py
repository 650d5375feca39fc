"""The cheapest stretch ahead, priced as the customer pays it."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from luna.domain.price_window import (
    EndCustomerPrice,
    Surcharge,
    cheapest_per_day,
    cheapest_window,
    customer_ct_kwh,
)

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NAN = math.nan
#: 20 ct of surcharges: 0.2 €/kWh, the old flat surcharge, without VAT.
FLAT = EndCustomerPrice((Surcharge("Aufschlag", 20.0),))
GERMAN = EndCustomerPrice(
    (
        Surcharge("Netzentgelt", 10.0),
        Surcharge("Umlagen und Abgaben", 4.536),
        Surcharge("Stromsteuer", 2.05),
        Surcharge("Lieferantenmarge", 0.0),
    ),
    vat_percent=19.0,
)


def test_the_customer_price_is_the_exchange_price_plus_surcharges_in_ct() -> None:
    assert customer_ct_kwh(100.0, FLAT) == pytest.approx(30.0)
    assert customer_ct_kwh(-20.0, FLAT) == pytest.approx(18.0)  # a negative exchange price lowers the bill


def test_vat_is_charged_on_the_exchange_price_and_the_surcharges_together() -> None:
    assert GERMAN.surcharge_ct_kwh == pytest.approx(16.586)
    assert customer_ct_kwh(100.0, GERMAN) == pytest.approx((10.0 + 16.586) * 1.19)
    assert customer_ct_kwh(-20.0, GERMAN) == pytest.approx((-2.0 + 16.586) * 1.19)
    assert customer_ct_kwh(0.0, EndCustomerPrice()) == 0.0


def test_the_price_says_in_german_how_it_is_made_up() -> None:
    assert GERMAN.explanation() == "Endkundenpreis = (Börsenpreis + 16,59 ct/kWh Aufschläge) zzgl. 19 % MwSt."
    # Each surcharge with its name, net; a surcharge of zero is left out.
    assert GERMAN.breakdown() == (
        "Aufschläge je kWh (netto): Netzentgelt 10 ct · Umlagen und Abgaben 4,54 ct · Stromsteuer 2,05 ct"
    )
    assert FLAT.explanation() == "Endkundenpreis = (Börsenpreis + 20 ct/kWh Aufschläge) ohne MwSt."
    assert EndCustomerPrice(vat_percent=7.5).explanation() == "Endkundenpreis = Börsenpreis zzgl. 7,5 % MwSt."
    assert EndCustomerPrice().breakdown() == ""


def test_the_cheapest_window_has_the_lowest_mean_and_the_earliest_start_on_a_tie() -> None:
    prices = [90.0, 80.0, 10.0, 20.0, 30.0, 5.0, 25.0, 10.0, 20.0]

    window = cheapest_window(START, prices, hours=0.5, price=GERMAN)

    assert window is not None
    assert (window.start, window.end) == (START + timedelta(minutes=30), START + timedelta(minutes=60))
    assert window.exchange_eur_mwh == 15.0 and window.customer_ct_kwh == pytest.approx((1.5 + 16.586) * 1.19)


def test_a_window_never_spans_an_unknown_price_and_none_fits_in_too_few() -> None:
    prices = [50.0, 1.0, NAN, 1.0, 40.0, 40.0]

    window = cheapest_window(START, prices, hours=0.5, price=FLAT)

    assert window is not None and window.start == START + timedelta(minutes=45)  # 1 + 40 beats 50 + 1
    assert cheapest_window(START, [NAN, 1.0, NAN], hours=0.5, price=FLAT) is None
    assert cheapest_window(START, [], hours=2, price=FLAT) is None


BERLIN = ZoneInfo("Europe/Berlin")
MIDNIGHT = datetime(2026, 3, 28, 0, 0, tzinfo=BERLIN)  # the night into summer time follows


def test_each_day_gets_its_cheapest_window_ahead_of_now_within_that_day() -> None:
    quarters = 2 * 96 - 4  # today and tomorrow; tomorrow has 23 hours (clocks go forward)
    prices = [100.0 - (i % 96) / 10 for i in range(quarters)]  # falling through each day
    prices[8:16] = [1.0] * 8  # a cheap stretch at 02:00, long past by now
    now = MIDNIGHT.replace(hour=14, minute=7)

    today, tomorrow = cheapest_per_day(MIDNIGHT, prices, 2, FLAT, not_before=now, zone=BERLIN)

    assert today.start >= now.replace(minute=15) and today.end <= MIDNIGHT + timedelta(days=1)
    assert today.end == MIDNIGHT + timedelta(days=1)  # prices fall all day: the last two hours
    assert tomorrow.start.astimezone(BERLIN).date() == (MIDNIGHT + timedelta(days=1)).date()
    assert tomorrow.end == (MIDNIGHT + timedelta(days=2)).astimezone(UTC)


def test_a_day_without_known_prices_gets_no_window() -> None:
    prices = [50.0] * 96 + [NAN] * 92

    windows = cheapest_per_day(MIDNIGHT, prices, 2, FLAT, not_before=MIDNIGHT, zone=BERLIN)

    assert [w.start for w in windows] == [MIDNIGHT]
