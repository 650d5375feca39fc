"""Offline replay evaluation of the strategy bandit on logged events, and an online check.

    .venv/bin/python bench/recommend_bandit_replay.py [--rounds 800] [--online 400] [--seed 11]

1. Log: the simulated world of ``recommend_world.py`` (48 notes, users with tastes and a history, the
   learning job run). For ``--rounds`` rounds a user (four in five with a history, one in five brand
   new, i.e. cold) asks ``/recommend`` for five items; the *logging policy* picks the strategy
   uniformly at random, and the service writes the ``recommend`` event as in production. The user
   scans the list (looks at place p with 0.8^p) and clicks one item of their topics with 0.5, another
   with 0.03; the click names the ``recommendation_id``.
2. Replay (Li et al., 2011): the logged rounds, read back from the events table, are replayed in time
   order; a policy's round counts only when it picks the logged strategy, and the bandit learns from
   those rounds alone. Because the log chose uniformly, this estimates each policy's click rate
   without bias. Policies: Thompson sampling (20 seeds), uniform random (20 seeds), each fixed
   strategy (``content`` falls back to ``blend`` for cold users, as the service must).
3. Online A/B: ``--online`` more rounds, each served at random either by the service's own bandit
   (Thompson, reading its statistics from the events table — the logged rounds included — refreshed
   every 60 simulated seconds, one round per second) or by the uniform policy, in the same period
   (users use up what interests them, so click rates fall over time and only a parallel control is a
   fair comparison); click rates measured directly.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from recommend_world import (
    REPO,
    Note,
    SimUser,
    browse,
    click_event,
    ingest_corpus,
    make_users,
    open_world,
    store,
)

from luna.container import Container
from luna.domain.bandit import (
    COLD_STRATEGIES,
    STRATEGIES,
    LoggedRound,
    ReplayResult,
    fixed_policy,
    logged_rounds,
    replay,
    thompson_policy,
    uniform_policy,
)
from luna.services.learning.recommend import RecommendService
from luna.services.learning.recommend_bandit import StrategyChooser

WORK = REPO / "bench" / "out" / "recommend_bandit"
TOP_K = 5
EXAMINE, CLICK_ON_TOPIC, CLICK_OFF_TOPIC = 0.8, 0.5, 0.03
SEEDS = 20


def serve_round(
    service: RecommendService,
    container: Container,
    user: SimUser,
    topic_of: dict[str, str],
    notes_by_chunk: dict[str, Note],
    rng: random.Random,
    strategy: str | None,
) -> tuple[str, bool]:
    """One request and the user's reaction to it; returns (strategy, clicked)."""
    result = service.recommend(user.user_id, TOP_K, strategy=strategy)
    assert result.recommendation_id is not None
    for place, item in enumerate(result.items):
        if item.chunk_id is None or rng.random() > EXAMINE**place:
            continue
        on_topic = topic_of.get(item.chunk_id) in user.topics
        if rng.random() < (CLICK_ON_TOPIC if on_topic else CLICK_OFF_TOPIC):
            note = notes_by_chunk[item.chunk_id]
            store(container, [click_event(user, note, datetime.now(UTC), rng, result.recommendation_id)])
            return result.strategy, True
    return result.strategy, False


def pick_user(container: Container, users: list[SimUser], rng: random.Random) -> SimUser:
    if rng.random() < 0.2:
        return make_users(container, 1, rng)[0]  # a newcomer: no history, cold
    return rng.choice(users)


def summary(name: str, results: Sequence[ReplayResult]) -> str:
    rates = [result.rate for result in results if result.rate is not None]
    matched = statistics.mean(result.matched for result in results)
    spread = f" ± {statistics.stdev(rates):.3f}" if len(rates) > 1 else ""
    return f"| {name} | {statistics.mean(rates):.3f}{spread} | {matched:.0f} |"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=80)
    parser.add_argument("--rounds", type=int, default=800, help="logged rounds (uniform logging policy)")
    parser.add_argument("--online", type=int, default=400, help="rounds served by the live bandit afterwards")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    container = open_world(WORK)
    try:
        notes = ingest_corpus(container)
        users = make_users(container, args.users, rng)
        store(container, [e for user in users for e in browse(user, notes, 8, rng, datetime.now(UTC))])
        container.services.learning.run("bench")
        topic_of = {note.chunk_id: note.topic for note in notes}
        by_chunk = {note.chunk_id: note for note in notes}
        s = container.settings
        tick = [0.0]
        chooser = StrategyChooser(
            container.database,
            enabled=True,
            seed=args.seed,
            consent_default=s.learning.consent_default,
            clock=lambda: tick[0],
        )
        service = RecommendService.from_settings(
            container.database,
            container.vectors,
            container.services.knowledge.collections,
            None,
            s.recommend,
            s.learning,
            chooser=chooser,
        )
        log_started = time.perf_counter()
        for _ in range(args.rounds):
            user = pick_user(container, users, rng)
            arms = STRATEGIES if user in users else COLD_STRATEGIES
            serve_round(service, container, user, topic_of, by_chunk, rng, rng.choice(arms))
        log_s = time.perf_counter() - log_started
        with container.database.unit_of_work(read_only=True) as uow:
            events = [e for batch in uow.events.for_learning(consent_default=True) for e in batch]
        rounds: list[LoggedRound] = logged_rounds(events, round_seconds=None)  # simulated users
        online: dict[str, list[tuple[str, bool]]] = {"bandit": [], "uniform": []}
        for _ in range(args.online):
            tick[0] += 1.0
            user = pick_user(container, users, rng)
            arm = None if rng.random() < 0.5 else rng.choice(STRATEGIES if user in users else COLD_STRATEGIES)
            group = online["bandit" if arm is None else "uniform"]
            group.append(serve_round(service, container, user, topic_of, by_chunk, rng, arm))
    finally:
        container.close()
    print(
        f"{len(notes)} notes, {len(users)} users with a history + newcomers, {len(rounds)} logged rounds "
        f"({sum(r.segment == 'cold' for r in rounds)} cold), logged click rate "
        f"{sum(r.reward for r in rounds) / len(rounds):.3f}; logging took {log_s:.0f} s "
        f"({1000 * log_s / max(args.rounds, 1):.0f} ms per round incl. the simulated user)\n"
    )
    print("| policy (replayed on the log) | click rate | matched rounds |")
    print("|---|---|---|")
    print(
        summary(
            f"Thompson sampling ({SEEDS} seeds)", [replay(rounds, thompson_policy(s)) for s in range(SEEDS)]
        )
    )
    print(
        summary(
            f"uniform random ({SEEDS} seeds)",
            [replay(rounds, uniform_policy(s), learns=False) for s in range(SEEDS)],
        )
    )
    for arm in STRATEGIES:
        print(summary(f"always {arm}", [replay(rounds, fixed_policy(arm), learns=False)]))
    print("\n| online A/B, same period | click rate | rounds | strategies served |")
    print("|---|---|---|---|")
    for name, served in online.items():
        if not served:
            continue
        counts = Counter(strategy for strategy, _ in served)
        share = ", ".join(f"{arm} {counts[arm] / len(served):.0%}" for arm in STRATEGIES)
        rate = sum(clicked for _, clicked in served) / len(served)
        label = "live bandit" if name == "bandit" else "uniform random"
        print(f"| {label} | {rate:.3f} | {len(served)} | {share} |")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
