"""The blind human review of an adapter version: pairs shown as "Antwort A"/"Antwort B", votes stored by
role, and a markdown export.

A version's ``review.json`` (written when it was registered) holds test questions with the candidate's
answer and its opponent's (the champion's, or the base model's when there was none). Every reviewer sees
the pairs in an order of their own and, per pair, the candidate on side A or B, both drawn from a hash of
(adapter, version, reviewer, pair): reloading shows the same page, and nothing in what :meth:`pairs`
returns tells the sides apart. :meth:`vote` draws the same side again and stores ``candidate``,
``opponent`` or ``tie``, so the votes count at promotion (:mod:`luna.services.finetune.registry`).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from luna.domain.errors import InvalidInput, NotFound
from luna.domain.finetune.registry import AdapterVersion
from luna.domain.finetune.reviews import (
    MAX_COMMENT_CHARS,
    MAX_REVIEWER_CHARS,
    ReviewVote,
    Vote,
    champion_threshold,
    current_votes,
    human_win_rate,
    vote_counts,
)
from luna.domain.german_numbers import de_percent
from luna.domain.scores import AuditEntry
from luna.ports.blobs import BlobStore
from luna.ports.sql import Database
from luna.services.finetune.metrics import context_chunk_ids, judge_pair
from luna.services.finetune.registry import REVIEW_FILE

#: What a reviewer may answer: side A is better, side B is better, or both are equally good.
CHOICES: Final = ("A", "B", "tie")
#: The markdown export's file name.
EXPORT_FILE: Final = "finetune_reviews.md"
_OPPONENTS: Final = {"champion": "Champion", "base": "Basismodell"}
_VERDICTS: Final = {
    Vote.CANDIDATE: "Kandidat besser",
    Vote.OPPONENT: "Gegenüber besser",
    Vote.TIE: "gleich gut",
}

#: Where the ``feedback-sft`` pipeline reads operator corrections (config/pipelines/feedback-sft.yaml).
CORRECTIONS_PREFIX: Final = "drops/datasets/feedback-sft/"
MAX_CORRECTION_CHARS: Final = 4000
_CONTEXT_AND_QUESTION = re.compile(r"Kontext:\s*(.*?)\n\s*\nFrage:\s*(.+)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ReviewPair:
    """One pair as a reviewer sees it: which answer is the candidate's is not said."""

    #: The pair's number in the version's review file: what :meth:`ReviewService.vote` takes.
    index: int
    question: str
    reference: str
    answer_a: str
    answer_b: str
    #: This reviewer's vote that counts, as the side they chose (``A``, ``B``, ``tie``), and its comment.
    choice: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    """The counted votes of a version and the threshold they are held to at promotion."""

    pairs: int
    reviewed_pairs: int
    votes: int
    candidate: int
    opponent: int
    tie: int
    win_rate: float | None
    #: The stored ``win_rate_vs_champion`` gate's threshold (None when the version has none).
    threshold: float | None
    #: How often the reference judge (``metrics.judge_pair``) gave the counted human verdict: the
    #: judge's validation against people, measured on every version that has votes.
    judge_agreement: float | None = None

    @property
    def below_threshold(self) -> bool:
        return self.win_rate is not None and self.threshold is not None and self.win_rate < self.threshold


@dataclass(frozen=True, slots=True)
class _Stored:
    question: str
    reference: str
    candidate: str
    opponent: str
    opponent_kind: str


