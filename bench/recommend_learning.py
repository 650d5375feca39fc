"""Learning effect with simulated users: precision@10 of recommendations for each user's topics.

    .venv/bin/python bench/recommend_learning.py [--users 60] [--seen 12] [--seed 7]

Builds the simulated world of ``recommend_world.py`` on the embedded stack in
``bench/out/recommend_learning/`` (48 topic-tagged German notes ingested through Luna's ingest
service; users who each prefer one or two topics open ``--seen`` notes, mostly of their topics, and
like or dislike them by their taste), runs the learning job (``LearningService.run``), then asks the
recommender for ten items per user under each strategy, before and after the job, in the same run:

- ``blend``: the recommender as served with the bandit off (profile + popularity + freshness, MMR);
- ``content``: the profile alone (average embedding of the user's positive events);
- ``popular``: popularity only (the learning job's newest scores), same exclusions;
- ``random``: ten random notes among those the user has not liked or disliked;
- ``MMR off``: blend and content with ``mmr_lambda = 1`` (relevance only), to show what diversity costs.

precision@10 = share of the ten items whose topic is one of the user's topics; "topics per list" is
how many of the six topics a list covers. ``ceiling`` is the best any list could do (a user with one
topic has only the notes of that topic they have not yet liked).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from recommend_world import REPO, TOPICS, Note, SimUser, browse, ingest_corpus, make_users, open_world, store

from luna.container import Container
from luna.domain.events import EventType
from luna.services.learning.recommend import RecommendService

WORK = REPO / "bench" / "out" / "recommend_learning"
K = 10


def precision(chunk_ids: Sequence[str], user: SimUser, topic_of: dict[str, str]) -> float:
    return sum(topic_of.get(chunk_id) in user.topics for chunk_id in chunk_ids) / K


def excluded(container: Container, user: SimUser) -> set[str]:
    """What the recommender leaves out for this user: liked and disliked notes."""
    with container.database.unit_of_work(read_only=True) as uow:
        events = uow.events.for_user(user.user_id, types={EventType.LIKE, EventType.DISLIKE}, limit=10_000)
    return {event.chunk_id for event in events if event.chunk_id}


@dataclass(slots=True)
class Lists:
    """Per user: precision@10 and how many topics the list covers."""

    precision: list[float] = field(default_factory=list)
    topics: list[int] = field(default_factory=list)


def evaluate(
    service: RecommendService,
    strategies: Sequence[str],
    users: Sequence[SimUser],
    topic_of: dict[str, str],
    latencies: dict[str, list[float]],
    label: str,
) -> dict[str, Lists]:
    results: dict[str, Lists] = {}
    for strategy in strategies:
        lists = results.setdefault(f"{strategy} ({label})", Lists())
        for user in users:
            started = time.perf_counter()
            result = service.recommend(user.user_id, K, strategy=strategy, log=False)
            latencies.setdefault(strategy, []).append(time.perf_counter() - started)
            chunk_ids = [item.chunk_id for item in result.items if item.chunk_id]
            lists.precision.append(precision(chunk_ids, user, topic_of))
            lists.topics.append(len({topic_of[chunk_id] for chunk_id in chunk_ids}))
    return results


def random_lists(
    container: Container, users: Sequence[SimUser], notes: Sequence[Note], rng: random.Random
) -> tuple[Lists, Lists]:
    topic_of = {note.chunk_id: note.topic for note in notes}
    randoms, ceilings = Lists(), Lists()
    for user in users:
        left_out = excluded(container, user)
        eligible = [note.chunk_id for note in notes if note.chunk_id not in left_out]
        drawn = rng.sample(eligible, K)
        randoms.precision.append(precision(drawn, user, topic_of))
        randoms.topics.append(len({topic_of[chunk_id] for chunk_id in drawn}))
        relevant = sum(topic_of[chunk_id] in user.topics for chunk_id in eligible)
        ceilings.precision.append(min(relevant, K) / K)
        ceilings.topics.append(len(user.topics))
    return randoms, ceilings


def row(name: str, lists: Lists, reference: Lists | None) -> str:
    values = lists.precision
    wins = (
        "" if reference is None else str(sum(r > v for r, v in zip(reference.precision, values, strict=True)))
    )
    return (
        f"| {name} | {statistics.mean(values):.3f} | {statistics.median(values):.2f} | {wins} "
        f"| {statistics.mean(lists.topics):.1f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--seen", type=int, default=12, help="notes each user saw before the job")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    container = open_world(WORK, LUNA_RECOMMEND__BANDIT="off")
    try:
        notes = ingest_corpus(container)
        ingest_s = time.perf_counter() - started
        users = make_users(container, args.users, rng)
        now = datetime.now(UTC)
        events = [event for user in users for event in browse(user, notes, args.seen, rng, now)]
        store(container, events)
        topic_of = {note.chunk_id: note.topic for note in notes}
        s = container.settings
        service = RecommendService.from_settings(
            container.database,
            container.vectors,
            container.services.knowledge.collections,
            None,
            s.recommend,
            s.learning,
        )
        undiversified = RecommendService.from_settings(
            container.database,
            container.vectors,
            container.services.knowledge.collections,
            None,
            s.recommend.model_copy(update={"mmr_lambda": 1.0}),
            s.learning,
        )
        latencies: dict[str, list[float]] = {}
        before = evaluate(service, ("blend", "popular"), users, topic_of, latencies, "before the job")
        job_started = time.perf_counter()
        learned = container.services.learning.run("bench")
        job_s = time.perf_counter() - job_started
        after = evaluate(
            service, ("blend", "content", "popular"), users, topic_of, latencies, "after the job"
        )
        plain = evaluate(undiversified, ("blend", "content"), users, topic_of, {}, "after the job, MMR off")
        randoms, ceilings = random_lists(container, users, notes, rng)
    finally:
        container.close()
    blend = after["blend (after the job)"]
    print(
        f"{len(notes)} notes in {len(TOPICS)} topics, {len(users)} users, {len(events)} events "
        f"(seed {args.seed}); ingest {ingest_s:.1f} s, learning job {job_s:.2f} s "
        f"(version {learned.version}: {learned.chunks} chunks scored); mmr_lambda {s.recommend.mmr_lambda}\n"
    )
    print(
        "| recommendations (10 per user) | mean precision@10 | median | users where blend (after) is better "
        "| topics per list |"
    )
    print("|---|---|---|---|---|")
    for name, lists in {**after, **before, **plain}.items():
        print(row(name, lists, None if lists is blend else blend))
    print(row("random", randoms, blend))
    print(row("ceiling (best possible list)", ceilings, None))
    print()
    for strategy, seconds in latencies.items():
        ms = sorted(1000 * value for value in seconds)
        p95 = ms[int(0.95 * (len(ms) - 1))]
        print(f"latency {strategy}: mean {statistics.mean(ms):.1f} ms, p95 {p95:.1f} ms")
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
