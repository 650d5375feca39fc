"""The answer's second lead sentence from another chunk than the first (issue #14 candidate), tune vs test.

    .venv/bin/python bench/lead_diversity.py      # after bench/retrieval_quality.py --fresh

On the tune split of five sets, when retrieval ranks the answering chunk first the answer states it for
57 of 69 questions; when it ranks it 2nd–5th, for 9 of 31: both lead sentences usually come from the
first chunk. The candidate keeps the best sentence (with what it refers back to and what continues it)
and takes the next sentence from another chunk when one scores at least ``share`` of the best; the rest
is read as shipped. Prints one Markdown row per variant and split.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from corpus_container import FIVE_GOLDEN_SETS, SIXTH_GOLDEN_SET
from sentence_context import HEADER, SHIPPED, figures_with, row

import luna.adapters.models.extractive as extractive
from luna.adapters.models.extractive_ranking import MeaningWeights

SHIPPED_SELECT = extractive.ExtractiveChatModel._select


def other_chunk_second(share: float):  # type: ignore[no-untyped-def]
    def select(self, ranked):  # type: ignore[no-untyped-def]
        chosen = SHIPPED_SELECT(self, ranked)
        best = ranked[0]
        structural = len(extractive._lead_ins(best.sentence)) + 1
        following = best.sentence.following
        if following is not None and extractive.CONTINUATION.match(following.text):
            structural += 1
        first_chunk = best.sentence.chunk.chunk_id
        other = next(
            (
                r.sentence
                for r in ranked[1:]
                if r.sentence.chunk.chunk_id != first_chunk and r.score >= share * best.score
            ),
            None,
        )
        if other is None or structural >= self._max_points:
            return chosen
        kept = [s for s in chosen if s.key != other.key]
        return [*kept[:structural], other, *kept[structural:]][: self._max_points]

    return select


def main(argv: Sequence[str]) -> int:
    splits = [s for s in ("tune", "test", "sixth") if s in argv] or ["tune"]
    shares = [float(a) for a in argv if a[:1].isdigit()] or [0.8, 0.9, 0.95]
    table = [HEADER.replace("sentence judged as", "second lead sentence")]
    variants = [("shipped", SHIPPED_SELECT), *((f"other chunk ≥ {s}", other_chunk_second(s)) for s in shares)]
    for label, select in variants:
        extractive.ExtractiveChatModel._select = select  # type: ignore[method-assign]
        for split in splits:
            sets, name = (SIXTH_GOLDEN_SET, "sixth set") if split == "sixth" else (FIVE_GOLDEN_SETS, split)
            f = figures_with(MeaningWeights(), "all" if split == "sixth" else split, sets)
            table.append(row(label, SHIPPED, name, f))
            print(table[-1], flush=True)
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
