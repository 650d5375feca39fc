"""German analysis for the lexical leg: which spellings, compounds and abbreviations meet."""

from __future__ import annotations

from collections import Counter

import pytest

from luna.domain.german_text import CONCEPT_PREFIX, GermanAnalyzer, fold, surface_tokens


@pytest.fixture(scope="module")
def analyzer() -> GermanAnalyzer:
    return GermanAnalyzer()


def stem_of(analyzer: GermanAnalyzer, word: str) -> str:
    return analyzer.terms(word)[0]


def concepts(analyzer: GermanAnalyzer, text: str) -> set[str]:
    return {term for term in analyzer.terms(text) if term.startswith(CONCEPT_PREFIX)}


def test_umlaut_digraph_and_plain_spellings_meet(analyzer):
    assert fold("Gebäude") == fold("Gebaeude") == fold("Gebaude") == "gebaude"
    assert analyzer.terms("Gebäude") == analyzer.terms("Gebaeude") == analyzer.terms("Gebaude")
    assert analyzer.terms("Straße") == analyzer.terms("Strasse")
    assert analyzer.terms("Wärmepumpe") == analyzer.terms("WAERMEPUMPE")


def test_ue_stays_where_it_is_no_umlaut(analyzer):
    assert fold("Steuer Quelle Bauer") == "steuer quelle bauer"


@pytest.mark.parametrize(
    ("compound", "parts"),
    [
        ("Wärmepumpentarif", ["Wärme", "Pumpe", "Tarif"]),
        ("Netzentgelte", ["Netz", "Entgelt"]),
        ("Stromsteuergesetz", ["Strom", "Steuer", "Gesetz"]),
        ("Leistungsmessung", ["Leistung", "Messung"]),
        ("Erdgasspeicher", ["Erdgas", "Speicher"]),
    ],
)
def test_compounds_yield_the_whole_word_and_its_parts(analyzer, compound, parts):
    terms = analyzer.terms(compound)
    assert terms[0] == stem_of(analyzer, compound)
    assert {stem_of(analyzer, part) for part in parts} <= set(terms)


def test_the_corpus_vocabulary_teaches_the_splitter_new_parts():
    word = "Schwimmbadheizung"
    assert len(GermanAnalyzer().terms(word)) == 1
    taught = GermanAnalyzer(Counter(surface_tokens("Das Schwimmbad ist beheizt.")))
    assert {stem_of(taught, "Schwimmbad"), stem_of(taught, "Heizung")} <= set(taught.terms(word))


def test_a_query_word_the_index_does_not_know_is_split_by_common_german_words_too():
    # A price sheet says "Hochlast"; neither "hoch" nor "zeit" occurs in it as a word of its own.
    rows = "Hochlast 17:00 – 20:00 Uhr, Niedriglast 00:00 – 06:00 Uhr"
    sheet = GermanAnalyzer(Counter(surface_tokens(rows)))
    index_terms = set(sheet.terms(rows))
    hochlast = stem_of(sheet, "Hochlast")

    assert hochlast not in sheet.query_terms("Strom in der Hochlastzeit")  # as the index splits it
    assert hochlast in sheet.query_terms("Strom in der Hochlastzeit", known=index_terms)
    assert "hochlastzeit" not in index_terms  # the index keeps its own terms


def test_a_query_word_the_index_knows_is_left_as_the_index_analyses_it():
    analyzer = GermanAnalyzer(Counter(surface_tokens("Der Verbraucher zahlt das Netzentgelt.")))
    known = set(analyzer.terms("Der Verbraucher zahlt das Netzentgelt."))

    for query in ("Was zahlt der Verbraucher?", "Wie hoch ist das Netzentgelt?"):
        assert analyzer.query_terms(query, known=known) == analyzer.query_terms(query)


def test_plain_words_are_not_cut_into_pieces(analyzer):
    assert analyzer.terms("Verbraucher") == ["verbrauch"]
    assert analyzer.terms("Anlagen") == ["anlag"]


@pytest.mark.parametrize("text", ["§ 14a EnWG", "§14a", "§§ 14a", "nach Paragraf 14a", "Paragraph 14a"])
def test_section_references_become_one_term(analyzer, text):
    assert {"§14a", "14a"} <= set(analyzer.terms(text))


def test_section_numbers_keep_their_letter(analyzer):
    assert "§14a" not in analyzer.terms("§ 14 Absatz 1")
    assert "§14" in analyzer.terms("§ 14 Absatz 1")


def test_decimal_numbers_stay_whole(analyzer):
    assert "4,2" in analyzer.terms("bis 4,2 kW")


