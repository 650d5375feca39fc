"""A question's size against a sentence's size bands: the band that applies to it reads first."""

from __future__ import annotations

import pytest

from luna.domain.quantity_ranges import Band, band_fit, bands, quantities

BHKW = "Wie viel KWK-Zuschlag bekommt ein BHKW mit 40 kW elektrischer Leistung?"


def test_a_question_states_its_sizes_in_base_units() -> None:
    assert [(q.dimension, q.value) for q in quantities(BHKW)] == [("power", 40.0)]
    asked = quantities("Ein Büro mit 8.000 kWh, eine Anlage mit 1,5 MW und 10 000 Kilowattstunden")
    assert [(q.dimension, q.value) for q in asked] == [
        ("energy", 8000.0),
        ("power", 1500.0),
        ("energy", 10000.0),
    ]


def test_kilowatt_hours_are_not_read_as_kilowatts() -> None:
    assert [q.dimension for q in quantities("3.500 Kilowattstunden im Jahr")] == ["energy"]


@pytest.mark.parametrize(
    ("sentence", "fit"),
    [
        ("für den KWK-Leistungsanteil von bis zu 50 Kilowatt: 8 Cent je Kilowattstunde", 1),
        ("mit einer Leistung von mehr als 50 Megawatt bis einschließlich 100 Megawatt 1,3 Cent", -1),
        ("für den Leistungsanteil über 2 Megawatt 1,5 Cent je Kilowattstunde", -1),
        ("Anlagen ab 30 Kilowatt müssen fernsteuerbar sein.", 1),
        ("Der Zuschlag beträgt 8 Cent je Kilowattstunde.", 0),  # no band at all
        ("Gebäude mit mehr als 500 Quadratmetern Nutzfläche", 0),  # a band, but not of power
    ],
)
def test_a_band_that_includes_the_asked_size_fits_and_one_that_excludes_it_does_not(
    sentence: str, fit: int
) -> None:
    assert band_fit(sentence, quantities(BHKW)) == fit


def test_a_lower_bound_and_the_upper_bound_after_it_are_one_band() -> None:
    assert bands("von mehr als 2 Megawatt bis einschließlich 50 Megawatt") == [
        Band("power", low=2000.0, low_strict=True, high=50000.0)
    ]
    # 2 MW itself lies outside "mehr als 2 Megawatt", 50 MW inside "bis einschließlich".
    assert band_fit("von mehr als 2 Megawatt bis einschließlich 50 Megawatt", quantities("2 MW")) == -1
    assert band_fit("von mehr als 2 Megawatt bis einschließlich 50 Megawatt", quantities("50 MW")) == 1


@pytest.mark.parametrize(
    ("sentence", "asked", "fit"),
    [
        (
            "einen Jahresverbrauch von 10 000 Kilowattstunden nicht übersteigenden Eigenverbrauch",
            "8.000 kWh",
            1,
        ),
        (
            "einen Jahresverbrauch von 10 000 Kilowattstunden nicht übersteigenden Eigenverbrauch",
            "12.000 kWh",
            -1,
        ),
        ("in Gemeinden mit 100 000 Einwohnern oder weniger", "20.000 Einwohnern", 1),
        ("aus Raumzellen von jeweils bis zu 50 Quadratmetern Nutzfläche", "je etwa 30 m²", 1),
        ("Gebäude, deren Nutzfläche 500 Quadratmeter überschreitet", "800 m²", 1),
        ("Gebäude, deren Nutzfläche 500 Quadratmeter überschreitet", "300 m²", -1),
        ("Speicher mit weniger als 500 Litern", "500 Liter", -1),
    ],
)
def test_bounds_written_after_the_size_count_too(sentence: str, asked: str, fit: int) -> None:
    assert band_fit(sentence, quantities(asked)) == fit


def test_a_question_without_a_size_moves_nothing() -> None:
    assert quantities("Was kostet die Netznutzung pro Kilowattstunde?") == []
    assert band_fit("bis zu 50 Kilowatt", []) == 0


def test_what_the_bound_is_of_may_stand_between_the_bound_and_the_size() -> None:
    seventy = quantities("eine Biogasanlage von rund 70 kW")
    assert band_fit("bis einschließlich einer Bemessungsleistung von 75 Kilowatt 22 Cent", seventy) == 1
    assert band_fit("ab einer installierten Leistung von 100 Kilowatt", seventy) == -1
    assert bands(
        "von mehr als 2 Megawatt bis zu einer elektrischen Leistung von einschließlich 50 Megawatt"
    ) == [Band("power", low=2000.0, low_strict=True, high=50000.0)]


def test_a_number_is_read_from_its_first_group_of_digits_only() -> None:
    assert [q.value for q in quantities("in 1 000 000 kW")] == [1_000_000.0]
    assert [q.value for q in quantities("ab 2026 100 000 Einwohner")] == [100_000.0]  # after a year
    assert quantities(" ".join(["111"] * 50) + " kWx") == []  # no unit: nothing, read once
