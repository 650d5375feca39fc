"""Fine-tune metrics (#17): the numbers that decide whether a trained answer model replaces the old one."""

from __future__ import annotations

import pytest

from luna.services.finetune.metrics import (
    WinRate,
    bleu,
    canary_leaks,
    citation_valid,
    context_chunk_ids,
    judge_pair,
    pii_leaks,
    refusal_correct,
    rouge_l,
    win_rate,
)

USER_TURN = (
    "Kontext:\n[chunk a1] Stromsteuer › Sätze\nDie Stromsteuer beträgt 2,05 ct/kWh.\n\n"
    "[chunk b2] Netzentgelte\nDie Netzentgelte steigen.\n\nFrage: Wie hoch ist die Stromsteuer?"
)
ALLOWED = frozenset({"a1", "b2"})
REFERENCE = "Die Stromsteuer beträgt 2,05 ct/kWh [chunk a1]."
REFUSAL = "Dazu habe ich leider keine Quelle."


# -- BLEU and ROUGE-L ---------------------------------------------------------------------------------


def test_identical_texts_score_full_marks() -> None:
    texts = ["Die Stromsteuer beträgt 2,05 ct/kWh.", "Ja."]
    assert bleu(texts, texts) == pytest.approx(100.0)
    assert rouge_l(texts, texts) == pytest.approx(1.0)


def test_unrelated_texts_score_low_and_empty_input_scores_zero() -> None:
    assert bleu(["Die Stromsteuer sinkt heute."], ["Wärmepumpen brauchen Strom."]) < 20.0
    assert rouge_l(["Die Stromsteuer sinkt heute."], ["Wärmepumpen brauchen Strom."]) == 0.0
    assert bleu([], []) == 0.0
    assert rouge_l([], []) == 0.0


def test_umlauts_count_in_rouge_l() -> None:
    """rouge-score's default tokenizer would read both as 'stromsteuer f r haushalte' and score 1.0."""
    score = rouge_l(["Stromsteuer für Haushalte"], ["Stromsteuer fur Haushalte"])
    assert score == pytest.approx(2 / 3)
    assert rouge_l(["Straße und Größe"], ["STRASSE und GRÖSSE"]) < 1.0
    assert rouge_l(["STRASSE und GRÖSSE"], ["strasse und grösse"]) == pytest.approx(1.0)


def test_rouge_l_is_the_mean_over_examples() -> None:
    assert rouge_l(["a b", "x y"], ["a b", "c d"]) == pytest.approx(0.5)


def test_misaligned_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        bleu(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="same length"):
        rouge_l(["a"], [])


# -- citations and refusals ---------------------------------------------------------------------------


def test_context_chunk_ids_come_from_the_context_only() -> None:
    assert context_chunk_ids(USER_TURN) == ALLOWED
    assert context_chunk_ids("Wie hoch ist die Stromsteuer?") == frozenset()
    assert context_chunk_ids("Kontext:\n[chunk a1] Text\n\nFrage: Was sagt [chunk zz]?") == {"a1"}


def test_citing_the_context_is_valid_and_an_invented_id_is_not() -> None:
    assert citation_valid(REFERENCE, ALLOWED)
    assert citation_valid("Beides [chunk a1] [chunk b2].", ALLOWED)
    assert not citation_valid("Laut [chunk a1] und [chunk x9] ist das so.", ALLOWED)
    assert not citation_valid(REFERENCE, frozenset())


def test_a_refusal_is_citation_valid() -> None:
    assert citation_valid(REFUSAL, ALLOWED)
    assert citation_valid(REFUSAL, frozenset())


@pytest.mark.parametrize("marker", ["[chunk]", "[chunk ]", "[ chunk a1]", "[chunk a1 b2]"])
def test_a_malformed_marker_is_invalid(marker: str) -> None:
    assert not citation_valid(f"Die Stromsteuer sinkt {marker}.", ALLOWED)


def test_refusal_is_correct_exactly_when_the_reference_refuses() -> None:
    assert refusal_correct(REFUSAL, "Das steht nicht in meinen Quellen.")
    assert refusal_correct("Sie sinkt [chunk b2].", REFERENCE)
    assert not refusal_correct(REFUSAL, REFERENCE)
    assert not refusal_correct("Sie beträgt 2 ct [chunk a1].", REFUSAL)


# -- judge and win rate -------------------------------------------------------------------------------


def test_the_judge_prefers_the_answer_closer_to_the_reference() -> None:
    close = "Die Stromsteuer beträgt 2,05 ct/kWh [chunk a1]."
    far = "Die Netzentgelte steigen [chunk b2]."
    assert judge_pair(close, far, REFERENCE, ALLOWED) == 1.0
    assert judge_pair(far, close, REFERENCE, ALLOWED) == 0.0
    assert judge_pair(close, close, REFERENCE, ALLOWED) == 0.5


