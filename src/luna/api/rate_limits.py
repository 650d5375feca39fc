"""Per-caller budgets of the routes that cost work or storage: questions, searches, recommendations.

Each is counted in the handler, once the request has passed its checks, so a refused request costs the
caller nothing; the refusal is a 429 whose ``details`` say when to try again.
"""

from __future__ import annotations

from luna.api.callers import Caller
from luna.container import Container
from luna.domain.errors import RateLimited
from luna.ports.ratelimit import RateLimiter


def _charge(limiter: RateLimiter, caller: Caller, what: str) -> None:
    wait = limiter.hit(caller.key)
    if wait is not None:
        raise RateLimited(
            f"Too many {what}: at most {limiter.per_minute} per minute. "
            f"Try again in {max(1, round(wait))} s.",
            details={"retry_after_sec": wait, "per_minute": limiter.per_minute},
        )


def count_search(container: Container, caller: Caller) -> None:
    """At most ``rag.search_per_minute`` searches per caller in any 60 seconds."""
    _charge(container.search_limiter, caller, "searches")


def count_question(container: Container, caller: Caller) -> None:
    """At most ``rag.ask_per_minute`` questions per caller in any 60 seconds (Open WebUI's tools send many
    requests that fail their checks; those are not counted)."""
    _charge(container.ask_limiter, caller, "questions")


def count_recommendation(container: Container, caller: Caller) -> None:
    """At most ``recommend.per_minute`` recommendation lists per caller in any 60 seconds: each one a
    customer asks for is stored (the bandit learns from its clicks), so an unbounded loop would fill the
    database."""
    _charge(container.recommend_limiter, caller, "recommendation requests")
