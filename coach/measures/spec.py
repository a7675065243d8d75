"""What an account measure is, and how a value written by a person or a CRM becomes one (or a clear refusal).

Values are read strictly: a number is a number ("$1,200,000" and "92%" are; "1.2M", "about 90" and "0.92" for a
percentage are not, because reading them would be guessing). An empty cell, "n/a", "-" or "unknown" is missing,
which is not an error: a missing measure stays missing and is shown so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from coach.errors import InvalidInput

MeasureKind = Literal["money", "percent", "score", "date", "text"]
Value = float | str  # a number, or a text (a tier; a renewal date as YYYY-MM-DD)
MISSING = frozenset({"", "-", "--", "n/a", "na", "none", "null", "unknown", "tbd", "?"})
MAX_MONEY = 1e13
MAX_TEXT = 50
EARLIEST = date(1970, 1, 1)
_CURRENCY = re.compile(r"^(?:[$€£¥]|[A-Z]{3})\s*|\s*(?:[$€£¥]|[A-Z]{3})$")
_GROUPED = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PLAIN = re.compile(r"^-?\d+(?:\.\d+)?$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
LATEST_YEAR = 2100
_ABBREVIATED = re.compile(r"^-?\d+(?:\.\d+)?\s*(?:k|m|mm|bn|b)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MeasureSpec:
    code: str
    label: str
    kind: MeasureKind
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in ("money", "percent", "score")


MEASURES: dict[str, MeasureSpec] = {
    s.code: s
    for s in (
        MeasureSpec("arr", "ARR or contract value", "money", 0, MAX_MONEY, "per year, in your currency"),
        MeasureSpec("renewal_date", "Renewal date", "date", unit="a date"),
        MeasureSpec("tier", "Tier", "text", unit="your own tiers"),
        MeasureSpec("csat", "CSAT", "percent", 0, 100, "% satisfied"),
        MeasureSpec("nps", "NPS", "score", -100, 100, "-100 to 100"),
        MeasureSpec("retention", "Retention rate", "percent", 0, 200, "%; net retention may pass 100"),
        MeasureSpec("repeat_purchase", "Repeat purchase rate", "percent", 0, 100, "%"),
        MeasureSpec("lifetime_value", "Customer lifetime value", "money", 0, MAX_MONEY, "in your currency"),
    )
}
CODES: tuple[str, ...] = tuple(MEASURES)


def spec(code: str) -> MeasureSpec:
    found = MEASURES.get(code)
    if found is None:
        raise InvalidInput(f"unknown measure {code!r}: use one of {', '.join(CODES)}")
    return found


def parse_value(code: str, raw: str) -> Value | None:
    """A cell's text as a value of the measure; None when it is missing. InvalidInput says what is wrong."""
    measure = spec(code)
    text = " ".join(raw.split())
    if text.casefold() in MISSING:
        return None
    if measure.kind == "text":
        return check_value(code, text)
    if measure.kind == "date":
        return check_value(code, _date(measure, text))
    return check_value(code, _number(measure, text))


def check_value(code: str, value: float | int | str | date) -> Value:
    """A typed value (from the API, or parsed) checked against the measure's kind and range."""
    measure = spec(code)
    if measure.kind == "text":
        text = " ".join(str(value).split())
        if not text or len(text) > MAX_TEXT or _CONTROL.search(text):
            raise InvalidInput(f"{measure.label} must be 1 to {MAX_TEXT} printable characters")
        return text
    if measure.kind == "date":
        if isinstance(value, str):
            value = _date(measure, value)
        if not isinstance(value, date) or not EARLIEST.year <= value.year <= LATEST_YEAR:
            raise InvalidInput(
                f"{measure.label} must be a date (YYYY-MM-DD) from {EARLIEST.year} to {LATEST_YEAR}"
            )
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{measure.label} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{measure.label} must be a finite number")
    if measure.minimum is not None and number < measure.minimum:
        what = "negative" if measure.minimum == 0 else f"below {measure.minimum:g}"
        raise InvalidInput(f"{measure.label} {number:g} is {what}: it runs from {_range(measure)}")
    if measure.maximum is not None and number > measure.maximum:
        raise InvalidInput(f"{measure.label} {number:g} is too large: it runs from {_range(measure)}")
    return number


def _number(measure: MeasureSpec, text: str) -> float:
    plain = text
    percent = measure.kind == "percent" and plain.endswith("%")
    if percent:
        plain = plain[:-1].strip()
    if measure.kind == "money":
        plain = _CURRENCY.sub("", plain).strip()
    plain = plain.replace("\u00a0", "").replace(" ", "") if measure.kind == "money" else plain
    if _ABBREVIATED.match(plain):
        raise InvalidInput(
            f"{measure.label} {text!r} is abbreviated: write the whole number (e.g. 1200000, not 1.2M)"
        )
    if _GROUPED.match(plain):
        plain = plain.replace(",", "")
    if not _PLAIN.match(plain):
        raise InvalidInput(f"{measure.label} {text!r} is not a number")
    number = float(plain)
    if measure.kind == "percent" and not percent and 0 < number < 1:
        raise InvalidInput(
            f"{measure.label} {text!r} looks like a fraction: give it in percent ({number * 100:g} for "
            f"{number * 100:g}%)"
        )
    return number


def _date(measure: MeasureSpec, text: str) -> date:
    from coach.ingest.common import RecordError, parse_date

    try:
        return parse_date(text).date()
    except RecordError as exc:
        raise InvalidInput(f"{measure.label}: {exc}") from None


def _range(measure: MeasureSpec) -> str:
    return f"{measure.minimum:g} to {measure.maximum:g}" if measure.maximum != MAX_MONEY else "0 up"


def check_as_of(as_of: date, today: date, future_days: int = 1) -> date:
    """The date a value was known on: not in the future (a day ahead is allowed, for time zones)."""
    if as_of > date.fromordinal(today.toordinal() + future_days):
        raise InvalidInput(
            f"the date {as_of.isoformat()} is in the future: measures are dated the day they were known "
            "(today or earlier)"
        )
    if as_of < EARLIEST:
        raise InvalidInput(f"the date {as_of.isoformat()} is before {EARLIEST.year}")
    return as_of
