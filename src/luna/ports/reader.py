"""A model that reads a question and a sentence together and says whether the sentence answers it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class AnswerReader(Protocol):
    """Scores (question, sentence) pairs: a logit, higher when the sentence answers the question.

    Unlike the cosine of two vectors made apart, it sees both texts at once, so a sentence on the
    question's topic that does not answer it scores low (``bench/answer_reader.py``).
    """

    @property
    def model_name(self) -> str: ...

    def scores(self, question: str, sentences: Sequence[str]) -> list[float]: ...
