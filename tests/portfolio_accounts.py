"""Accounts built to show each investment decision (as of 2026-11-20), with their measures.

- Ashgrove Dairy: habit. Many short tactical touches with three of ours, vague next steps, ARR flat.
- Birchfield Clinics: under-served. The largest ARR, a renewal in 45 days, one contact, one call in 90 days that
  raised a problem and the customer's plans.
- Cobalt Rail: sacred cow. A weekly status meeting, an hour with four of ours each time, nothing decided.
- Dunmore Glass: in line. A few strategic conversations, a middling ARR.
- Elm Street Bakery: nothing logged and nothing recorded (the empty and missing case).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from coach.ingest.jsonl import record_from_object
from coach.ingest.pipeline import IngestPipeline
from coach.measures.book import Entry, MeasureBook
from coach.store.repository import Repository

AS_OF = dt.date(2026, 11, 20)
OURS = [
    {"name": "Rita Vance", "email": "rita.vance@atlasfieldcloud.com", "side": "internal"},
    {"name": "Omar Haddad", "email": "omar.haddad@atlasfieldcloud.com", "side": "internal"},
    {"name": "Lena Fischer", "email": "lena.fischer@atlasfieldcloud.com", "side": "internal"},
    {"name": "Jon Price", "email": "jon.price@atlasfieldcloud.com", "side": "internal"},
]
ACCOUNTS = ["Ashgrove Dairy", "Birchfield Clinics", "Cobalt Rail", "Dunmore Glass", "Elm Street Bakery"]


def _day(days_before: int) -> str:
    return (AS_OF - dt.timedelta(days=days_before)).isoformat()


def records() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n in range(8):  # Ashgrove: every ten days, tactical, vague next steps
        out.append(
            {
                "id": f"ash-{n}",
                "account": "Ashgrove Dairy",
                "kind": "meeting",
                "date": _day(5 + 10 * n),
                "rep": "Rita Vance",
                "duration_minutes": 30,
                "participants": [*OURS[:3], {"name": "Tom Okafor", "title": "Buyer", "side": "customer"}],
                "text": "Quick check-in with Tom. Order status is fine and the invoice copy was resent. "
                "Walked through the open support tickets. Will touch base again in a couple of weeks.",
            }
        )
    out.append(
        {
            "id": "bir-1",
            "account": "Birchfield Clinics",
            "kind": "call",
            "date": _day(20),
            "rep": "Omar Haddad",
            "duration_minutes": 30,
            "participants": [
                OURS[1],
                {"name": "Dr. Grace Lee", "title": "Operations Director", "side": "customer"},
            ],
            "text": "Call with Grace. Grace complained that the scheduling export fails every Monday morning and "
            "asked us to fix it before the new year. She also shared their plan to open three new clinics in "
            "2027 and wants to know how we would support the expansion over the next two years.",
        }
    )
    out.append(
        {
            "id": "bir-0",
            "account": "Birchfield Clinics",
            "kind": "email",
            "date": _day(200),
            "rep": "Omar Haddad",
            "participants": [OURS[1], {"name": "Dr. Grace Lee", "side": "customer"}],
            "text": "Hi Grace, the signed order form is attached. Thanks, Omar",
        }
    )
    for n in range(4):  # Cobalt: weekly status, an hour, four of ours
        out.append(
            {
                "id": f"cob-{n}",
                "account": "Cobalt Rail",
                "kind": "meeting",
                "date": _day(3 + 7 * n),
                "rep": "Lena Fischer",
                "series": "Cobalt weekly status",
                "duration_minutes": 60,
                "participants": [
                    *OURS,
                    {"name": "Ivo Marsh", "title": "Project Coordinator", "side": "customer"},
                ],
                "text": "Weekly status. Read through the ticket list line by line: all green or amber. "
                "Nothing to decide. No decisions. Same again next week.",
            }
        )
    for n, text in enumerate(
        [
            "Met Hana, their CFO, about the three-year plan: they want to cut energy costs 15% by 2028 and asked "
            "how our furnace analytics support that goal. Agreed a joint account plan with owners and dates.",
            "Quarterly business review with Hana and the plant directors: value delivered against the energy "
            "goal, 6% so far. Decision: extend the pilot to the second plant, Jon owns the rollout by 15 January.",
        ]
    ):
        out.append(
            {
                "id": f"dun-{n}",
                "account": "Dunmore Glass",
                "kind": "meeting",
                "date": _day(15 + 40 * n),
                "rep": "Jon Price",
                "duration_minutes": 45,
                "participants": [OURS[3], {"name": "Hana Sato", "title": "CFO", "side": "customer"}],
                "text": text,
            }
        )
    return out


def build(pipeline: IngestPipeline, book: MeasureBook, logged_by: int | None = None) -> dict[str, int]:
    """Store the accounts (Elm Street Bakery without any record) and their measures; returns ids by name."""
    items = [record_from_object(r, r["id"]) for r in records()]
    pipeline.ingest(items, logged_by=logged_by)
    with pipeline.ws.db.session(write=True) as session:
        repo = Repository(session)
        repo.account("Elm Street Bakery", create=True)
        session.commit()
        ids = {name: row.id for name in ACCOUNTS if (row := repo.account(name)) is not None}
    earlier, latest = dt.date(2025, 11, 1), dt.date(2026, 10, 1)
    values: list[tuple[str, str, dt.date, float | str]] = [
        ("Ashgrove Dairy", "arr", earlier, 100000.0),
        ("Ashgrove Dairy", "arr", latest, 100000.0),
        ("Ashgrove Dairy", "renewal_date", latest, "2027-09-30"),
        ("Birchfield Clinics", "arr", latest, 900000.0),
        ("Birchfield Clinics", "renewal_date", latest, (AS_OF + dt.timedelta(days=45)).isoformat()),
        ("Birchfield Clinics", "nps", latest, 35.0),
        ("Cobalt Rail", "arr", latest, 150000.0),
        ("Dunmore Glass", "arr", earlier, 160000.0),
        ("Dunmore Glass", "arr", latest, 200000.0),
        ("Dunmore Glass", "tier", latest, "B"),
    ]
    book.put([Entry(ids[a], code, day, value, "test") for a, code, day, value in values], None)
    return ids