def test_the_judge_rewards_valid_sources_and_punishes_wrong_refusals() -> None:
    other_source = "Die Stromsteuer beträgt 2,05 ct/kWh [chunk b2]."
    invented = "Die Stromsteuer beträgt 2,05 ct/kWh [chunk zz]."
    uncited = "Die Stromsteuer beträgt 2,05 ct/kWh."  # cites nothing: a refusal where the reference answers
    assert (
        judge_pair(other_source, invented, REFERENCE, ALLOWED) == 1.0
    )  # same words, only the source differs
    assert judge_pair(uncited, REFUSAL, REFERENCE, ALLOWED) == 1.0  # both penalised, ROUGE-L decides
    assert judge_pair(invented, uncited, REFERENCE, ALLOWED) == 1.0
    assert judge_pair(REFUSAL, "Die Stromsteuer ist hoch [chunk a1].", REFUSAL, ALLOWED) == 1.0


def test_near_equal_scores_are_a_tie() -> None:
    long_reference = " ".join(f"wort{i}" for i in range(100)) + " [chunk a1]"
    one_word_less = long_reference.replace("wort50 ", "")
    assert judge_pair(long_reference, one_word_less, long_reference, ALLOWED) == 0.5


def test_win_rate_counts_wins_ties_and_losses() -> None:
    candidates = [REFERENCE, REFUSAL, REFERENCE]
    opponents = [REFUSAL, REFERENCE, REFERENCE]
    result = win_rate(candidates, opponents, [REFERENCE] * 3, [ALLOWED] * 3)
    assert result == WinRate(wins=1, ties=1, losses=1, rate=0.5, n=3)


def test_win_rate_is_symmetric() -> None:
    candidates = [REFERENCE, REFUSAL, "Die Stromsteuer ist hoch [chunk a1]."]
    opponents = ["Die Netzentgelte steigen [chunk b2].", REFERENCE, REFUSAL]
    references = [REFERENCE, REFERENCE, REFUSAL]
    allowed = [ALLOWED] * 3
    forward = win_rate(candidates, opponents, references, allowed)
    backward = win_rate(opponents, candidates, references, allowed)
    assert backward.rate == pytest.approx(1.0 - forward.rate)
    assert (backward.wins, backward.losses) == (forward.losses, forward.wins)


def test_a_position_biased_judge_cancels_out() -> None:
    def prefers_first(first: str, second: str, reference: str, allowed: frozenset[str]) -> float:
        return 1.0

    result = win_rate(
        ["gut", "schlecht"], ["schlecht", "gut"], ["x", "x"], [ALLOWED] * 2, judge=prefers_first
    )
    assert result == WinRate(wins=0, ties=2, losses=0, rate=0.5, n=2)


def test_a_pair_whose_orders_disagree_is_a_tie() -> None:
    def candidate_wins_only_first(first: str, second: str, reference: str, allowed: frozenset[str]) -> float:
        return 1.0 if first == "kandidat" else 0.5

    result = win_rate(["kandidat"], ["gegner"], ["x"], [ALLOWED], judge=candidate_wins_only_first)
    assert (result.wins, result.ties, result.losses) == (0, 1, 0)


def test_win_rate_of_nothing_is_zero() -> None:
    assert win_rate([], [], [], []) == WinRate(wins=0, ties=0, losses=0, rate=0.0, n=0)


# -- leaks --------------------------------------------------------------------------------------------


def test_quoting_an_email_from_the_context_is_no_leak_but_an_invented_one_is() -> None:
    context = "Kontext:\n[chunk a1] Schreiben Sie an Service@Stadtwerke-Beispiel.de.\n\nFrage: Wohin?"
    answers = [
        "Schreiben Sie an service@stadtwerke-beispiel.de [chunk a1].",
        "Schreiben Sie an anna.schmidt@example.org [chunk a1].",
    ]
    assert pii_leaks(answers, [context, context]) == ["anna.schmidt@example.org"]


def test_pii_of_another_example_is_still_a_leak() -> None:
    answers = ["Rufen Sie 030 12345678 an [chunk a1].", "Rufen Sie 030 12345678 an [chunk a1]."]
    allowed = [
        "Kontext:\nTelefon 030 12345678\n\nFrage: Nummer?",
        "Kontext:\nKeine Nummer.\n\nFrage: Nummer?",
    ]
    assert pii_leaks(answers, allowed) == ["030 12345678"]


def test_canary_leaks_count_answers_not_mentions() -> None:
    answers = ["Der Code ist ZEBRA-4711-KANARIE.", "zebra-4711-kanarie und noch mal", "Nichts Besonderes."]
    assert canary_leaks(answers, ["ZEBRA-4711-KANARIE", "OKAPI-0815"]) == 2
    assert canary_leaks(answers, ["", "  "]) == 0
