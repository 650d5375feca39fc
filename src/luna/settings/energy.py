"""The ``energy`` section: limits of the data API, validation ranges shared by every feed, and the
tariffs the insights and price views use.

The dynamic tariff's end-customer price is made up as a German bill makes it up:
``(exchange price + grid fee + levies + electricity tax + supplier margin) × (1 + VAT)``, each surcharge
net of VAT in ct/kWh. The defaults are a typical German household in 2026; a customer's own bill (and
their grid operator's price sheet) gives the exact figures:

- ``grid_fee_ct_kwh`` 10.0: the per-kWh grid fee (Netzentgelt, low voltage, without metering), typical
  after the 2026 federal subsidy to the transmission grid (about 2 ct below 2025's ~12 ct; it varies
  from about 7 to 14 ct between grid areas);
- ``levies_ct_kwh`` 4.536: KWKG levy 0.446 + offshore grid levy 0.941 + surcharge for special grid use
  (formerly § 19 StromNEV) 1.559 (the transmission operators' figures for 2026, netztransparenz.de)
  + concession fee 1.59 (KAV § 2, a municipality of up to 100,000 inhabitants; 1.32 to 2.39);
- ``electricity_tax_ct_kwh`` 2.05: the standard rate of the Stromsteuergesetz (§ 3 StromStG);
- ``supplier_margin_ct_kwh`` 2.0: what dynamic-tariff suppliers typically add per kWh (1 to 3 ct)
  besides their monthly base fee;
- ``vat_percent`` 19: the standard Umsatzsteuer rate (§ 12 UStG).

Monthly fees (base fee, metering) are not per kWh and not part of this price.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from luna.domain.price_window import EndCustomerPrice, Surcharge
from luna.settings.section import Section

#: The most any one surcharge may be (ct/kWh): far above any German tariff, below a typo's ×100.
MAX_SURCHARGE_CT_KWH = 100.0
#: The highest VAT rate accepted (%): the EU's highest standard rate is 27 %.
MAX_VAT_PERCENT = 50.0
#: Surcharge settings and the names a German bill gives them, in the order a bill lists them.
SURCHARGE_NAMES = {
    "grid_fee_ct_kwh": "Netzentgelt",
    "levies_ct_kwh": "Umlagen und Abgaben",
    "electricity_tax_ct_kwh": "Stromsteuer",
    "supplier_margin_ct_kwh": "Lieferantenmarge",
}
_RETIRED = "dynamic_surcharge_eur_kwh"


def _surcharge(default: float) -> Any:
    return Field(default=default, ge=0, le=MAX_SURCHARGE_CT_KWH)


class EnergySettings(Section):
    """Limits of the data API, validation ranges shared by every feed, and the tariffs insights compare."""

    max_points: int = Field(default=20_000, ge=100, le=1_000_000)
    default_interval_sec: int = Field(default=60, ge=1, le=86_400)
    max_kw: float = Field(default=100_000.0, gt=0)
    voltage_min: float = Field(default=100.0, ge=0)
    voltage_max: float = Field(default=300.0, gt=0)
    future_tolerance_sec: int = Field(default=300, ge=0)
    flat_tariff_eur_kwh: float = Field(default=0.35, ge=0)
    feed_in_eur_kwh: float = Field(default=0.08, ge=0)
    grid_fee_ct_kwh: float = _surcharge(10.0)
    levies_ct_kwh: float = _surcharge(4.536)
    electricity_tax_ct_kwh: float = _surcharge(2.05)
    supplier_margin_ct_kwh: float = _surcharge(2.0)
    vat_percent: float = Field(default=19.0, ge=0, le=MAX_VAT_PERCENT)

    @model_validator(mode="before")
    @classmethod
    def _retired_surcharge(cls, data: Any) -> Any:
        if isinstance(data, dict) and _RETIRED in data:
            raise ValueError(
                f"{_RETIRED}: no longer used; the end-customer price is (exchange price + "
                f"{' + '.join(SURCHARGE_NAMES)}) × (1 + vat_percent / 100), each surcharge net in ct/kWh: "
                "set those instead (docs/settings.md)"
            )
        return data

    @model_validator(mode="after")
    def _voltage_range(self) -> EnergySettings:
        if self.voltage_min >= self.voltage_max:
            raise ValueError("voltage_min: must be below voltage_max")
        return self

    @property
    def end_customer_price(self) -> EndCustomerPrice:
        """The dynamic tariff's price (see the module), as the price views show it and the insights'
        cost comparison charges it."""
        surcharges = tuple(Surcharge(name, getattr(self, key)) for key, name in SURCHARGE_NAMES.items())
        return EndCustomerPrice(surcharges, self.vat_percent)
