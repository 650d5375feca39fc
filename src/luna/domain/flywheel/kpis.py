"""Feedback analytics: the facts of each answered turn, turned into KPI values per window and scope.

A service reads stored sessions, checks what only it can check (do the cited chunk IDs exist? does the
answer state a number no source states?), classifies the note or follow-up's sentiment, and hands one
:class:`TurnFacts` per turn to :func:`compute_kpis`. Everything here is arithmetic on those facts, so a
KPI's definition is this module and its tests, not a SQL query.

Definitions (each value's ``samples`` is its denominator, and a KPI with no samples in a bucket is
left out rather than reported as a fake 0, so a threshold never fires on a bucket that measured
nothing):

* ``usefulness_rate``: 👍 / rated turns; ``thumbs_down_rate``: 👎 / all turns (an unrated turn is a
  turn the answer did not upset enough to say so); ``refusal_rate``: refused / turns;
* ``citation_validity``: cited chunk IDs that exist / cited chunk IDs (samples: the cited IDs);
* ``unsupported_number_rate``: answers with an unsupported number / answers that were checked;
* ``retrieval_confidence``: mean best retrieval score over turns that have one;
* ``latency_p95_ms``: the 95th percentile by the nearest-rank method (always a latency that was
  measured, never an interpolation between two);
* ``repeat_question_rate``: turns whose normalised question (case-folded, punctuation dropped,
  whitespace collapsed) the same user already asked earlier in the same bucket and scope / turns;
* ``negative_sentiment_rate``: negative / turns with a note or follow-up to classify.

Speed: turns are visited once, grouped by hour and topic into running totals; the ``all`` scope and
the day and week windows are merged from those totals, never recounted from the turns.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from luna.domain.flywheel.kpi_values import ALL, Kpi, KpiValue, Window, topic_scope
from luna.domain.flywheel.sentiment import Sentiment

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_HOUR: Final = timedelta(hours=1)
_WINDOW_ORDER: Final = {window: index for index, window in enumerate(Window)}
_PUNCTUATION: Final = re.compile(r"[^\w\s]+")


@dataclass(frozen=True, slots=True)
class TurnFacts:
    """What the KPIs need to know about one answered turn; texts are already redacted."""

    #: When the question was asked (timezone-aware; buckets are cut in UTC).
    at: datetime
    session_id: str
    #: The user's pseudonym (``luna.domain.flywheel.sessions.pseudonym``).
    user_ref: str
    #: The turn's topic; None puts it in the ``all`` scope only.
    topic: str | None
    question: str
    #: +1 (useful), -1 (not useful), None (not rated).
    rating: int | None = None
    refused: bool = False
    #: Chunk IDs the answer cited, and how many of them exist in the knowledge base.
    cited: int = 0
    cited_valid: int = 0
    #: Whether the answer states a number no cited source states; None when that was not checked.
    unsupported_numbers: bool | None = None
    retrieval_score: float | None = None
    latency_ms: float | None = None
    #: Of the turn's note, or of the user's next message; None when there is no such text.
    sentiment: Sentiment | None = None

    def __post_init__(self) -> None:
        if self.at.utcoffset() is None:
            raise ValueError(f"turn time must be timezone-aware, got {self.at!r}")
        if self.rating not in (1, -1, None):
            raise ValueError(f"rating must be +1, -1 or None, got {self.rating!r}")
        if not 0 <= self.cited_valid <= self.cited:
            raise ValueError(f"cited_valid must be within 0..cited, got {self.cited_valid} of {self.cited}")


def bucket_start(at: datetime, window: Window) -> datetime:
    """The start of the UTC bucket holding ``at``: the full hour, midnight, or Monday midnight."""
    if at.utcoffset() is None:
        raise ValueError(f"bucket_start needs a timezone-aware time, got {at!r}")
    utc = at.astimezone(UTC)
    if window is Window.HOUR:
        return utc.replace(minute=0, second=0, microsecond=0)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    if window is Window.DAY:
        return midnight
    return midnight - timedelta(days=midnight.weekday())


def nearest_rank(values: Sequence[float], percent: int) -> float:
    """The smallest value with at least ``percent`` % of the values at or below it (nearest rank).

    Rank ``ceil(percent / 100 × n)``, computed in integers so 95 % of 20 is rank 19, not 20 by a
    rounding error.
    """
    if not values:
        raise ValueError("no values")
    rank = max(1, (percent * len(values) + 99) // 100)
    return sorted(values)[rank - 1]


def normalised_question(question: str) -> str:
    """The form in which two questions count as the same: case, punctuation and spacing ignored."""
    return " ".join(_PUNCTUATION.sub(" ", question.casefold()).split())


@dataclass(slots=True)
class _Tally:
    """Running totals of one bucket and scope; two tallies merge into the tally of both."""

    turns: int = 0
    rated: int = 0
    useful: int = 0
    thumbs_down: int = 0
    refused: int = 0
    cited: int = 0
    cited_valid: int = 0
    checked: int = 0
    unsupported: int = 0
    score_sum: float = 0.0
    scored: int = 0
    latencies: list[float] = field(default_factory=list)
    #: Distinct (user, normalised question) pairs: every other turn is a repeat.
    asked: set[tuple[str, str]] = field(default_factory=set)
    with_sentiment: int = 0
    negative: int = 0

    @classmethod
    def of(cls, turns: Sequence[TurnFacts], questions: dict[str, str]) -> _Tally:
        """One pass per fact over the turns of one hour and topic (C-speed comprehensions)."""
        ratings = [turn.rating for turn in turns if turn.rating is not None]
        checked = [turn.unsupported_numbers for turn in turns if turn.unsupported_numbers is not None]
        scores = [turn.retrieval_score for turn in turns if turn.retrieval_score is not None]
        sentiments = [turn.sentiment for turn in turns if turn.sentiment is not None]
        return cls(
            turns=len(turns),
            rated=len(ratings),
            useful=ratings.count(1),
            thumbs_down=ratings.count(-1),
            refused=sum(1 for turn in turns if turn.refused),
            cited=sum(turn.cited for turn in turns),
            cited_valid=sum(turn.cited_valid for turn in turns),
            checked=len(checked),
            unsupported=checked.count(True),
            score_sum=sum(scores),
            scored=len(scores),
            latencies=[turn.latency_ms for turn in turns if turn.latency_ms is not None],
            asked={(turn.user_ref, _question_key(turn.question, questions)) for turn in turns},
            with_sentiment=len(sentiments),
            negative=sentiments.count(Sentiment.NEGATIVE),
        )

    def merge(self, other: _Tally) -> None:
        self.turns += other.turns
        self.rated += other.rated
        self.useful += other.useful
        self.thumbs_down += other.thumbs_down
        self.refused += other.refused
        self.cited += other.cited
        self.cited_valid += other.cited_valid
        self.checked += other.checked
        self.unsupported += other.unsupported
        self.score_sum += other.score_sum
        self.scored += other.scored
        self.latencies.extend(other.latencies)
        self.asked |= other.asked
        self.with_sentiment += other.with_sentiment
        self.negative += other.negative

    def values(self, window: Window, start: datetime, scope: str) -> list[KpiValue]:
        """Every KPI that has samples, in the order of :class:`Kpi`."""
        latencies = len(self.latencies)
        measured = (
            (Kpi.USEFULNESS_RATE, _ratio(self.useful, self.rated), self.rated),
            (Kpi.THUMBS_DOWN_RATE, _ratio(self.thumbs_down, self.turns), self.turns),
            (Kpi.REFUSAL_RATE, _ratio(self.refused, self.turns), self.turns),
            (Kpi.CITATION_VALIDITY, _ratio(self.cited_valid, self.cited), self.cited),
            (Kpi.UNSUPPORTED_NUMBER_RATE, _ratio(self.unsupported, self.checked), self.checked),
            (Kpi.RETRIEVAL_CONFIDENCE, _ratio(self.score_sum, self.scored), self.scored),
            (Kpi.LATENCY_P95_MS, nearest_rank(self.latencies, 95) if latencies else 0.0, latencies),
            (Kpi.REPEAT_QUESTION_RATE, _ratio(self.turns - len(self.asked), self.turns), self.turns),
            (Kpi.NEGATIVE_SENTIMENT_RATE, _ratio(self.negative, self.with_sentiment), self.with_sentiment),
        )
        return [
            KpiValue(kpi=kpi, window=window, bucket_start=start, scope=scope, value=value, samples=samples)
            for kpi, value, samples in measured
            if samples
        ]


def _ratio(part: float, whole: int) -> float:
    """``part / whole``; 0.0 for no samples, a value :meth:`_Tally.values` then leaves out."""
    return part / whole if whole else 0.0


def _question_key(question: str, seen: dict[str, str]) -> str:
    """The normalised question, computed once per distinct text of a run."""
    key = seen.get(question)
    if key is None:
        key = seen[question] = normalised_question(question)
    return key


def compute_kpis(turns: Iterable[TurnFacts], windows: Iterable[Window] = tuple(Window)) -> list[KpiValue]:
    """Every KPI with samples, for every bucket of every window that holds turns, for ``all`` and each topic.

    Sorted by window (hour, day, week), bucket start, scope (``all`` before ``topic:…``) and KPI (in
    the order of :class:`Kpi`), so the same turns always give the same list.
    """
    hourly = _hourly_tallies(turns)
    values: list[KpiValue] = []
    for window in sorted(set(windows), key=_WINDOW_ORDER.__getitem__):
        buckets = hourly if window is Window.HOUR else _rebucket(hourly, window)
        for start, scope in sorted(buckets):
            values.extend(buckets[start, scope].values(window, start, scope))
    return values


def _hourly_tallies(turns: Iterable[TurnFacts]) -> dict[tuple[datetime, str], _Tally]:
    """Tallies by (UTC hour, scope): each turn is read once, into its hour and topic."""
    groups: defaultdict[tuple[int, str | None], list[TurnFacts]] = defaultdict(list)
    for turn in turns:
        groups[(turn.at - _EPOCH) // _HOUR, turn.topic].append(turn)
    questions: dict[str, str] = {}
    tallies: dict[tuple[datetime, str], _Tally] = {}
    for (hour, topic), group in groups.items():
        start = _EPOCH + hour * _HOUR
        tally = _Tally.of(group, questions)
        overall = tallies.get((start, ALL))
        if overall is None:
            overall = tallies[start, ALL] = _Tally()
        overall.merge(tally)
        if topic is not None:
            tallies[start, topic_scope(topic)] = tally
    return tallies


def _rebucket(
    hourly: Mapping[tuple[datetime, str], _Tally], window: Window
) -> dict[tuple[datetime, str], _Tally]:
    """The hourly tallies merged into the buckets of a longer window (each hour lies in exactly one)."""
    merged: dict[tuple[datetime, str], _Tally] = {}
    starts: dict[datetime, datetime] = {}
    for (hour, scope), tally in hourly.items():
        start = starts.get(hour)
        if start is None:
            start = starts[hour] = bucket_start(hour, window)
        target = merged.get((start, scope))
        if target is None:
            target = merged[start, scope] = _Tally()
        target.merge(tally)
    return merged