class ReviewService:
    def __init__(
        self,
        database: Database,
        blobs: BlobStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = database
        self._blobs = blobs
        self._clock = clock

    def pairs(self, name: str, version: int, reviewer: str) -> list[ReviewPair]:
        """The version's pairs in this reviewer's order, each with the sides drawn for them."""
        reviewer = _reviewer(reviewer)
        _, stored, votes = self._read(name, version)
        mine = {v.pair_index: v for v in current_votes(votes) if v.reviewer == reviewer}
        order = list(range(len(stored)))
        # A stable shuffle per reviewer, not a secret: the sides are hidden from the reviewer's eyes only.
        random.Random(_seed("order", name, version, reviewer)).shuffle(order)  # noqa: S311
        shown = []
        for index in order:
            pair = stored[index]
            a_is_candidate = _candidate_on_a(name, version, reviewer, index)
            first, second = (
                (pair.candidate, pair.opponent) if a_is_candidate else (pair.opponent, pair.candidate)
            )
            vote = mine.get(index)
            choice = None if vote is None else _side(vote.vote, a_is_candidate)
            shown.append(
                ReviewPair(
                    index,
                    pair.question,
                    pair.reference,
                    first,
                    second,
                    choice,
                    None if vote is None else vote.comment,
                )
            )
        return shown

    def vote(
        self, name: str, version: int, reviewer: str, pair_index: int, choice: str, comment: str | None = None
    ) -> None:
        """Keep the reviewer's verdict on a pair as the role the side names (candidate, opponent, tie)."""
        reviewer = _reviewer(reviewer)
        if choice not in CHOICES:
            raise InvalidInput(f"choice must be one of {', '.join(CHOICES)}")
        note = (comment or "").strip() or None
        if note is not None and len(note) > MAX_COMMENT_CHARS:
            raise InvalidInput(f"A review comment may have at most {MAX_COMMENT_CHARS} characters.")
        _, stored, _ = self._read(name, version)
        if not 0 <= pair_index < len(stored):
            raise InvalidInput(f"{name}@v{version} has no review pair {pair_index} (it has {len(stored)}).")
        if choice == "tie":
            verdict = Vote.TIE
        else:
            on_a = _candidate_on_a(name, version, reviewer, pair_index)
            verdict = Vote.CANDIDATE if (choice == "A") == on_a else Vote.OPPONENT
        vote = ReviewVote(
            str(uuid.uuid4()), name, version, pair_index, reviewer, verdict, self._clock(), note
        )
        with self._db.unit_of_work() as uow:
            uow.finetune_reviews.add(vote)
            uow.commit()

    def correct(self, name: str, version: int, pair_index: int, answer: str, author: str) -> str:
        """An operator's better answer to a review question becomes training data: one JSON Lines file
        in the ``feedback-sft`` pipeline's drop folder (its next run reads it as a correction).
        Returns the blob key; audited as ``finetune.correction``."""
        text = answer.strip()
        if not text or len(text) > MAX_CORRECTION_CHARS:
            raise InvalidInput(f"A corrected answer needs 1 to {MAX_CORRECTION_CHARS} characters.")
        _, stored, _ = self._read(name, version)
        if not 0 <= pair_index < len(stored):
            raise InvalidInput(f"{name}@v{version} has no review pair {pair_index} (it has {len(stored)}).")
        context, question = split_user_turn(stored[pair_index].question)
        row = {"question": question, "answer": text, **({"context": context} if context else {})}
        key = f"{CORRECTIONS_PREFIX}review-{name}-v{version}-{uuid.uuid4().hex[:12]}.jsonl"
        self._blobs.put(
            key, (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"), "application/jsonl"
        )
        entry = AuditEntry(
            str(uuid.uuid4()),
            self._clock(),
            _reviewer(author),
            "finetune.correction",
            f"adapter:{name}@v{version}",
            {"pair": pair_index, "blob": key},
        )
        with self._db.unit_of_work() as uow:
            uow.audit.add(entry)
            uow.commit()
        return key

    def summary(self, name: str, version: int) -> ReviewSummary:
        adapter, stored, votes = self._read(name, version)
        return _summary(adapter, stored, votes)

    def export_markdown(self, name: str, version: int) -> str:
        """``finetune_reviews.md``: each pair with both answers by role and its votes; the human win-rate."""
        adapter, stored, votes = self._read(name, version)
        counted = current_votes(votes)
        summary = _summary(adapter, stored, votes)
        lines = [
            f"# Menschliche Bewertung: {adapter.label}",
            "",
            f"Kandidat {adapter.label} (Datensatz {adapter.dataset}, Basismodell {adapter.base_model}); "
            f"Stand {self._clock().astimezone(UTC):%Y-%m-%d %H:%M} UTC.",
            "",
            "## Zusammenfassung",
            "",
            *_summary_lines(summary),
        ]
        for index, pair in enumerate(stored):
            opponent = _OPPONENTS.get(pair.opponent_kind, pair.opponent_kind)
            lines += [
                "",
                f"## Paar {index + 1}",
                "",
                "**Frage:**",
                "",
                _quote(pair.question),
                "",
                "**Referenzantwort:**",
                "",
                _quote(pair.reference),
                "",
                f"**Kandidat ({adapter.label}):**",
                "",
                _quote(pair.candidate),
                "",
                f"**{opponent}:**",
                "",
                _quote(pair.opponent),
                "",
                "**Stimmen:**",
                "",
            ]
            mine = [v for v in counted if v.pair_index == index]
            lines += [_vote_line(v) for v in mine] or ["- noch keine"]
        return "\n".join(lines) + "\n"

    def _read(self, name: str, version: int) -> tuple[AdapterVersion, list[_Stored], Sequence[ReviewVote]]:
        with self._db.unit_of_work(read_only=True) as uow:
            adapter = uow.finetune_adapters.get(name, version)
            if adapter is None:
                raise NotFound(f"No adapter {name}@v{version}.")
            votes = uow.finetune_reviews.for_version(name, version)
        key = f"{adapter.blob_prefix.rstrip('/')}/{REVIEW_FILE}"
        stored = _parse(self._blobs.get(key)) if self._blobs.exists(key) else []
        return adapter, stored, votes


def split_user_turn(user: str) -> tuple[str | None, str]:
    """(context, question) of a user turn written as ``Kontext:\n…\n\nFrage: …`` (or a plain question)."""
    match = _CONTEXT_AND_QUESTION.fullmatch(user.strip())
    return (match[1].strip(), match[2].strip()) if match else (None, user.strip())


def _parse(raw: bytes) -> list[_Stored]:
    loaded: Any = json.loads(raw.decode("utf-8"))
    if not isinstance(loaded, list):
        return []
    return [
        _Stored(
            _text(item, "question"),
            _text(item, "reference"),
            _text(item, "candidate"),
            _text(item, "opponent"),
            _text(item, "opponent_kind") or "base",
        )
        for item in loaded
        if isinstance(item, Mapping)
    ]


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _reviewer(reviewer: str) -> str:
    name = reviewer.strip()
    if not name or len(name) > MAX_REVIEWER_CHARS:
        raise InvalidInput(f"reviewer must have 1 to {MAX_REVIEWER_CHARS} characters")
    return name


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:8], "big")


