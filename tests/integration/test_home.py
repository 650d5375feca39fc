"""The customer's home: today and this month on Europe/Berlin days, the price now and the cheapest
two hours ahead as the customer pays them, the best advice; without a meter, the prices still."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from luna.container import Container, build_container
from luna.services.energy.home import HomeService
from luna.settings import Settings
from tests.integration.recommend_support import fill_meter

#: 16:07 in Berlin (summer time) on the 13th day of readings.
NOW = datetime(2025, 6, 15, 14, 7, tzinfo=UTC)


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    built = build_container(make_settings())
    built.database.upgrade()
    fill_meter(built, "haus-1", datetime(2025, 6, 2, tzinfo=UTC), days=14)
    yield built
    built.close()


def home(container: Container) -> HomeService:
    s = container.services
    return HomeService(s.meter_access, s.insights, s.energy_advice, clock=lambda: NOW)


def user(container: Container, *meters: str) -> str:
    user_id = str(uuid.uuid4())
    with container.database.unit_of_work() as uow:
        uow.users.get_or_create(user_id)
        uow.user_meters.link(user_id, list(meters))
        uow.commit()
    return user_id


def test_today_and_this_month_are_berlin_days_with_consumption_cost_and_pv(container: Container) -> None:
    summary = home(container).summary(user(container, "haus-1"))

    assert summary.meter is not None and summary.meter.meter_id == "haus-1" and summary.more_meters == 0
    today, month = summary.today, summary.month
    assert today is not None and month is not None
    assert today.start == datetime(2025, 6, 14, 22, 0, tzinfo=UTC)  # Berlin midnight
    assert month.start == datetime(2025, 5, 31, 22, 0, tzinfo=UTC)  # 1 June, Berlin
    assert today.end == month.end == datetime(2025, 6, 15, 14, 15, tzinfo=UTC)
    assert 0 < today.energy.consumption_kwh < month.energy.consumption_kwh
    assert today.energy.production_kwh > 0 and today.cost is not None  # a June day: PV earns money
    assert today.cost.dynamic_eur < today.cost.import_kwh * today.cost.dynamic_eur_kwh
    assert month.coverage.energy_intervals < month.coverage.intervals  # readings begin on 2 June
    assert summary.advice is not None and summary.advice.meter_id == "haus-1"


def test_the_price_now_and_the_cheapest_two_hours_ahead_are_the_customers_price(container: Container) -> None:
    service = home(container)
    start = NOW.replace(minute=0)
    _, prices = container.services.insights.quarter_hour_prices(start, start + timedelta(hours=36))

    summary = service.summary(user(container, "haus-1"))

    # The default surcharges (10 + 4.536 + 2.05 + 2.0 ct net) and 19 % VAT on all of it.
    assert summary.price_now_ct_kwh == pytest.approx((prices[0] / 10 + 18.586) * 1.19)
    window = summary.cheapest
    assert window is not None and window.end - window.start == timedelta(hours=2)
    means = [
        sum(prices[i : i + 8]) / 8
        for i in range(len(prices) - 7)
        if not any(math.isnan(p) for p in prices[i : i + 8])
    ]
    assert window.exchange_eur_mwh == pytest.approx(min(means))
    assert start <= window.start and window.end <= datetime(2025, 6, 16, tzinfo=UTC)  # prices known


def test_without_a_meter_there_are_no_figures_but_the_prices_are_there(container: Container) -> None:
    summary = home(container).summary(user(container))

    assert (summary.meter, summary.today, summary.month, summary.advice) == (None, None, None, None)
    assert summary.price_now_ct_kwh is not None and summary.cheapest is not None
