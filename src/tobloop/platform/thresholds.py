"""Every playbook number as a typed, validated workspace setting with its playbook default."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PlaybookThresholds(BaseModel):
    """Workspace-level defaults of ``shared/PLAYBOOK.md``; each field names its rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # P-PROFILE-3 size cut-offs: small < small_max_headcount <= mid < large_min_headcount <= large
    mid_min_headcount: int = Field(
        100, ge=1, description="P-PROFILE-3: mid-size from this headcount"
    )
    large_min_headcount: int = Field(
        1000, ge=2, description="P-PROFILE-3: large from this headcount"
    )
    # P-ECON-1 lifetime value
    ltv_min: Decimal = Field(Decimal("300000"), ge=0, description="P-ECON-1: minimum LTV")
    acv_min: Decimal = Field(Decimal("60000"), ge=0, description="P-ECON-1: ACV that reaches it")
    lifetime_years: Decimal = Field(
        Decimal("5"), gt=0, description="P-ECON-1: assumed average lifetime"
    )
    # P-ECON-2 annual revenue churn
    cc_max: Decimal = Field(Decimal("0.20"), ge=-1, le=1, description="P-ECON-2: CC limit")
    nrr_target: Decimal = Field(Decimal("1.00"), ge=0, description="P-ECON-2: ideal NRR")
    # P-ECON-3 CAC vs LTV
    cac_ltv_max_ratio: Decimal = Field(
        Decimal("0.3333"), gt=0, le=1, description="P-ECON-3: CAC at most this share of LTV"
    )
    # P-ECON-4 payback
    cac_payback_max_months: Decimal = Field(
        Decimal("12"), gt=0, description="P-ECON-4: CAC paid back within"
    )
    # P-ECON-5 sales motion by ACV
    telesales_acv_max: Decimal = Field(
        Decimal("10000"), ge=0, description="P-ECON-5: telesales below this ACV"
    )
    field_sales_acv_min: Decimal = Field(
        Decimal("50000"), ge=0, description="P-ECON-5: field sales above this ACV"
    )
    # P-ECON-6 growth pace (× per year)
    growth_good_min: Decimal = Field(Decimal("2"), gt=0, description="P-ECON-6: good pace from")
    growth_good_max: Decimal = Field(Decimal("3"), gt=0, description="P-ECON-6: good pace to")
    # LTV computation parameters (DESIGN.md metric definitions)
    gross_margin: Decimal = Field(Decimal("1.0"), gt=0, le=1, description="LTV gross margin")
    ltv_horizon_years: Decimal = Field(Decimal("10"), gt=0, description="LTV lifetime cap")
    # How close to a limit turns a pass into a warning (share of the limit)
    warn_margin: Decimal = Field(Decimal("0.10"), ge=0, le=1, description="warn within this share")

    @model_validator(mode="after")
    def _ordered(self) -> PlaybookThresholds:
        if self.mid_min_headcount >= self.large_min_headcount:
            raise ValueError("mid_min_headcount must be below large_min_headcount (P-PROFILE-3)")
        if self.telesales_acv_max > self.field_sales_acv_min:
            raise ValueError("telesales_acv_max must not exceed field_sales_acv_min (P-ECON-5)")
        if self.growth_good_min > self.growth_good_max:
            raise ValueError("growth_good_min must not exceed growth_good_max (P-ECON-6)")
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


SIZE_FIELDS = frozenset({"mid_min_headcount", "large_min_headcount"})
