"""Account measures: what an account is worth and how the relationship is doing, each known on a date.

ARR (or contract value), renewal date and tier, and the relationship measures (CSAT, NPS, retention, repeat
purchase, lifetime value). A new value on a later date adds to a measure's history; the same date again replaces
it. Nothing is filled in: a measure never recorded is missing, and every reader shows it so.
"""

from coach.measures.model import AccountMeasures, MeasureHistory, MeasurePoint, MeasureRow, account_measures
from coach.measures.spec import CODES, MEASURES, MeasureSpec, Value, check_as_of, check_value, parse_value

__all__ = [
    "CODES",
    "MEASURES",
    "AccountMeasures",
    "MeasureHistory",
    "MeasurePoint",
    "MeasureRow",
    "MeasureSpec",
    "Value",
    "account_measures",
    "check_as_of",
    "check_value",
    "parse_value",
]
