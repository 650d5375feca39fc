"""Bodies of the customers' meter claims (``/users/me/meters``) and of the operators' claim codes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from luna.api.schemas.recommend import MeterId


class MeterClaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meter_id: MeterId = Field(
        description="The meter number as on your bill (Zählernummer): 1–64 characters of A–Z a–z 0–9 . _ : -"
    )
    code: str = Field(
        min_length=1,
        max_length=32,
        description="The meter's claim code (Freischaltcode) from your bill, e.g. `ABCD-EFGH`: "
        "upper or lower case, with or without the dash or spaces",
    )


class ClaimCodeOut(BaseModel):
    meter_id: str = Field(description="The meter the code belongs to")
    code: str = Field(
        description="Its claim code as it is printed for the customer: 8 characters of A–Z (without I "
        "and O) and 2–9, in two groups of four, e.g. `K7MQ-3XTB`"
    )