def test_stop_words_are_dropped(analyzer):
    terms = analyzer.terms("Wer muss die Stromsteuer bezahlen?")
    assert not {"wer", "muss", "die"} & set(terms)
    assert {"stromsteu", "bezahl"} <= set(terms)


def test_repeated_words_count_for_documents_but_once_for_queries(analyzer):
    assert analyzer.terms("Strom und Strom").count("strom") == 2
    assert analyzer.query_terms("Strom und Strom").count("strom") == 1


@pytest.mark.parametrize(
    "spellings",
    [
        ["MaLo", "Marktlokation", "Marktlokationen"],
        ["PV-Anlage", "Photovoltaikanlage", "Solaranlage", "PV"],
        ["Smart Meter", "intelligente Messsysteme", "iMSys"],
        ["KWK-Anlage", "Kraft-Wärme-Kopplung", "Kraft-Wärme-Kopplungsanlage"],
        ["ÜNB", "Übertragungsnetzbetreiber", "UeNB"],
        ["kWh", "Kilowattstunden"],
        ["RLM", "registrierende Leistungsmessung"],
    ],
)
def test_domain_synonyms_share_a_concept_term(analyzer, spellings):
    shared = set.intersection(*(concepts(analyzer, spelling) for spelling in spellings))
    assert shared, f"no common concept for {spellings}"


@pytest.mark.parametrize(
    "spellings",
    [
        ["Balkonkraftwerk", "Steckersolargeräte"],
        ["Stromsperre", "Unterbrechung der Versorgung", "Versorgungsunterbrechungen"],
        ["Zählerableser", "Zutrittsrecht"],
        ["Atomstrom", "Kernkraft"],
        ["Bürgergeld", "einkommensabhängige Sozialleistungen"],
        ["Bußgeld", "Geldbuße", "Ordnungswidrigkeiten"],
        ["Fernwärme", "Wärmenetze"],
        ["Wie laut darf eine Wärmepumpe sein?", "Lärm", "Außeneinheit aufstellen (Schallschutz)"],
    ],
)
def test_everyday_words_meet_the_statutes_terms(analyzer, spellings):
    shared = set.intersection(*(concepts(analyzer, spelling) for spelling in spellings))
    assert shared, f"no common concept for {spellings}"


def test_an_everyday_word_inside_a_legal_compound_means_nothing_everyday():
    # The corpus teaches the splitter "sperre"; a planning freeze is no power cut.
    taught = GermanAnalyzer(Counter(surface_tokens("Die Veränderung ist verboten, die Sperre gilt.")))
    assert stem_of(taught, "Veränderung") in taught.terms("Veränderungssperre"), "the compound is split"
    assert not concepts(taught, "Veränderungssperre") & concepts(taught, "Stromsperre")
    assert concepts(taught, "Sperre") & concepts(taught, "Unterbrechung der Versorgung")


def test_unrelated_words_share_no_concept(analyzer):
    assert not concepts(analyzer, "Marktlokation") & concepts(analyzer, "Messlokation")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Balkonkraftwerk", "Ein Steckersolargerät mit bis zu 800 Voltampere darf angeschlossen werden."),
        ("Kündigungsfrist", "Die Kündigungsfristen betragen einen Monat."),
        ("Smart Meter", "Der Einbau eines intelligenten Messsystems ist Pflicht."),
        ("Kilowattstunde", "Arbeitspreis 8,12 ct/kWh"),
        ("Wallbox", "Für Wärmepumpen, Wallboxen und Batteriespeicher gilt ein reduziertes Netzentgelt."),
    ],
)
def test_a_text_names_a_word_in_any_form_or_by_its_synonym(analyzer, name, text):
    assert analyzer.names(name, text)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Frist", "Die Kündigungsfrist beträgt einen Monat."),  # a compound part is not the word
        ("Netz", "Der Netzanschluss wird beantragt."),
        ("Smart Meter", "Ein Smart Home spart Strom."),  # one word of a term is not the term
        ("Balkonkraftwerk", "Eine Solaranlage auf dem Balkon."),
        ("Balkonkraftwerk", ""),
    ],
)
def test_a_text_does_not_name_a_word_it_only_touches(analyzer, name, text):
    assert not analyzer.names(name, text)


def test_laut_as_according_to_is_no_noise(analyzer):
    # "wie laut" asks about noise; "laut EnWG" cites a law.
    assert not concepts(analyzer, "Was gilt laut EnWG für Netzbetreiber?") & concepts(
        analyzer, "Schallschutz"
    )
