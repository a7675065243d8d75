"""The portfolio's thresholds, with the domain's defaults; the window, the renewal horizon and the hours that make
a sacred cow come from settings (``COACH_PORTFOLIO_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from coach.config import Settings


class PortfolioThresholds(BaseModel):
    window_days: int = Field(90, description="effort is weighed over this many days")
    renewal_days: int = Field(120, description="a renewal this near makes an account's case urgent")
    sacred_cow_hours: float = Field(
        3.0, description="our hours over two windows that make a meeting series costly"
    )
    high_share: float = Field(1.5, description="a share this many times an even share is high")
    low_share: float = Field(0.5, description="a share this many times an even share (or less) is low")
    strategic_share: float = Field(0.5, description="the window is strategic at this strategic share")
    tactical_share: float = Field(0.2, description="the window is tactical at this strategic share or below")
    growth: float = Field(0.05, description="a value that moved less than this (either way) is flat")

    @classmethod
    def from_settings(cls, settings: Settings) -> PortfolioThresholds:
        return cls(
            window_days=settings.portfolio_window_days,
            renewal_days=settings.portfolio_renewal_days,
            sacred_cow_hours=settings.portfolio_sacred_cow_hours,
        )
