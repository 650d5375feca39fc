"""The dynamic tariff's surcharges and VAT as settings, and the readers' country for recommendations:
typical German defaults, every part named, absurd values and the retired flat surcharge refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from luna.settings import Settings, SettingsError, load_settings


def _load(tmp_path: Path, **environ: str) -> Settings:
    return load_settings(environ=environ, env_file=tmp_path / "absent.env")


def test_the_default_price_is_a_german_household_bill_in_2026(tmp_path: Path) -> None:
    price = _load(tmp_path).energy.end_customer_price

    assert [(part.name, part.ct_kwh) for part in price.surcharges] == [
        ("Netzentgelt", 10.0),
        ("Umlagen und Abgaben", 4.536),  # KWKG 0.446 + offshore 0.941 + § 19 1.559 + concession 1.59
        ("Stromsteuer", 2.05),
        ("Lieferantenmarge", 2.0),
    ]
    assert price.vat_percent == 19.0
    assert price.ct_kwh(100.0) == pytest.approx((10.0 + 18.586) * 1.19)  # 10 ct at the exchange: 34 ct


def test_each_surcharge_and_the_vat_rate_is_a_setting_of_its_own(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        LUNA_ENERGY__GRID_FEE_CT_KWH="8.5",
        LUNA_ENERGY__LEVIES_CT_KWH="0",
        LUNA_ENERGY__ELECTRICITY_TAX_CT_KWH="2.05",
        LUNA_ENERGY__SUPPLIER_MARGIN_CT_KWH="1.45",
        LUNA_ENERGY__VAT_PERCENT="7",
    )

    price = settings.energy.end_customer_price
    assert price.surcharge_ct_kwh == pytest.approx(12.0) and price.vat_percent == 7.0
    assert price.ct_kwh(-50.0) == pytest.approx((-5.0 + 12.0) * 1.07)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"LUNA_ENERGY__VAT_PERCENT": "-19"}, "energy.vat_percent (LUNA_ENERGY__VAT_PERCENT)"),
        ({"LUNA_ENERGY__VAT_PERCENT": "190"}, "energy.vat_percent (LUNA_ENERGY__VAT_PERCENT)"),
        ({"LUNA_ENERGY__GRID_FEE_CT_KWH": "-1"}, "energy.grid_fee_ct_kwh (LUNA_ENERGY__GRID_FEE_CT_KWH)"),
        ({"LUNA_ENERGY__LEVIES_CT_KWH": "453.6"}, "energy.levies_ct_kwh (LUNA_ENERGY__LEVIES_CT_KWH)"),
        (
            {"LUNA_ENERGY__ELECTRICITY_TAX_CT_KWH": "nan"},
            "energy.electricity_tax_ct_kwh (LUNA_ENERGY__ELECTRICITY_TAX_CT_KWH)",
        ),
        ({"LUNA_RECOMMEND__COUNTRY": "Germany"}, "recommend.country (LUNA_RECOMMEND__COUNTRY)"),
    ],
)
def test_negative_or_absurd_values_are_refused_naming_the_setting(
    tmp_path: Path, environ: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, **environ)
    assert named in str(caught.value)


def test_the_retired_flat_surcharge_is_refused_with_the_settings_that_replace_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, LUNA_ENERGY__DYNAMIC_SURCHARGE_EUR_KWH="0.20")

    message = str(caught.value)
    assert (
        "energy.dynamic_surcharge_eur_kwh (LUNA_ENERGY__DYNAMIC_SURCHARGE_EUR_KWH): no longer used" in message
    )
    assert "grid_fee_ct_kwh" in message and "vat_percent" in message and "docs/settings.md" in message


def test_the_readers_country_is_germany_unless_set(tmp_path: Path) -> None:
    assert _load(tmp_path).recommend.country == "DE"
    assert _load(tmp_path, LUNA_RECOMMEND__COUNTRY=" at ").recommend.country == "AT"
    assert _load(tmp_path, LUNA_RECOMMEND__COUNTRY="").recommend.country is None
