"""Guessing the admin key gets slower with every wrong try, per client, and a success forgets the past."""

from __future__ import annotations

import pytest

from luna.domain.errors import RateLimited
from luna.domain.login_throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: LoginThrottle, client: str, times: int) -> None:
    for _ in range(times):
        throttle.check(client)
        throttle.failed(client)


def test_the_first_wrong_keys_are_free_then_even_the_right_key_waits() -> None:
    clock = Clock()
    throttle = LoginThrottle(free_failures=5, base_lock_sec=2, clock=clock)
    fail(throttle, "10.0.0.1", 4)
    throttle.check("10.0.0.1")  # four failures: still free
    throttle.failed("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        throttle.check("10.0.0.1")
    assert refused.value.details["retry_after_sec"] == 2
    throttle.check("10.0.0.2")  # another client is not affected
    clock.now += 2.01
    throttle.check("10.0.0.1")


def test_each_further_failure_doubles_the_lock_up_to_the_maximum() -> None:
    clock = Clock()
    throttle = LoginThrottle(free_failures=1, base_lock_sec=2, max_lock_sec=10, clock=clock)
    waits = []
    for _ in range(5):
        throttle.failed("c")
        with pytest.raises(RateLimited) as refused:
            throttle.check("c")
        waits.append(refused.value.details["retry_after_sec"])
    assert waits == [2, 4, 8, 10, 10]


def test_a_success_clears_the_record() -> None:
    clock = Clock()
    throttle = LoginThrottle(free_failures=2, clock=clock)
    fail(throttle, "c", 1)
    throttle.succeeded("c")
    fail(throttle, "c", 1)
    throttle.check("c")


def test_memory_is_bounded_by_forgetting_the_oldest_clients() -> None:
    throttle = LoginThrottle(free_failures=1, max_clients=3, clock=Clock())
    for client in ("a", "b", "c", "d"):
        throttle.failed(client)
    throttle.check("a")  # forgotten
    with pytest.raises(RateLimited):
        throttle.check("d")
