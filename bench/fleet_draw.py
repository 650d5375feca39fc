"""Drawing the simulated fleet: ``draw_meters`` for a fleet of ``--meters`` (the API's `sim start` and a
backfill's check draw it before anything is queued), median of ``--runs``, and a digest of the meters
drawn, so that a faster draw is shown to draw the same meters.

    .venv/bin/python bench/fleet_draw.py [--meters 20000] [--runs 3]

The baseline is the same script on an earlier commit's source in the same session:
``git worktree add -f /tmp/base <commit>``, then
``PYTHONPATH=/tmp/base/src .venv/bin/python bench/fleet_draw.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time

import luna
from luna.domain.sim.meters import draw_meters
from luna.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sim = load_settings(None).sim
    seconds = []
    for _ in range(args.runs):
        began = time.perf_counter()
        specs = draw_meters(args.meters, sim.types_mix, sim.seed, id_prefix=sim.id_prefix)
        seconds.append(time.perf_counter() - began)
    digest = hashlib.sha256(repr(specs).encode()).hexdigest()[:16]
    median = statistics.median(seconds)
    print(f"source {luna.__file__}")
    rate = args.meters / median
    print(f"{args.meters} meters: median {median:.2f} s of {args.runs} ({rate:,.0f} meters/s)")
    print(f"digest of the meters drawn: {digest}")


if __name__ == "__main__":
    main()