def _candidate_on_a(name: str, version: int, reviewer: str, index: int) -> bool:
    return _seed("side", name, version, reviewer, index) % 2 == 0


def _side(vote: Vote, a_is_candidate: bool) -> str:
    if vote is Vote.TIE:
        return "tie"
    return "A" if (vote is Vote.CANDIDATE) == a_is_candidate else "B"


def _summary(
    adapter: AdapterVersion, stored: Sequence[_Stored], votes: Sequence[ReviewVote]
) -> ReviewSummary:
    counted = current_votes(votes)
    counts = vote_counts(counted)
    return ReviewSummary(
        pairs=len(stored),
        reviewed_pairs=len({v.pair_index for v in counted}),
        votes=len(counted),
        candidate=counts[Vote.CANDIDATE],
        opponent=counts[Vote.OPPONENT],
        tie=counts[Vote.TIE],
        win_rate=human_win_rate(counted),
        threshold=champion_threshold(adapter.gates),
        judge_agreement=_judge_agreement(stored, counted),
    )


def _judge_agreement(stored: Sequence[_Stored], counted: Sequence[ReviewVote]) -> float | None:
    """Share of counted votes whose verdict the reference judge gives the same pair."""
    verdicts = {1.0: Vote.CANDIDATE, 0.0: Vote.OPPONENT, 0.5: Vote.TIE}
    agree = [
        verdicts[judge_pair(p.candidate, p.opponent, p.reference, context_chunk_ids(p.question))] == v.vote
        for v in counted
        if 0 <= v.pair_index < len(stored) and (p := stored[v.pair_index])
    ]
    return sum(agree) / len(agree) if agree else None


def _percent(value: float) -> str:
    return de_percent(value, 1)


def _summary_lines(summary: ReviewSummary) -> list[str]:
    lines = [
        f"- Bewertete Paare: {summary.reviewed_pairs} von {summary.pairs}",
        f"- Gezählte Stimmen: {summary.votes} (Kandidat besser: {summary.candidate}, "
        f"Gegenüber besser: {summary.opponent}, gleich gut: {summary.tie})",
    ]
    if summary.win_rate is None:
        lines.append("- Menschliche Gewinnrate: noch keine Stimmen")
    else:
        lines.append(f"- Menschliche Gewinnrate: {_percent(summary.win_rate)} (gleich gut zählt halb)")
    if summary.threshold is not None:
        verdict = (
            ""
            if summary.win_rate is None
            else (": nicht erreicht" if summary.below_threshold else ": erreicht")
        )
        lines.append(f"- Schwelle des Champion-Gates: {_percent(summary.threshold)}{verdict}")
    if summary.judge_agreement is not None:
        lines.append(
            f"- Übereinstimmung des Referenz-Richters mit diesen Stimmen: {_percent(summary.judge_agreement)}"
        )
    lines.append("- Zählt die letzte Stimme jeder Person je Paar.")
    return lines


def _vote_line(vote: ReviewVote) -> str:
    line = f"- {vote.reviewer} ({vote.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC): {_VERDICTS[vote.vote]}"
    if vote.comment:
        line += " – " + " ".join(vote.comment.split())
    return line


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in (text.strip() or "(leer)").splitlines())
