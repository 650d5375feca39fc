"""The blind human review of an adapter version (issue #17): pairs as "Antwort A"/"Antwort B" in an order
and with sides of each reviewer's own, votes stored by role, the markdown export, and the votes counting
at promotion against the stored champion gate's threshold."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from luna.container import Container, build_container
from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.finetune.registry import AdapterState, AdapterVersion
from luna.domain.finetune.reviews import Vote
from luna.services.finetune.registry import REVIEW_FILE, blob_prefix
from luna.settings import Settings

PAIRS = 6


def review_pairs(version: int) -> list[dict[str, str]]:
    return [
        {
            "question": f"Frage {i}: Was kostet Strom um {10 + i} Uhr?",
            "reference": f"Referenz {i}: {30 + i} ct/kWh [chunk c{i}].",
            "candidate": f"Neu v{version}, Antwort {i}: {30 + i} ct/kWh [chunk c{i}].",
            "opponent": f"Alt, Antwort {i}: Dazu habe ich nichts gefunden.",
            "opponent_kind": "base",
        }
        for i in range(PAIRS)
    ]


def register(container: Container, version: int, *, threshold: float = 0.5, passed: bool = True) -> None:
    checks = [
        {"gate": "win_rate_vs_base", "value": 0.8, "threshold": 0.65, "passed": passed},
        {"gate": "win_rate_vs_champion", "value": None, "threshold": threshold, "passed": True},
    ]
    adapter = AdapterVersion(
        "chat",
        version,
        AdapterState.CANDIDATE,
        datetime(2026, 12, 16, 9, version, tzinfo=UTC),
        "smollm2",
        "chat-sft@v3",
        f"job-{version}",
        blob_prefix("chat", version),
        metrics={"win_rate_vs_base": 0.8, "rouge_l": 0.41},
        gates={"passed": passed, "checks": checks},
    )
    with container.database.unit_of_work() as uow:
        uow.finetune_adapters.add(adapter)
        uow.commit()
    body = json.dumps(review_pairs(version), ensure_ascii=False).encode()
    container.blobs.put(f"{blob_prefix('chat', version)}/{REVIEW_FILE}", body, "application/json")


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    c = build_container(make_settings(LUNA_FINETUNE__TRACKING="false"))
    c.database.upgrade()
    register(c, 1)
    yield c
    c.close()


def stored(container: Container, version: int = 1) -> list[tuple[str, int, Vote]]:
    with container.database.unit_of_work(read_only=True) as uow:
        return [(v.reviewer, v.pair_index, v.vote) for v in uow.finetune_reviews.for_version("chat", version)]


def test_the_pairs_are_blind_and_the_same_on_every_reload(container: Container) -> None:
    reviews = container.finetune.reviews
    anna = reviews.pairs("chat", 1, "anna")

    assert sorted(p.index for p in anna) == list(range(PAIRS))
    assert reviews.pairs("chat", 1, "anna") == anna  # a reload shows the same page
    shown = json.dumps([asdict(p) for p in anna], ensure_ascii=False).lower()
    for word in ("candidate", "opponent", "kandidat", "champion", "base", "basis"):
        assert word not in shown
    by_index = {p.index: p for p in anna}
    for i, pair in enumerate(review_pairs(1)):
        assert {by_index[i].answer_a, by_index[i].answer_b} == {pair["candidate"], pair["opponent"]}
        assert by_index[i].question == pair["question"]
    # The candidate is not always on one side, and the order is not the file's.
    assert len({p.answer_a.startswith("Neu") for p in anna}) == 2
    orders = {tuple(p.index for p in reviews.pairs("chat", 1, who)) for who in ("anna", "ben", "cem", "dora")}
    assert len(orders) > 1


def test_a_vote_for_the_side_that_holds_the_candidate_is_stored_as_candidate(container: Container) -> None:
    reviews = container.finetune.reviews
    first, second, third = reviews.pairs("chat", 1, "anna")[:3]
    candidate_side = "A" if first.answer_a.startswith("Neu") else "B"
    opponent_side = "B" if second.answer_a.startswith("Neu") else "A"

    reviews.vote("chat", 1, "anna", first.index, candidate_side, "  zitiert richtig  ")
    reviews.vote("chat", 1, "anna", second.index, opponent_side, None)
    reviews.vote("chat", 1, "anna", third.index, "tie", "")

    assert stored(container) == [
        ("anna", first.index, Vote.CANDIDATE),
        ("anna", second.index, Vote.OPPONENT),
        ("anna", third.index, Vote.TIE),
    ]
    again = {p.index: p for p in reviews.pairs("chat", 1, "anna")}
    assert again[first.index].choice == candidate_side and again[first.index].comment == "zitiert richtig"
    assert again[second.index].choice == opponent_side and again[second.index].comment is None
    assert again[third.index].choice == "tie"
    assert all(p.choice is None for p in reviews.pairs("chat", 1, "ben"))  # votes are per reviewer
    summary = reviews.summary("chat", 1)
    assert (summary.reviewed_pairs, summary.votes, summary.win_rate) == (3, 3, 0.5)
    # The reference judge prefers the cited answer close to the reference in every pair; the reviewer
    # agreed once in three: the judge's agreement with people is measured, not assumed.
    assert summary.judge_agreement == pytest.approx(1 / 3)
    assert "Übereinstimmung des Referenz-Richters mit diesen Stimmen: 33,3 %" in reviews.export_markdown(
        "chat", 1
    )


def test_a_later_vote_replaces_the_earlier_one_in_the_count(container: Container) -> None:
    reviews = container.finetune.reviews
    pair = reviews.pairs("chat", 1, "anna")[0]
    candidate = "A" if pair.answer_a.startswith("Neu") else "B"
    opponent = "B" if candidate == "A" else "A"

    reviews.vote("chat", 1, "anna", pair.index, opponent)
    reviews.vote("chat", 1, "anna", pair.index, candidate)

    assert len(stored(container)) == 2  # both kept
    assert reviews.summary("chat", 1).win_rate == 1.0
    assert reviews.pairs("chat", 1, "anna")[0].choice == candidate


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda r: r.pairs("chat", 9, "anna"), NotFound),
        (lambda r: r.vote("chat", 9, "anna", 0, "A"), NotFound),
        (lambda r: r.vote("chat", 1, "anna", PAIRS, "A"), InvalidInput),
        (lambda r: r.vote("chat", 1, "anna", -1, "A"), InvalidInput),
        (lambda r: r.vote("chat", 1, "anna", 0, "candidate"), InvalidInput),
        (lambda r: r.vote("chat", 1, " ", 0, "A"), InvalidInput),
        (lambda r: r.vote("chat", 1, "anna", 0, "A", "x" * 2001), InvalidInput),
        (lambda r: r.export_markdown("help", 1), NotFound),
    ],
)
def test_unknown_versions_and_bad_votes_are_refused(
    container: Container, call: Callable[..., object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        call(container.finetune.reviews)
    assert stored(container) == []


def test_the_export_names_both_answers_by_role_with_the_votes_and_the_human_win_rate(
    container: Container,
) -> None:
    reviews = container.finetune.reviews
    empty = reviews.export_markdown("chat", 1)
    assert "noch keine Stimmen" in empty
    pair = reviews.pairs("chat", 1, "anna")[0]
    candidate = "A" if pair.answer_a.startswith("Neu") else "B"
    reviews.vote("chat", 1, "anna", pair.index, candidate, "nennt den Preis mit Quelle")
    reviews.vote("chat", 1, "ben", pair.index, "tie")

    text = reviews.export_markdown("chat", 1)

    assert text.startswith("# Menschliche Bewertung: chat@v1\n")
    section = text.split(f"## Paar {pair.index + 1}\n", 1)[1].split("## Paar", 1)[0]
    assert "**Kandidat (chat@v1):**\n\n> Neu v1" in section
    assert "**Basismodell:**\n\n> Alt," in section
    assert "- anna (" in section and "Kandidat besser – nennt den Preis mit Quelle" in section
    assert "- ben (" in section and "gleich gut" in section
    assert "Menschliche Gewinnrate: 75,0 %" in text
    assert "Schwelle des Champion-Gates: 50,0 %: erreicht" in text
    assert text.count("- noch keine") == PAIRS - 1


def test_promotion_is_refused_below_the_stored_threshold_unless_forced(container: Container) -> None:
    registry, reviews = container.finetune.registry, container.finetune.reviews
    register(container, 2, threshold=0.6)
    for who in ("anna", "ben"):
        for pair in reviews.pairs("chat", 2, who)[:2]:
            opponent = "B" if pair.answer_a.startswith("Neu") else "A"
            reviews.vote("chat", 2, who, pair.index, opponent if who == "anna" else "tie")
    assert reviews.summary("chat", 2).win_rate == 0.25

    with pytest.raises(Conflict, match=r"human reviewers' win-rate 0\.25 is below the gate's 0\.60"):
        registry.promote("chat", 2, "admin")
    assert registry.champion("chat") is None

    promoted = registry.promote("chat", 2, "admin", force=True)

    assert promoted.state is AdapterState.CHAMPION
    with container.database.unit_of_work(read_only=True) as uow:
        [entry] = uow.audit.list(action="finetune.promote")
    assert entry.details["human_win_rate"] == 0.25 and entry.details["force"] is True


def test_promotion_without_votes_or_with_enough_of_them_goes_ahead(container: Container) -> None:
    registry, reviews = container.finetune.registry, container.finetune.reviews
    assert registry.promote("chat", 1, "admin").state is AdapterState.CHAMPION  # nobody voted yet
    register(container, 2)
    for pair in reviews.pairs("chat", 2, "anna")[:2]:
        reviews.vote("chat", 2, "anna", pair.index, "A" if pair.answer_a.startswith("Neu") else "B")

    assert registry.promote("chat", 2, "admin").state is AdapterState.CHAMPION

    with container.database.unit_of_work(read_only=True) as uow:
        details = [e.details["human_win_rate"] for e in uow.audit.list(action="finetune.promote")]
    assert details == [1.0, None]


def test_an_operator_correction_becomes_a_training_example_for_the_feedback_pipeline(
    container: Container,
) -> None:
    pairs = json.loads(container.blobs.get(f"{blob_prefix('chat', 1)}/{REVIEW_FILE}"))
    pairs[0]["question"] = (
        "Kontext:\n[chunk c7] Nachts kostet Strom 24 ct.\n\nFrage: Was kostet Strom nachts?"
    )
    container.blobs.put(f"{blob_prefix('chat', 1)}/{REVIEW_FILE}", json.dumps(pairs).encode())

    key = container.finetune.reviews.correct("chat", 1, 0, "Nachts kostet Strom 24 ct [chunk c7].", "admin")

    assert key.startswith("drops/datasets/feedback-sft/") and key.endswith(".jsonl")
    row = json.loads(container.blobs.get(key))
    # The fields config/pipelines/feedback-sft.yaml reads from its drop folder.
    assert row == {
        "question": "Was kostet Strom nachts?",
        "answer": "Nachts kostet Strom 24 ct [chunk c7].",
        "context": "[chunk c7] Nachts kostet Strom 24 ct.",
    }
    with container.database.unit_of_work(read_only=True) as uow:
        (entry,) = uow.audit.list(action="finetune.correction")
    assert entry.target == "adapter:chat@v1" and entry.details["blob"] == key
    with pytest.raises(InvalidInput):
        container.finetune.reviews.correct("chat", 1, 0, "   ", "admin")
    with pytest.raises(InvalidInput):
        container.finetune.reviews.correct("chat", 1, 99, "Eine Antwort.", "admin")
