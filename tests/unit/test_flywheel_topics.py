"""Topics: questions grouped by the similarity of their vectors, named by the words they share."""

from __future__ import annotations

from luna.domain.flywheel.topics import cluster, label, topics


def test_similar_vectors_share_a_group_in_order_of_first_appearance() -> None:
    vectors = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.99, 0.05, 0.0], [0.02, 0.98, 0.1], [0.0, 0.0, 1.0]]
    assert cluster(vectors, threshold=0.9) == [0, 1, 0, 1, 2]
    assert cluster([], threshold=0.9) == []


def test_a_label_is_the_two_content_words_most_questions_use() -> None:
    questions = [
        "Muss ich mein Balkonkraftwerk anmelden?",
        "Wie melde ich ein Balkonkraftwerk beim Netzbetreiber an?",
        "Balkonkraftwerk anmelden: wo?",
    ]
    assert label(questions) == "balkonkraftwerk anmelden"
    assert label(["Was kostet das?"]) == "sonstiges"  # nothing but stop words and generic ones


def test_groups_with_the_same_label_are_one_topic() -> None:
    questions = ["Wärmepumpe Förderung?", "Förderung Wärmepumpe bitte", "Netzentgelte Haushalt"]
    vectors = [[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]]
    found = topics(questions, vectors, threshold=0.99)
    assert [(t.label, t.members) for t in found] == [
        ("förderung wärmepumpe", (0, 1)),
        ("haushalt netzentgelte", (2,)),
    ]
