"""The learning boost on the real knowledge base: bounded, wired to the stored scores, and never strong
enough to lift an irrelevant chunk above a relevant one on a fixed question set (issue #5's regression
demand; ``bench/retrieval_boost.py`` checks the team's 74 questions the same way).

The adversarial case gives every irrelevant chunk the maximum boost and the relevant ones none: if the
default ``learning.boost_max`` survives that on every question and both fusion methods, no real scores can
do worse. A control with the largest boost the settings allow shows the check would catch an inversion;
under reciprocal rank fusion the scores only break exact ties, whatever ``boost_max`` says.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from luna.container import Container, build_container
from luna.domain.events import Event, EventType
from luna.domain.learning.boost import FusionMethod, fusion_scale
from luna.ports.sql import UnitOfWork
from luna.services.knowledge.ingest import IngestRequest
from luna.services.knowledge.retrieval import (
    BoostSource,
    Citation,
    LearnedBoosts,
    RetrievalService,
    RetrievalSettings,
)
from luna.settings import Settings

DOCUMENTS = {
    "waermepumpe.md": """# Wärmepumpe im Altbau

## Vorlauftemperatur
Eine Wärmepumpe arbeitet im Altbau effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt.

## Jahresarbeitszahl
Die Jahresarbeitszahl gibt an, wie viele Kilowattstunden Wärme aus einer Kilowattstunde Strom werden.

## Förderung
Der Austausch einer alten Ölheizung gegen eine Wärmepumpe wird mit einem Zuschuss gefördert.
""",
    "tarif.md": """# Dynamischer Stromtarif

## Börsenpreis
Mit einem dynamischen Stromtarif zahlen Haushalte den Börsenpreis der jeweiligen Stunde.

## Smart Meter
Ein intelligentes Messsystem ist Voraussetzung für einen dynamischen Tarif.

## Kündigung
Einen Stromvertrag können Haushaltskunden nach der Mindestlaufzeit mit einem Monat Frist kündigen.
""",
    "photovoltaik.md": """# Photovoltaik auf dem Dach

## Einspeisevergütung
Für eingespeisten Solarstrom zahlt der Netzbetreiber eine Einspeisevergütung über zwanzig Jahre.

## Eigenverbrauch
Ein Batteriespeicher erhöht den Eigenverbrauch des Solarstroms am Abend.

## Balkonkraftwerk
Ein Balkonkraftwerk darf bis zu 800 Watt in das Hausnetz einspeisen.
""",
    "netz.md": """# Netzanschluss

## Steuerbare Verbrauchseinrichtungen
Der Netzbetreiber darf Wärmepumpen und Wallboxen bei Netzengpässen drosseln und senkt dafür das Netzentgelt.

