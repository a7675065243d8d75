"""The portfolio: where the team's effort goes against where the value is (the first of the coach's three
questions: which investment decisions are being avoided).

Effort comes from the records (interactions, meeting hours of our people, who of ours is involved, how much of it
was strategic, over a window and its trend); value from the account measures (``coach.measures``). Each account is
placed by its share of the effort against its share of the value and its engagement, and the accounts that need a
decision are named and argued: habit, under-served, sacred cow.
"""

from coach.portfolio.model import Decision, Portfolio, PortfolioAccount
from coach.portfolio.service import PortfolioService, Scope, top_questions

__all__ = ["Decision", "Portfolio", "PortfolioAccount", "PortfolioService", "Scope", "top_questions"]
