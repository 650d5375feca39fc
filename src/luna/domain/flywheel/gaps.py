"""Knowledge gaps: groups of questions Luna could not answer well, with what is missing.

A gap is found among the questions of a window that were refused or rated 👎: similar questions are
grouped (by meaning, through the embedding model), and each group is checked against the knowledge
base. A group whose best retrieval score stays low is a gap: the documents do not cover the topic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KnowledgeGap:
    """One group of unanswered questions and what the knowledge base offers for it."""

    #: A short label: the words the group's questions share most (e.g. "balkonkraftwerk anmeldung").
    topic: str
    #: Unanswered or 👎-rated questions in the group.
    questions: int
    #: Up to five of them, redacted as stored.
    examples: tuple[str, ...]
    #: Titles of the closest documents in the knowledge base (they may well be off topic).
    nearest_documents: tuple[str, ...]
    #: The best retrieval score any of the group's questions reached (None: nothing retrieved).
    best_score: float | None
    #: In German, for the operator: what to add.
    suggestion: str