## Zählerwechsel
Der Messstellenbetreiber kündigt einen Zählerwechsel mindestens zwei Wochen vorher an.
""",
}
QUESTIONS = [
    ("Wie warm darf der Vorlauf sein, damit die Wärmepumpe im alten Haus effizient läuft?", "unter 55 Grad"),
    ("Was bedeutet die Jahresarbeitszahl?", "aus einer Kilowattstunde Strom"),
    ("Was brauche ich für einen dynamischen Stromtarif?", "intelligentes Messsystem"),
    ("Wie viel Leistung darf ein Balkonkraftwerk haben?", "800 Watt"),
    ("Darf mein Netzbetreiber die Wallbox drosseln?", "bei Netzengpässen drosseln"),
    ("Wie lange bekomme ich Geld für eingespeisten Solarstrom?", "über zwanzig Jahre"),
    ("Mit welcher Frist kann ich meinen Stromvertrag kündigen?", "einem Monat Frist"),
]
FUSIONS: tuple[FusionMethod, ...] = ("weighted", "rrf")


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """One knowledge base for the module (ingest embeds every chunk once); tests only read it."""
    from luna.settings import load_settings

    folder = tmp_path_factory.mktemp("boost")
    environ = {
        "LUNA_DATA_DIR": str(folder / "var"),
        "LUNA_AUTH__ADMIN_API_KEY": "test-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "test-jwt-secret-0123456789abcdef",
    }
    built = build_container(load_settings("test", environ=environ, env_file=folder / "no.env"))
    built.database.upgrade()
    for name, text in DOCUMENTS.items():
        built.services.knowledge.ingest.ingest(IngestRequest(data=text.encode(), filename=name))
    yield built
    built.close()


class Adversarial:
    """Maximum boost for every chunk but the relevant ones."""

    def __init__(self) -> None:
        self.relevant: set[str] = set()

    def strengths(self, uow: UnitOfWork, chunk_ids: Sequence[str]) -> dict[str, float]:
        return {chunk_id: 0.0 if chunk_id in self.relevant else 1.0 for chunk_id in chunk_ids}


def service(
    container: Container, boosts: BoostSource | None, boost_max: float | None = None
) -> RetrievalService:
    kb, s = container.services.knowledge, container.settings
    settings = RetrievalSettings(
        candidates=s.rag.candidates,
        rrf_k=s.rag.rrf_k,
        dense_weight=s.rag.dense_weight,
        lexical_weight=s.rag.lexical_weight,
        boost_enabled=boosts is not None,
        boost_max=s.learning.boost_max if boost_max is None else boost_max,
        quality_prior_mean=s.learning.quality_prior_mean,
    )
    return RetrievalService(
        container.database, container.vectors, kb.embedder, kb.collections, kb.lexical, settings, boosts
    )


def relevant(citations: Sequence[Citation], needle: str) -> set[str]:
    return {c.chunk_id for c in citations if needle in c.payload["text"]}


def inverted_pairs(
    before: Sequence[Citation], after: Sequence[Citation], wanted: set[str]
) -> list[tuple[str, str]]:
    """(relevant, irrelevant) pairs where the relevant chunk scored strictly higher without boosts and
    ranks below the irrelevant one with them (an exact tie has no order to invert)."""
    score_before = {c.chunk_id: c.score for c in before}
    rank_after = {c.chunk_id: rank for rank, c in enumerate(after)}
    return [
        (good, bad)
        for good in wanted
        for bad in rank_after
        if bad not in wanted
        and rank_after[bad] < rank_after.get(good, len(after))
        and score_before.get(bad, -1.0) < score_before[good]
    ]


def adversarial_runs(
    container: Container, fusion: FusionMethod, boost_max: float | None
) -> list[tuple[list[Citation], list[Citation], set[str]]]:
    """Per question: the hits without boosts, with adversarial boosts, and the relevant chunk IDs."""
    attack, plain = Adversarial(), service(container, None)
    attacked = service(container, attack, boost_max)
    runs = []
    for question, needle in QUESTIONS:
        before = plain.search(question, 20, fusion=fusion).citations
        attack.relevant = relevant(before, needle)
        assert attack.relevant, f"the fixed question set must find its passage: {question}"
        runs.append((before, attacked.search(question, 20, fusion=fusion).citations, attack.relevant))
    return runs


@pytest.mark.parametrize("fusion", FUSIONS)
def test_even_an_adversarial_default_boost_never_lifts_an_irrelevant_chunk_above_a_relevant_one(
    container: Container, fusion: FusionMethod
) -> None:
    runs = adversarial_runs(container, fusion, boost_max=None)

    assert [pair for before, after, wanted in runs for pair in inverted_pairs(before, after, wanted)] == []
    if fusion == "weighted":  # the attack did happen: every irrelevant chunk carried the maximum boost
        assert all(c.boost > 0 for _, after, wanted in runs for c in after if c.chunk_id not in wanted)


def test_the_check_catches_a_weighted_boost_strong_enough_to_invert(container: Container) -> None:
    runs = adversarial_runs(container, "weighted", boost_max=1.0)

    assert [pair for before, after, wanted in runs for pair in inverted_pairs(before, after, wanted)] != []


def test_under_rank_fusion_the_scores_only_break_exact_ties_however_large_boost_max_is(
    container: Container,
) -> None:
    for before, after, _ in adversarial_runs(container, "rrf", boost_max=1.0):
        assert [c.score for c in after] == [c.score for c in before]
        assert all(c.boost == 0.0 for c in after)
        groups_before = {
            score: {c.chunk_id for c in before if c.score == score} for score in {c.score for c in before}
        }
        assert all(c.chunk_id in groups_before[c.score] for c in after)


def test_the_stored_scores_boost_by_at_most_boost_max_of_the_fusion_scale(container: Container) -> None:
    question, needle = QUESTIONS[0]
    before = service(container, None).search(question, 20).citations
    target = before[-1]  # the weakest hit becomes the most popular, best-rated chunk
    user = str(uuid.uuid4())
    now = datetime(2025, 3, 1, tzinfo=UTC)
    with container.database.unit_of_work() as uow:
        uow.users.get_or_create(user)
        uow.events.add_many([Event(str(uuid.uuid4()), user, now, EventType.LIKE, chunk_id=target.chunk_id)])
        uow.commit()
    container.services.learning.run("test")

    learned = service(container, LearnedBoosts(container.settings.learning.quality_prior_mean, ttl_sec=0.0))
    after = learned.search(question, 20).citations

    s = container.settings
    largest = s.learning.boost_max * fusion_scale(
        s.rag.fusion, s.rag.dense_weight, s.rag.lexical_weight, s.rag.rrf_k
    )
    boosted = {c.chunk_id: c for c in after}[target.chunk_id]
    # Popularity 1 and quality (1 + 2.5) / 6 above the prior 0.5: strength 0.5 + 0.5 · (0.583 − 0.5) / 0.5.
    assert boosted.boost == pytest.approx(largest * (0.5 + 0.5 * (3.5 / 6 - 0.5) / 0.5))
    assert boosted.score == pytest.approx(target.score + boosted.boost)
    assert all(c.boost == 0.0 for c in after if c.chunk_id != target.chunk_id)
    assert needle in after[0].payload["text"]


def test_the_knowledge_base_boosts_only_when_enabled(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    enabled = build_container(make_settings())
    disabled = build_container(
        make_settings(LUNA_DATA_DIR=tmp_path / "off", LUNA_LEARNING__BOOST_ENABLED="false")
    )
    try:
        assert isinstance(enabled.services.knowledge.retrieval.boosts, LearnedBoosts)
        assert disabled.services.knowledge.retrieval.boosts is None
    finally:
        enabled.close()
        disabled.close()
