"""Refusing a how-to question whose action no found passage speaks of (issue #14).

    .venv/bin/python bench/retrieval_quality.py --fresh     # the shipped index (e5-small int8 + BM25)
    LUNA_DATA_DIR=bench/out/retrieval .venv/bin/luna models prepare embeddinggemma
    .venv/bin/python bench/refine_sentences.py              # the refine leg caught up
    .venv/bin/python bench/absent_actions.py

Five of the tune split's fifteen answered unanswerable questions ask how to do something the laws never
describe ("Wie entlüfte ich … meine Heizkörper?", "Wie reinige ich die Filter …?", "Wie stelle ich an
meinem SMA-Wechselrichter … ein?"), and the answer quoted rules about installing heat pumps. The rule
(``luna.domain.asked_actions``) refuses a "wie <verb> ich / man / wir" question when none of the chunks
the answer reads holds the verb's stem. No answerable tune question is put that way, so tune cannot
weigh what it costs: the held-out views decide. Every view is printed with the rule off (before) and on,
on the same index, and the near-topic unanswerable set (tune only);
``bench/demo_questions.py refine`` shows the demo questions' answers.
"""

from __future__ import annotations

from collections.abc import Callable

from corpus_container import REPO, caught_up_container, figure_cells, figure_header, print_views
from refine_sentences import REFINE

from luna.container import Container
from luna.services.evaluation.evaluation import read_golden_sets
from luna.services.knowledge import answering

NEAR_TOPIC = REPO / "bench" / "unanswerable_near_de.yaml"
SHIPPED: Callable[..., list[str]] = answering.actions_not_found


def set_rule(on: bool) -> None:
    answering.actions_not_found = SHIPPED if on else (lambda question, passages: [])  # type: ignore[assignment]


def near_topic(c: Container, label: str) -> None:
    questions = read_golden_sets([NEAR_TOPIC])
    run = c.services.evaluation.run(
        questions, split="all", name=f"actions-near-{label}", documents_dir=REPO.parent / "shared" / "corpus"
    )
    print(f"| {label} | near-topic set (tune only) {figure_cells(run.figures)}", flush=True)


def main() -> int:
    with caught_up_container(overrides=REFINE) as c:
        print(figure_header("how-to rule", "view"))
        for on in (False, True):
            set_rule(on)
            label = "on" if on else "off (before)"
            print_views(c, label, f"actions-{'on' if on else 'off'}")
            near_topic(c, label)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
