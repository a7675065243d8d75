"""Account measures as types: a value known on a date, each measure's history, an account's measures."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from coach.measures.spec import MEASURES, Value


class MeasurePoint(BaseModel):
    as_of: dt.date = Field(description="the date the value was known on")
    value: float | str = Field(description="a number, or a text (a tier; a renewal date as YYYY-MM-DD)")
    source: str = Field(description="where it came from: a CSV file and line, the API, ...")


class MeasureHistory(BaseModel):
    measure: str = Field(
        description="arr, renewal_date, tier, csat, nps, retention, repeat_purchase, lifetime_value"
    )
    label: str
    unit: str
    current: MeasurePoint | None = Field(
        description="the latest value on or before the date asked for; null when none was ever recorded: "
        "missing, never guessed"
    )
    history: list[MeasurePoint] = Field(description="every recorded value, oldest first")


class AccountMeasures(BaseModel):
    account: str
    as_of: dt.date = Field(description="the date 'current' is read on")
    measures: list[MeasureHistory] = Field(description="every measure, in a fixed order, recorded or not")

    def current(self, code: str) -> Value | None:
        found = next((m for m in self.measures if m.measure == code), None)
        return found.current.value if found and found.current else None

    def history(self, code: str) -> list[MeasurePoint]:
        found = next((m for m in self.measures if m.measure == code), None)
        return found.history if found else []

    @property
    def recorded(self) -> bool:
        return any(m.history for m in self.measures)


def account_measures(account: str, as_of: dt.date, points: dict[str, list[MeasurePoint]]) -> AccountMeasures:
    """Every measure of an account from its recorded points (any order), the current one as of ``as_of``."""
    out = []
    for code, spec in MEASURES.items():
        history = sorted(points.get(code, []), key=lambda p: p.as_of)
        known = [p for p in history if p.as_of <= as_of]
        out.append(
            MeasureHistory(
                measure=code,
                label=spec.label,
                unit=spec.unit,
                current=known[-1] if known else None,
                history=history,
            )
        )
    return AccountMeasures(account=account, as_of=as_of, measures=out)


class MeasureRow(BaseModel):
    """One row of measures as a source gave it (a CSV line): an account by name, a date, the values it holds, and
    what was wrong with the cells left out."""

    origin: str
    account: str
    as_of: dt.date
    values: dict[str, float | str] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)
