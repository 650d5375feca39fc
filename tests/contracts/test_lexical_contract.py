"""Behaviour every LexicalIndex must show: ranking, upserts, removal, filters, persistence, German.

Each test runs against every implementation in ``IMPLEMENTATIONS``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from luna.adapters.lexical.bm25s import Bm25sLexicalIndex
from luna.domain.errors import InvalidInput
from luna.domain.health import HealthStatus
from luna.ports.lexical import LexicalDocument, LexicalHit, LexicalIndex

IMPLEMENTATIONS: dict[str, Callable[[], LexicalIndex]] = {"bm25s": Bm25sLexicalIndex}

LAWS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "gesetze"

ENERGY_TEXTS: list[LexicalDocument] = [
    ("heat", "Der Tarif für Wärmepumpen ist günstiger als der Haushaltstarif.", {"kind": "tariff"}),
    ("pv", "Die Photovoltaikanlage auf dem Dach erzeugt im Sommer viel Strom.", {"kind": "generation"}),
    ("malo", "Jede Marktlokation hat eine eigene Identifikationsnummer.", {"kind": "metering"}),
    ("grid", "Die Entgelte für die Nutzung des Netzes zahlt der Lieferant.", {"kind": "tariff"}),
    ("building", "Das Gebäude wurde 2019 gedämmt und spart Heizenergie.", {"kind": "efficiency"}),
    (
        "s14a",
        "Nach § 14a EnWG darf der Netzbetreiber steuerbare Verbrauchseinrichtungen dimmen.",
        {"kind": "law"},
    ),
    ("s14", "§ 14 regelt die Aufgaben der Betreiber von Elektrizitätsverteilernetzen.", {"kind": "law"}),
    ("gas", "Der Gaspreis ist im Winter gestiegen, die Heizkosten auch.", {"kind": "tariff"}),
    ("battery", "Ein Batteriespeicher verschiebt Solarstrom in den Abend.", {"kind": "storage"}),
]


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def make_index(request: pytest.FixtureRequest) -> Callable[[], LexicalIndex]:
    return IMPLEMENTATIONS[request.param]


@pytest.fixture
def index(make_index: Callable[[], LexicalIndex]) -> LexicalIndex:
    return make_index()


@pytest.fixture
def energy_index(index: LexicalIndex) -> LexicalIndex:
    index.add(ENERGY_TEXTS)
    return index


def found(index: LexicalIndex, query: str, limit: int = 10, **where: object) -> list[str]:
    return [hit.chunk_id for hit in index.search(query, limit, where or None)]


class TestBasics:
    def test_an_empty_index_finds_nothing(self, index):
        assert index.search("Strom", 5) == []
        assert index.count() == 0

    def test_the_best_match_comes_first_and_non_matches_never(self, index):
        index.add(
            [
                ("both", "Wärmepumpe mit eigenem Tarif", {}),
                ("one", "Die Wärmepumpe läuft nachts", {}),
                ("none", "Der Wind weht über das Feld", {}),
            ]
        )
        hits = index.search("Tarif für die Wärmepumpe", 10)
        assert [hit.chunk_id for hit in hits] == ["both", "one"]
        assert all(isinstance(hit, LexicalHit) and hit.score > 0 for hit in hits)
        assert hits[0].score > hits[1].score

    def test_limit_caps_the_result(self, index):
        index.add([(f"doc{i}", f"Strom Messung {i}", {}) for i in range(10)])
        assert len(index.search("Strom", 3)) == 3
        assert index.search("Strom", 0) == []

    def test_a_query_of_stop_words_or_unknown_words_finds_nothing(self, energy_index):
        assert energy_index.search("und der die das", 5) == []
        assert energy_index.search("Quantencomputer", 5) == []

    def test_equal_scores_are_ordered_by_chunk_id(self, index):
        index.add([(chunk_id, "Lastspitze am Abend", {}) for chunk_id in ["c", "a", "b"]])
        assert found(index, "Lastspitze") == ["a", "b", "c"]

    def test_adding_an_existing_id_replaces_its_text_and_payload(self, index):
        index.add([("doc", "Windkraft an Land", {"kind": "old"})])
        index.add([("doc", "Solarstrom vom Dach", {"kind": "new"})])
        assert index.count() == 1
        assert found(index, "Windkraft") == []
        assert found(index, "Solarstrom", kind="new") == ["doc"]
        assert found(index, "Solarstrom", kind="old") == []

    def test_changes_show_in_the_next_search(self, energy_index):
        assert found(energy_index, "Biogas") == []
        energy_index.add([("biogas", "Die Biogasanlage speist Strom ein.", {})])
        assert found(energy_index, "Biogas") == ["biogas"]
        energy_index.remove(["biogas"])
        assert found(energy_index, "Biogas") == []

    def test_remove_forgets_documents_and_ignores_unknown_ids(self, energy_index):
        energy_index.remove(["gas", "never-added"])
        assert "gas" not in found(energy_index, "Gaspreis Heizkosten")
        assert energy_index.count() == len(ENERGY_TEXTS) - 1

    def test_clear_empties_the_index(self, energy_index):
        energy_index.clear()
        assert energy_index.count() == 0
        assert energy_index.search("Strom", 5) == []
        assert not energy_index.holds_word("Strom")

    def test_it_holds_a_word_as_written_not_as_a_compound_part(self, energy_index):
        assert energy_index.holds_word("Marktlokation")
        assert energy_index.holds_word("MARKTLOKATION") and energy_index.holds_word("Gebaeude")
        assert not energy_index.holds_word("Lokation")  # only a part of "Marktlokation"
        assert not energy_index.holds_word("Viessmann")
        assert not energy_index.holds_word("Marktlokation Viessmann")  # one word is asked about

    def test_it_holds_a_word_as_the_head_of_a_compound_not_as_its_first_part(self, energy_index):
        assert energy_index.holds_head("Lokation") and energy_index.holds_head("LOKATION")
        assert energy_index.holds_head("Marktlokation")
        assert not energy_index.holds_head("Markt")  # the first part, not the head
        assert not energy_index.holds_head("tion")  # ends the word, but five letters are the least
        assert not energy_index.holds_head("Lokation Viessmann")
        energy_index.clear()
        assert not energy_index.holds_head("Lokation")

    def test_a_removed_documents_words_are_no_longer_held(self, energy_index):
        energy_index.add([("firm", "Die Stadtwerke Ulm liefern Fernwärme.", {})])
        assert energy_index.holds_word("Ulm")
        energy_index.remove(["firm"])
        assert not energy_index.holds_word("Ulm")
        assert energy_index.holds_word("Marktlokation")

    def test_health_reports_up_with_the_document_count(self, energy_index):
        health = energy_index.health()
        assert health.status is HealthStatus.UP
        assert health.extra["documents"] == len(ENERGY_TEXTS)


class TestFilters:
    @pytest.fixture
    def tagged(self, index: LexicalIndex) -> LexicalIndex:
        index.add(
            [
                (
                    "a",
                    "Strom aus Wind",
                    {"item_id": "i1", "tags": ["wind", "onshore"], "page": 1, "public": True},
                ),
                ("b", "Strom aus Sonne", {"item_id": "i2", "tags": ["solar"], "page": 2, "public": False}),
                ("c", "Strom aus Wasser", {"item_id": "i3", "tags": [], "page": 1, "public": True}),
                ("d", "Strom aus Biomasse", {"tags": ["bio"]}),
            ]
        )
        return index

    def test_equality(self, tagged):
        assert found(tagged, "Strom", item_id="i2") == ["b"]
        assert found(tagged, "Strom", page=1) == ["a", "c"]
        assert found(tagged, "Strom", public=True) == ["a", "c"]

    def test_a_boolean_is_not_a_number(self, tagged):
        assert found(tagged, "Strom", page=True) == []

    def test_any_of_a_list(self, tagged):
        assert found(tagged, "Strom", item_id=["i1", "i3", "nope"]) == ["a", "c"]

    def test_a_list_field_contains_the_value(self, tagged):
        assert found(tagged, "Strom", tags="onshore") == ["a"]
        assert found(tagged, "Strom", tags=["solar", "bio"]) == ["b", "d"]

    def test_all_keys_must_match_and_missing_keys_never_do(self, tagged):
        assert found(tagged, "Strom", page=1, tags="wind") == ["a"]
        assert found(tagged, "Strom", item_id=["i1", "i2", "i3"], public=False) == ["b"]
        assert found(tagged, "Biomasse", item_id="i1") == []

    def test_count_with_a_filter(self, tagged):
        assert tagged.count({"page": 1}) == 2
        assert tagged.count({"tags": ["wind", "bio"]}) == 2
        assert tagged.count({"item_id": "none"}) == 0

    def test_the_filter_applies_before_the_top_k_cut(self, index):
        strong = [
            (f"strong{i:02}", "Netzentgelt Netzentgelt Netzentgelt", {"item_id": "a"}) for i in range(20)
        ]
        index.add(
            [*strong, ("weak", "Ein Netzentgelt neben vielen anderen Worten im Text", {"item_id": "b"})]
        )
        assert found(index, "Netzentgelt", limit=3, item_id="b") == ["weak"]

    def test_an_unsupported_filter_value_is_refused(self, tagged):
        with pytest.raises(InvalidInput):
            tagged.search("Strom", 5, {"item_id": {"nested": 1}})


class TestPersistence:
    def test_a_saved_index_loads_with_the_same_results(self, energy_index, make_index, tmp_path):
        queries = ["Wärmepumpentarif", "PV-Anlage", "§ 14a", "Heizkosten Gas"]
        before = {query: energy_index.search(query, 5, None) for query in queries}
        energy_index.save(tmp_path / "lexical")
        energy_index.save(tmp_path / "lexical")

        restored = make_index()
        restored.add([("stale", "wird durch das Laden ersetzt", {})])
        restored.load(tmp_path / "lexical")
        assert restored.count() == len(ENERGY_TEXTS)
        assert {query: restored.search(query, 5, None) for query in queries} == before
        assert found(restored, "Photovoltaik", kind="generation") == ["pv"]
        assert restored.holds_word("Marktlokation") and not restored.holds_word("wird")

    def test_a_loaded_index_keeps_taking_changes(self, energy_index, make_index, tmp_path):
        energy_index.save(tmp_path / "lexical")
        restored = make_index()
        restored.load(tmp_path / "lexical")
        restored.add([("new", "Ein Stromspeicher im Keller", {"kind": "storage"})])
        restored.remove(["battery"])
        assert found(restored, "Heimspeicher", kind="storage") == ["new"]

    def test_an_empty_index_round_trips(self, index, make_index, tmp_path):
        index.save(tmp_path / "empty")
        restored = make_index()
        restored.load(tmp_path / "empty")
        assert restored.count() == 0
        assert restored.search("Strom", 5) == []


def test_concurrent_adds_and_searches_lose_nothing(index):
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for batch in range(5):
                index.add(
                    [(f"w{worker}-{batch}-{n}", f"Zählerstand {worker} Messung {n}", {}) for n in range(20)]
                )
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(20):
                index.search("Zählerstand Messung", 5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(3)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert index.count() == 3 * 5 * 20
    assert len(index.search("Zählerstand", 1000)) == 300


class TestGerman:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("Wärmepumpentarif", "heat"),
            ("PV-Anlage", "pv"),
            ("MaLo", "malo"),
            ("Netzentgelte", "grid"),
            ("Gebaeude", "building"),
            ("Gebaude", "building"),
            ("Solaranlage Speicher", "battery"),
            ("Paragraf 14a", "s14a"),
            ("§14a EnWG", "s14a"),
            ("Gasheizung", "gas"),
        ],
    )
    def test_german_variants_find_the_document(self, energy_index, query, expected):
        assert found(energy_index, query)[0] == expected

    def test_a_section_number_does_not_match_its_lettered_neighbour_first(self, energy_index):
        assert found(energy_index, "§ 14")[0] == "s14"


def law_sections(name: str) -> list[LexicalDocument]:
    """One document per § of a law file: heading and text, id like ``msbg § 14``."""
    text = (LAWS / f"{name}.md").read_text(encoding="utf-8")
    sections: list[LexicalDocument] = []
    for block in re.split(r"^#+ ", text, flags=re.MULTILINE)[1:]:
        heading = re.match(r"§ \d+[a-z]?", block)
        if heading:
            sections.append((f"{name} {heading.group(0)}", block, {"law": name}))
    return sections


@pytest.mark.skipif(not LAWS.is_dir(), reason="the shared law corpus is not next to the repository")
@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("Wie wird Strom für Elektroautos an Ladepunkten besteuert?", "stromstg § 5a"),
        ("Wie hoch ist die Stromsteuer pro Megawattstunde?", "stromstg § 3"),
        ("Bekomme ich die Stromsteuer für den öffentlichen Nahverkehr erstattet?", "stromstg § 9c"),
        ("Kann ich meinen Messstellenbetreiber wechseln?", "msbg § 14"),
        ("Darf der Messstellenbetreiber mein Grundstück betreten, um den Zähler abzulesen?", "msbg § 38"),
        ("Mein Stromzähler misst falsch, wer bezahlt die Prüfung?", "msbg § 71"),
    ],
)
def test_everyday_questions_find_their_law_section(make_index, question, section):
    index = make_index()
    index.add(law_sections("stromstg") + law_sections("msbg"))
    assert section in found(index, question, limit=5)


@pytest.mark.skipif(not LAWS.is_dir(), reason="the shared law corpus is not next to the repository")
@pytest.mark.parametrize(
    ("question", "section"),
    [
        # The statute says "Unterbrechung der Versorgung" and "Zutrittsrecht" (luna.domain.everyday_terms).
        ("Wann darf mir der Versorger mit einer Stromsperre drohen?", "stromgvv § 19"),
        ("Muss ich den Zählerableser in meine Wohnung lassen?", "stromgvv § 9"),
    ],
)
def test_everyday_words_find_the_paragraph_in_legal_words_first(make_index, question, section):
    index = make_index()
    index.add(law_sections("stromstg") + law_sections("msbg") + law_sections("stromgvv"))
    assert found(index, question)[0] == section
