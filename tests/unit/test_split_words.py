"""A PDF's words split in two by its text layer are joined where the document writes them whole."""

from __future__ import annotations

from luna.adapters.extract.split_words import join_split_words
from luna.domain.documents import BlockKind, TextBlock


def joined(*texts: str) -> list[str]:
    blocks = [TextBlock(BlockKind.PARAGRAPH, text, page) for page, text in enumerate(texts, start=1)]
    return [block.text for block in join_split_words(blocks)]


def test_a_split_word_is_joined_where_the_document_writes_it_whole() -> None:
    # as in the Winterthur energy plan: "Um setzung", "Wärmeversor gung", "ori entiert" beside the whole words
    assert (
        joined(
            "Die Um setzung der Wärmeversor gung ist ori entiert an Zielen.",
            "Zur Umsetzung der Wärmeversorgung, orientiert am Ziel 2040.",
        )[0]
        == "Die Umsetzung der Wärmeversorgung ist orientiert an Zielen."
    )


def test_a_gap_the_document_never_closes_stays() -> None:
    # "Heraus forderungen" is written nowhere else whole: nothing says it is one word
    assert joined("Die Heraus forderungen bleiben.", "Neue Aufgaben.")[0] == "Die Heraus forderungen bleiben."


def test_short_pairs_that_are_also_one_word_stay_apart() -> None:
    text = "Sie kam in dem Jahr so weit wie nie."
    assert joined(text, "Indem sie ging, kam sie soweit.")[0] == text


def test_a_capitalised_second_word_is_a_word_of_its_own() -> None:
    # German nouns are capitalised: "Solar Strom" is two words even where "SolarStrom" were written
    assert joined("Solar Strom und Wind", "SolarStrom")[0] == "Solar Strom und Wind"


def test_a_word_left_apart_from_the_one_before_can_join_the_one_after() -> None:
    assert joined("die wärme versorgung", "Wärmeversorgung und wärmeversorgung")[0] == "die wärmeversorgung"


def test_page_kind_and_level_are_kept() -> None:
    heading = TextBlock(BlockKind.HEADING, "Kälte versorgung", 3, 2)
    (block, _) = join_split_words([heading, TextBlock(BlockKind.PARAGRAPH, "Die Kälteversorgung.", 3)])
    assert block == TextBlock(BlockKind.HEADING, "Kälteversorgung", 3, 2)
